"""The upgrade scripts, run by bash: what an upgrade step decides from the versions it finds, the order
of a control-plane upgrade (snapshot first), and a worker's drain, upgrade and uncordon. kubectl,
kubeadm, kubelet and systemctl are stand-ins; the repository and package functions log what they
would do, since they change the machine's apt configuration."""

from pathlib import Path

import pytest

from tests.shell import run_function, stand_in

# The package functions of scripts/lib/kubernetes-packages.sh, logging instead of changing apt.
LOGGED_PACKAGES = (
    'use_kubernetes_repository() { echo "repository $*" >>"$CALLS"; }; '
    'install_held() { echo "install $*" >>"$CALLS"; }; '
)


def kubectl(cluster: str, kubelet: str, annotation: str = "", control_planes: int = 1) -> str:
    """A kubectl for a cluster at version `cluster` whose node's kubelet is at `kubelet`."""
    listed = "\\n".join(f"node/lab-cp-{i}" for i in range(control_planes))
    return f"""case "$*" in
  *kubeadm-config*) printf 'kind: ClusterConfiguration\\nkubernetesVersion: {cluster}\\n' ;;
  *kubeletVersion*) echo {kubelet} ;;
  *drained-for-upgrade*) echo "{annotation}" ;;
  *node-role.kubernetes.io/control-plane*) printf '{listed}\\n' ;;
esac"""


def run_script(tmp_path: Path, script: str, call: str, **variables):
    calls = tmp_path / "calls.log"
    result = run_function(
        script, LOGGED_PACKAGES + call, CALLS=str(calls), LOG_FILE=str(tmp_path / "u.log"), **variables
    )
    return result, calls.read_text().splitlines() if calls.exists() else []


@pytest.mark.parametrize(
    "cluster, kubelet, target, decision",
    [("1.36", "1.36", "1.36", "done"), ("1.37", "1.36", "1.37", "kubelet"), ("1.36", "1.36", "1.37", "upgrade")],
)
def test_what_an_upgrade_step_does(tmp_path, cluster, kubelet, target, decision):
    result, _ = run_script(
        tmp_path,
        "bootstrap/upgrade-node.sh",
        f"upgrade_decision {cluster} {kubelet} {target}",
        NODE_NAME="n",
        TARGET_MINOR=target,
    )
    assert (result.returncode, result.stdout.strip()) == (0, decision)


@pytest.mark.parametrize(
    "cluster, target, said",
    [
        (
            "1.35",
            "1.37",
            "kubernetesVersion 1.37 skips 1.36, and kubeadm upgrades one minor at a time. "
            "Set kubernetesVersion to 1.36",
        ),
        (
            "1.37",
            "1.36",
            "kubernetesVersion 1.36 would go down, which kubeadm cannot do. Set kubernetesVersion back to 1.37",
        ),
        ("1.9", "1.11", "skips 1.10"),
    ],
)
def test_skipping_a_minor_or_going_down_is_refused(tmp_path, cluster, target, said):
    result, _ = run_script(
        tmp_path,
        "bootstrap/upgrade-node.sh",
        f"upgrade_decision {cluster} {cluster} {target}",
        NODE_NAME="n",
        TARGET_MINOR=target,
    )
    assert result.returncode == 1 and said in " ".join(result.stderr.split())


# --- the control plane --------------------------------------------------------------------------------

SCRIPT_CP = "bootstrap/upgrade-control-plane.sh"
CONTROL_PLANE = {"NODE_NAME": "lab-cp", "BACKUP_UNIT": "kubeadm-aws-etcd-backup", "ADMIN_KUBECONFIG": "k"}


def upgrade_control_plane(tmp_path: Path, cluster: str, kubelet: str, target: str, control_planes: int = 3):
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "kubectl", kubectl(cluster, kubelet, control_planes=control_planes))
    stand_in(bin_dir, "kubeadm", 'case "$*" in "version -o short") echo v1.37.2 ;; esac')
    path = stand_in(bin_dir, "systemctl", "true")
    return run_script(
        tmp_path, "bootstrap/upgrade-control-plane.sh", "main", **CONTROL_PLANE, TARGET_MINOR=target, PATH=path
    )


