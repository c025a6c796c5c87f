"""The stack's CA, the discovery hash that pins joins to it, and the admin kubeconfig."""

import base64
import subprocess

import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from components import pki
from tests.graph import cluster


def test_discovery_hash_matches_openssl(tmp_path):
    ca_pem = cluster().named("pki-ca").state["certPem"]
    (tmp_path / "ca.crt").write_text(ca_pem)
    pipeline = (
        f"openssl x509 -pubkey -noout -in {tmp_path / 'ca.crt'} | openssl pkey -pubin -outform der | "
        "sha256sum | cut -d' ' -f1"
    )
    expected = subprocess.run(["bash", "-c", pipeline], capture_output=True, text=True, check=True).stdout.strip()
    assert len(expected) == 64
    assert pki.discovery_hash(ca_pem) == f"sha256:{expected}"


def test_ca_is_a_ca():
    run = cluster()
    ca = run.named("pki-ca")
    assert ca.inputs["isCaCertificate"] is True
    assert "cert_signing" in ca.inputs["allowedUses"]
    assert "pki-ca-key" in {r.name for r in run.of_type("tls:index/privateKey:PrivateKey")}


def test_kubeconfig_parses_and_points_at_the_elastic_ip():
    run = cluster()
    config = yaml.safe_load(run.outputs["kubeconfig"])
    (entry,) = config["clusters"]
    assert entry["cluster"]["server"] == "https://198.51.100.10:6443" == run.outputs["apiServerEndpoint"]
    ca_pem = base64.b64decode(entry["cluster"]["certificate-authority-data"]).decode()
    assert ca_pem == run.named("pki-ca").state["certPem"]
    (user,) = config["users"]
    client = x509.load_pem_x509_certificate(base64.b64decode(user["user"]["client-certificate-data"]))
    client.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_pem.encode()))
    assert client.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "kubeadm:cluster-admins"
    assert base64.b64decode(user["user"]["client-key-data"]).decode().startswith("-----BEGIN PRIVATE KEY-----")
    assert config["current-context"] == config["contexts"][0]["name"]
