"""The pinned manifests as they are (vendored under tests/fixtures, byte for byte what the pins name):
the pod network's CIDR edit works on the real CNI manifests, and no manifest the cluster applies ties
a pod to one CPU architecture, so a Graviton (arm64) node runs every pod an x86 node does. The images
themselves are published for linux/amd64 and linux/arm64 by their projects (not checkable offline)."""

from __future__ import annotations

import hashlib
import shutil

import pytest
import yaml

from components import versions
from components.cluster.phases import smoke_test
from tests.harness import ROOT
from tests.shell import run_function

FIXTURES = ROOT / "tests" / "fixtures"
CNI_FILES = {"calico": FIXTURES / "cni" / "calico.yaml", "flannel": FIXTURES / "cni" / "kube-flannel.yml"}
ARCH_LABELS = ("kubernetes.io/arch", "beta.kubernetes.io/arch")


@pytest.mark.parametrize("cni", sorted(CNI_FILES))
def test_the_vendored_cni_manifest_is_the_pinned_one(cni):
    assert hashlib.sha256(CNI_FILES[cni].read_bytes()).hexdigest() == versions.CNI_MANIFESTS[cni].sha256


@pytest.mark.parametrize("cni, pod_cidr", [("calico", "10.244.0.0/16"), ("flannel", "172.20.0.0/16")])
def test_the_pod_cidr_edit_works_on_the_real_manifest(tmp_path, cni, pod_cidr):
    manifest = tmp_path / CNI_FILES[cni].name
    shutil.copy(CNI_FILES[cni], manifest)
    env = {"CNI": cni, "MANIFEST_URL": "u", "MANIFEST_SHA256": "s", "POD_CIDR": pod_cidr, "ADMIN_KUBECONFIG": "k"}
    result = run_function("bootstrap/install-cni.sh", f'configure_manifest "{manifest}"', **env)
    assert result.returncode == 0, result.stderr
    documents = [d for d in yaml.safe_load_all(manifest.read_text()) if d]
    if cni == "calico":
        (node,) = [d for d in documents if d["kind"] == "DaemonSet" and d["metadata"]["name"] == "calico-node"]
        env_vars = {e["name"]: e.get("value") for e in node["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env_vars["CALICO_IPV4POOL_CIDR"] == pod_cidr
    else:
        (config,) = [d for d in documents if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "kube-flannel-cfg"]
        assert yaml.safe_load(config["data"]["net-conf.json"])["Network"] == pod_cidr


def pod_specs(documents):
    for document in documents:
        spec = (document or {}).get("spec", {})
        if document and document["kind"] == "Pod":
            yield document["metadata"]["name"], spec
        elif "template" in spec:
            yield document["metadata"]["name"], spec["template"]["spec"]


def architectures_allowed(pod_spec) -> set[str] | None:
    """The architectures a pod may run on, or None when it is not restricted."""
    allowed = None
    for key, value in (pod_spec.get("nodeSelector") or {}).items():
        if key in ARCH_LABELS:
            allowed = {value}
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms", []):
        for expression in term.get("matchExpressions", []):
            if expression["key"] in ARCH_LABELS and expression["operator"] == "In":
                allowed = (allowed or set()) | set(expression["values"])
    return allowed


def every_applied_manifest():
    for path in [*CNI_FILES.values(), *(FIXTURES / "addons").glob("*/*.yaml")]:
        yield path.name, list(yaml.safe_load_all(path.read_text()))
    yield "smoke test", [*yaml.safe_load_all(smoke_test.workload()), *yaml.safe_load_all(smoke_test.volume_check())]


def test_no_pod_the_cluster_runs_is_tied_to_x86():
    checked = 0
    for source, documents in every_applied_manifest():
        for name, spec in pod_specs(documents):
            allowed = architectures_allowed(spec)
            assert allowed is None or {"amd64", "arm64"} <= allowed, f"{source}: {name} runs only on {allowed}"
            checked += 1
    assert checked >= 8  # calico-node and its controllers, flannel, the two add-ons' pods, the smoke test's