def test_a_control_plane_upgrade_takes_a_snapshot_before_changing_anything(tmp_path):
    result, calls = upgrade_control_plane(tmp_path, cluster="v1.36.4", kubelet="v1.36.4", target="1.37")
    assert result.returncode == 0, result.stderr
    changes = [c for c in calls if not c.startswith("kubectl get") and not c.startswith("kubectl -n kube-system get")]
    assert changes[:4] == [
        "systemctl start kubeadm-aws-etcd-backup.service",
        "repository 1.37",
        "install kubeadm",
        "kubeadm version -o short",
    ]
    apply = changes.index("kubeadm upgrade apply --yes v1.37.2")
    drain = next(i for i, c in enumerate(changes) if c.startswith("kubectl drain lab-cp"))
    kubelet = changes.index("install kubelet kubectl")
    restart = changes.index("systemctl restart kubelet")
    uncordon = changes.index("kubectl uncordon lab-cp")
    assert apply < drain < kubelet < restart < uncordon
    assert "the control plane was upgraded to Kubernetes 1.37" in result.stdout


@pytest.mark.parametrize("control_planes, mode", [(1, "cordon"), (3, "drain"), (5, "drain")])
def test_a_kubelet_is_drained_only_where_its_pods_have_another_control_plane_to_go_to(control_planes, mode):
    decided = run_function(SCRIPT_CP, f"kubelet_upgrade_mode {control_planes}", **CONTROL_PLANE, TARGET_MINOR="1.37")
    assert decided.stdout.strip() == mode, decided.stderr


def test_the_only_control_plane_is_cordoned_not_drained(tmp_path):
    # Its EBS CSI controller replicas are bound to control planes, and their budget lets one be away: a
    # drain would wait for the second eviction until it timed out, every run.
    result, calls = upgrade_control_plane(
        tmp_path, cluster="v1.36.4", kubelet="v1.36.4", target="1.37", control_planes=1
    )
    assert result.returncode == 0, result.stderr
    assert "kubectl cordon lab-cp" in calls and not [c for c in calls if c.startswith("kubectl drain")]
    assert calls.index("kubectl cordon lab-cp") < calls.index("systemctl restart kubelet")
    assert calls.index("systemctl restart kubelet") < calls.index("kubectl uncordon lab-cp")


def test_an_api_that_does_not_list_the_control_planes_decides_nothing(tmp_path):
    # A failed lookup is no count of one: the step fails before its drain or cordon.
    bin_dir = tmp_path / "bin"
    body = kubectl("v1.36.4", "v1.36.4").replace('case "$*" in', 'case "$*" in\n  *control-plane*) exit 1 ;;', 1)
    stand_in(bin_dir, "kubectl", body)
    stand_in(bin_dir, "kubeadm", 'case "$*" in "version -o short") echo v1.37.2 ;; esac')
    path = stand_in(bin_dir, "systemctl", "true")
    result, calls = run_script(
        tmp_path, SCRIPT_CP, "upgrade_this_kubelet", **CONTROL_PLANE, TARGET_MINOR="1.37", PATH=path
    )
    assert result.returncode != 0
    assert not [c for c in calls if c.startswith(("kubectl cordon", "kubectl drain"))]


def test_at_the_target_minor_nothing_changes(tmp_path):
    result, calls = upgrade_control_plane(tmp_path, cluster="v1.37.2", kubelet="v1.37.2", target="1.37")
    assert result.returncode == 0 and "already runs Kubernetes 1.37" in result.stdout
    assert all(c.startswith("kubectl") and " get " in c for c in calls), calls


