"""The stack's CA, the discovery hash that pins joins to it, and the admin kubeconfig."""

import base64
import subprocess

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from components.cluster import pki
from tests.graph import CP, cluster
from tests.harness import run_program, stack_config
from tests.remote import script_of, variable


@pytest.mark.needs("openssl")
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
    # A user of its generation and no group: only the binding of that user grants access.
    assert client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "kubeadm-aws-admin-1"
    assert client.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME) == []
    assert base64.b64decode(user["user"]["client-key-data"]).decode().startswith("-----BEGIN PRIVATE KEY-----")
    assert config["current-context"] == config["contexts"][0]["name"]


def test_the_admin_certificate_is_short_lived_and_renewed_in_its_last_two_days():
    cert = next(r for r in cluster().of_type("tls:index/locallySignedCert:LocallySignedCert") if r.name == "pki-admin")
    assert cert.inputs["validityPeriodHours"] == 7 * 24 and cert.inputs["earlyRenewalHours"] == 48
    one_day = run_program(stack_config(adminCertificateDays=1))
    short = next(r for r in one_day.of_type("tls:index/locallySignedCert:LocallySignedCert") if r.name == "pki-admin")
    assert short.inputs["validityPeriodHours"] == 24 and short.inputs["earlyRenewalHours"] == 12


def test_a_new_admin_generation_is_a_new_user_and_only_it_is_bound_to_cluster_admin():
    run = run_program(stack_config(adminGeneration=2))
    (request,) = [r for r in run.of_type("tls:index/certRequest:CertRequest") if r.name == "pki-admin"]
    assert request.inputs["subject"] == {"commonName": "kubeadm-aws-admin-2"}
    binding = yaml.safe_load(variable(script_of(run.named(f"{CP}-admin-access").inputs["create"]), "MANIFEST"))
    assert binding["kind"] == "ClusterRoleBinding" and binding["roleRef"]["name"] == "cluster-admin"
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "kubeadm-aws-admin-2"}
    ]
