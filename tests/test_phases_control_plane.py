"""The control plane's steps: what kubeadm init receives, and the pinned CNI manifest."""

import pytest

from components import versions
from tests.graph import CP, cluster
from tests.remote import script_of, variable


def test_init_installs_the_programs_ca_and_pins_the_installed_kubeadm_version():
    run = cluster()
    init = run.named(f"{CP}-kubeadm-init")
    script = script_of(init.inputs["create"])
    assert variable(script, "CA_CERT") == run.named("pki-ca").state["certPem"]
    assert init.inputs["stdin"] == run.named("pki-ca-key").state["privateKeyPem"]
    assert "kubernetesVersion: $(kubeadm version -o short)" in script
    assert variable(script, "LOGIN_USER") == "ubuntu"
    assert variable(script, "ADMIN_KUBECONFIG") == "/etc/kubernetes/admin.conf"


@pytest.mark.parametrize("cni", ["calico", "flannel"])
def test_cni_is_applied_from_its_pinned_manifest_and_hash(cni):
    run = cluster(cni=cni)
    script = script_of(run.named(f"{CP}-cni-{cni}").inputs["create"])
    manifest = versions.CNI_MANIFESTS[cni]
    assert variable(script, "MANIFEST_URL") == manifest.url and f"/{manifest.version}/" in manifest.url
    assert variable(script, "MANIFEST_SHA256") == manifest.sha256
    assert variable(script, "POD_CIDR") == "10.244.0.0/16"
    assert script.index("verify_sha256 ") < script.index("kubectl apply")