def test_a_half_done_upgrade_finishes_the_kubelet(tmp_path):
    result, calls = upgrade_control_plane(tmp_path, cluster="v1.37.2", kubelet="v1.36.4", target="1.37")
    assert result.returncode == 0, result.stderr
    assert "install kubelet kubectl" in calls and not any("upgrade apply" in c for c in calls)
    assert "systemctl start kubeadm-aws-etcd-backup.service" not in calls


def test_a_refused_upgrade_changes_nothing(tmp_path):
    result, calls = upgrade_control_plane(tmp_path, cluster="v1.35.9", kubelet="v1.35.9", target="1.37")
    assert result.returncode == 1 and "skips 1.36" in " ".join(result.stderr.split())
    assert all(" get " in c for c in calls), calls


# --- a worker ---------------------------------------------------------------------------------------


def drain(tmp_path: Path, kubectl_body: str, **extra):
    path = stand_in(tmp_path / "bin", "kubectl", kubectl_body)
    variables = {"NODE_NAME": "w1", "TARGET_MINOR": "1.37", "ADMIN_KUBECONFIG": "k", "PATH": path, **extra}
    return run_script(tmp_path, "bootstrap/drain-for-upgrade.sh", "main", **variables)


def test_a_worker_behind_is_drained_honouring_disruption_budgets(tmp_path):
    result, calls = drain(tmp_path, kubectl("v1.37.2", "v1.36.4"))
    assert result.returncode == 0, result.stderr
    assert "kubectl annotate node w1 --overwrite kubeadm-aws/drained-for-upgrade=1.37" in calls
    drains = [c for c in calls if c.startswith("kubectl drain w1")]
    assert drains == ["kubectl drain w1 --ignore-daemonsets --delete-emptydir-data --timeout=300s"]


def test_a_worker_at_the_target_is_not_drained(tmp_path):
    result, calls = drain(tmp_path, kubectl("v1.37.2", "v1.37.2"))
    assert result.returncode == 0 and not any("drain" in c or "annotate" in c for c in calls)


def test_a_drain_a_disruption_budget_holds_up_fails_before_the_worker_changes(tmp_path):
    refusing = '  drain*) echo "Cannot evict pod as it would violate the disruption budget" >&2; exit 1 ;;\nesac'
    result, _ = drain(tmp_path, kubectl("v1.37.2", "v1.36.4").replace("esac", refusing), DRAIN_TIMEOUT_SECONDS="1")
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "a PodDisruptionBudget may not allow it (kubectl get pdb -A). Nothing on w1 was upgraded" in message


def test_a_worker_upgrades_its_kubeadm_then_the_node_then_its_kubelet(tmp_path):
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "kubelet", "echo Kubernetes v1.36.4")
    stand_in(bin_dir, "kubeadm", "true")
    path = stand_in(bin_dir, "systemctl", "true")
    result, calls = run_script(
        tmp_path, "bootstrap/upgrade-node.sh", "main", NODE_NAME="w1", TARGET_MINOR="1.37", PATH=path
    )
    assert result.returncode == 0, result.stderr
    assert calls[1:] == [
        "repository 1.37",
        "install kubeadm",
        "kubeadm upgrade node",
        "install kubelet kubectl",
        "systemctl daemon-reload",
        "systemctl restart kubelet",
    ]


@pytest.mark.parametrize("drained, uncordoned", [("1.37", True), ("", False)])
def test_only_a_worker_the_upgrade_drained_is_uncordoned(tmp_path, drained, uncordoned):
    path = stand_in(tmp_path / "bin", "kubectl", kubectl("v1.37.2", "v1.37.2", annotation=drained))
    result, calls = run_script(
        tmp_path,
        "bootstrap/uncordon-after-upgrade.sh",
        "main",
        NODE_NAME="w1",
        TARGET_MINOR="1.37",
        ADMIN_KUBECONFIG="k",
        PATH=path,
    )
    assert result.returncode == 0, result.stderr
    assert ("kubectl uncordon w1" in calls) is uncordoned
    assert any(c.startswith("kubectl wait --for=condition=Ready node/w1") for c in calls)
