"""The control plane's steps: what kubeadm init receives, and the pinned CNI manifest."""

import base64

import pytest

from components import versions
from tests.graph import CP, cluster
from tests.remote import script_of, variable

PKI_FILES = {
    "ca.crt": "0644",
    "ca.key": "0600",
    "front-proxy-ca.crt": "0644",
    "front-proxy-ca.key": "0600",
    "etcd/ca.crt": "0644",
    "etcd/ca.key": "0600",
    "sa.pub": "0644",
    "sa.key": "0600",
    "encryption-config.yaml": "0600",
}


def bundle_of(stdin: str) -> dict[str, tuple[str, str]]:
    entries = (line.split(" ") for line in stdin.splitlines())
    return {path: (mode, base64.b64decode(data).decode()) for path, mode, data in entries}


def test_init_gets_every_control_plane_key_from_the_stack_on_stdin():
    run = cluster()
    init = run.named(f"{CP}-kubeadm-init")
    bundle = bundle_of(init.inputs["stdin"])
    assert {path: mode for path, (mode, _) in bundle.items()} == PKI_FILES
    assert bundle["ca.crt"][1] == run.named("pki-ca").state["certPem"]
    assert bundle["ca.key"][1] == run.named("pki-ca-key").state["privateKeyPem"]
    assert bundle["front-proxy-ca.crt"][1] == run.named("pki-front-proxy-ca").state["certPem"]
    assert bundle["etcd/ca.key"][1] == run.named("pki-etcd-ca-key").state["privateKeyPem"]
    assert bundle["sa.pub"][1] == run.named("pki-service-account-key").state["publicKeyPem"]
    assert "stdin" in init.secret_inputs
    script = script_of(init.inputs["create"])
    assert "PRIVATE KEY" not in script
    assert "kubernetesVersion: $(kubeadm version -o short)" in script
    assert variable(script, "LOGIN_USER") == "ubuntu"
    assert variable(script, "ADMIN_KUBECONFIG") == "/etc/kubernetes/admin.conf"
    assert (variable(script, "POD_CIDR"), variable(script, "SERVICE_CIDR")) == ("10.244.0.0/16", "10.96.0.0/12")


def test_each_authority_is_a_ca_named_for_its_role():
    run = cluster()
    for name, common_name in [
        ("pki-ca", "kubernetes"),
        ("pki-front-proxy-ca", "front-proxy-ca"),
        ("pki-etcd-ca", "etcd-ca"),
    ]:
        ca = run.named(name)
        assert ca.inputs["isCaCertificate"] is True and ca.inputs["subject"]["commonName"] == common_name
        assert "cert_signing" in ca.inputs["allowedUses"]


@pytest.mark.parametrize("cni", ["calico", "flannel"])
def test_cni_is_applied_from_its_pinned_manifest_and_hash(cni):
    run = cluster(cni=cni)
    script = script_of(run.named(f"{CP}-cni-{cni}").inputs["create"])
    manifest = versions.CNI_MANIFESTS[cni]
    assert variable(script, "MANIFEST_URL") == manifest.url and f"/{manifest.version}/" in manifest.url
    assert variable(script, "MANIFEST_SHA256") == manifest.sha256
    assert variable(script, "POD_CIDR") == "10.244.0.0/16"
    assert script.index("verify_sha256 ") < script.index("kubectl apply")


def test_a_new_control_plane_may_restore_the_newest_snapshot_of_the_stacks_bucket():
    run = cluster()
    init = run.named(f"{CP}-kubeadm-init")
    script = script_of(init.inputs["create"])
    assert variable(script, "BUCKET") == run.outputs["etcdBackupBucket"]
    assert (variable(script, "PREFIX"), variable(script, "AWS_REGION")) == ("etcd", "ap-south-1")
    assert variable(script, "NODE_IP") == run.outputs["controlPlanePrivateIp"]
    assert variable(script, "ETCD_TOOLS_IMAGE") == versions.ETCD_TOOLS.image
    # It waits for its permission on the bucket, or a new instance could not tell whether a snapshot exists.
    assert run.named("etcd-backups-control-plane-access").urn in init.dependencies
