"""The failure matrix: each node step, exactly as the program renders it with its stdin, run on a new
machine (tests/fresh_node.py) in each case a real node meets: new, re-run after success, first attempt
failing halfway, a half-done earlier run, the API server away for a while or for long. Every cell ends
with the step complete, or failed with the node's own message and every file on the node as it was:
never a reset of a healthy node, never an etcd member removed without its replacement joining."""

from __future__ import annotations

import atexit
import functools
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.fresh_node import Cluster, Node
from tests.graph import cluster as program_run
from tests.graph import commands
from tests.harness import run_program, stack_config
from tests.mocks import join_token_for
from tests.remote import script_of
from tests.test_kubeadm_config import init_documents

# Minutes of work on one shared bring-up: make test-fast leaves it out; with several test processes every
# cell runs in the same one, which builds the bring-up once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("fresh-node")]

# How long the join steps wait for an API server that does not answer before they give up, and the
# backoff between join attempts (scripts/lib/join.sh), on the stand-ins' clock.
API_WAIT_SECONDS = 300
FIRST = "kubeadm-lab-control-plane"
SHORT_OUTAGE, LONG_OUTAGE = 40, 3600


@functools.cache
def ha_run():
    return run_program(stack_config(controlPlaneCount=3, allowedCidrs=["203.0.113.7/32"]))


@dataclass(frozen=True)
class StepUnderTest:
    """A node step as the program renders it: where it runs and what says it is done."""

    name: str  # the command resource
    node: str
    program: Callable
    control_plane: bool = False

    def command(self):
        return self.program().named(self.name)

    def cluster(self, tmp_path) -> Cluster:
        """The cluster it joins: the stack's CA, the node's token, the first control plane registered."""
        run = self.program()
        ca = run.named("pki-ca").state["certPem"]
        found = Cluster(tmp_path / "cluster", ca, tokens=(join_token_for(f"{self.node}-join-token"),))
        found.save("nodes", [{"metadata": {"name": "kubeadm-lab-control-plane"}}])
        found.save("etcd-members", [{"id": "m1", "name": "kubeadm-lab-control-plane", "ip": "10.0.0.10"}])
        return found

    def setup(self, tmp_path) -> tuple[Cluster, Node]:
        cluster = self.cluster(tmp_path)
        stored = yaml.safe_dump(init_documents(self.program())["ClusterConfiguration"])
        configuration = {"metadata": {"name": "kubeadm-config", "namespace": "kube-system"},
                         "data": {"ClusterConfiguration": stored}}  # fmt: skip
        cluster.save("configmaps", [*cluster.read("configmaps", []), configuration])
        return cluster, Node(tmp_path, cluster, self.node)

    def run(self, node: Node):
        command = self.command()
        return node.run(script_of(command.inputs["create"]), command.inputs.get("stdin") or "")

    def done(self, cluster: Cluster, node: Node) -> bool:
        joined = self.node in cluster.nodes() and node.has("/etc/kubernetes/kubelet.conf")
        if self.control_plane:
            joined = joined and self.node in cluster.etcd_members() and node.has("/home/ubuntu/.kube/config")
        return joined


STEPS = [
    StepUnderTest("kubeadm-lab-worker-1-join", "kubeadm-lab-worker-1", program_run),
    StepUnderTest("kubeadm-lab-control-plane-2-join", "kubeadm-lab-control-plane-2", ha_run, control_plane=True),
]


def files(node: Node) -> dict[str, str]:
    return {path: state for path, state in node.disk().items() if not state.startswith("dir")}


def new_node(step, cluster, node):
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert step.done(cluster, node)


def rerun_after_success(step, cluster, node):
    assert step.run(node).returncode == 0
    before, calls = files(node), len(cluster.calls("kubeadm"))
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert "already joined" in result.stdout
    assert files(node) == before and cluster.calls("kubeadm")[calls:] == []


def first_attempt_fails_halfway(step, cluster, node):
    # kubeadm writes the kubelet's kubeconfigs, then times out waiting for its TLS bootstrap.
    cluster.fault("kubeadm", "kubelet-bootstrap")
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert "failed (attempt 1 of 3)" in result.stderr and "joined the cluster (attempt 2)" in result.stdout
    assert cluster.calls("sleep") == ["sleep 60"]  # the backoff after the first attempt
    assert step.done(cluster, node)


def half_done_earlier_run(step, cluster, node):
    # An earlier run stopped after kubeadm wrote the kubelet's kubeconfig, before any reset (the SSH
    # session dropped): the cluster does not know the node.
    cluster.fault("kubeadm", "connection-lost")
    interrupted = step.run(node)
    assert interrupted.returncode != 0 and node.has("/etc/kubernetes/kubelet.conf")
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert step.done(cluster, node)


def api_away_briefly_on_a_new_node(step, cluster, node):
    cluster.away(SHORT_OUTAGE)
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert step.done(cluster, node)


def api_away_briefly_on_a_joined_node(step, cluster, node):
    assert step.run(node).returncode == 0
    before = files(node)
    cluster.away(SHORT_OUTAGE)
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert files(node) == before and "already joined" in result.stdout


def api_away_long_on_a_joined_node(step, cluster, node):
    # The node is healthy; only its API server is away: the step fails and touches nothing.
    assert step.run(node).returncode == 0
    before, members = files(node), cluster.etcd_members()
    cluster.away(LONG_OUTAGE)
    result = step.run(node)
    assert result.returncode != 0
    assert f"did not answer within {API_WAIT_SECONDS}s" in result.stderr
    assert files(node) == before and cluster.etcd_members() == members
    assert cluster.calls("kubeadm reset") == [] and cluster.calls("kubeadm join")[1:] == []


def api_away_long_on_a_new_node(step, cluster, node):
    # Every attempt fails; the node is left as new, for the next pulumi up to retry.
    before = files(node)
    cluster.away(LONG_OUTAGE)
    result = step.run(node)
    assert result.returncode != 0 and "connection refused" in result.stderr
    assert files(node) == before
    assert step.node not in cluster.etcd_members()


CASES = [
    new_node,
    rerun_after_success,
    first_attempt_fails_halfway,
    half_done_earlier_run,
    api_away_briefly_on_a_new_node,
    api_away_briefly_on_a_joined_node,
    api_away_long_on_a_joined_node,
    api_away_long_on_a_new_node,
]


# --- the first control plane of a highly available cluster, replaced: join the others or build? --------

TAINT = {"key": "node-role.kubernetes.io/control-plane", "value": "", "effect": "NoSchedule"}
OLD_ADDRESS = "10.0.9.7"  # its old machine's, still an etcd member


@dataclass(frozen=True)
class FirstControlPlane(StepUnderTest):
    """The init step of the first of three control planes, on its new machine, in a cluster whose other
    two run (or not, as each case says)."""

    def cluster(self, tmp_path) -> Cluster:
        run = self.program()
        found = Cluster(tmp_path / "cluster", run.named("pki-ca").state["certPem"])
        others = run.outputs["controlPlanePrivateIps"][1:]
        found.save("nodes", [{"metadata": {"name": n}} for n in (FIRST, f"{FIRST}-2", f"{FIRST}-3")])
        found.save("etcd-members", [{"id": "old1", "name": FIRST, "ip": OLD_ADDRESS}] + [
            {"id": f"m{i}", "name": f"{FIRST}-{i}", "ip": ip} for i, ip in enumerate(others, 2)
        ])  # fmt: skip
        found.save("namespaces", [{"metadata": {"name": "kube-system", "uid": "3f1c2a9e"}}])
        return found

    def others(self) -> list[str]:
        return self.program().outputs["controlPlanePrivateIps"][1:]

    def address(self) -> str:
        return self.program().outputs["controlPlanePrivateIps"][0]

    def others_say(self, cluster: Cluster, said: str) -> None:
        for ip in self.others():
            for port in (6443, 2379):
                cluster.endpoint(f"{ip}:{port}", said)

    def rejoined(self, cluster: Cluster, node: Node) -> bool:
        members = {m["name"]: m for m in cluster.read("etcd-members", [])}
        return (
            FIRST in cluster.nodes()
            and members[FIRST].get("ip") == self.address()
            and "old1" not in {m["id"] for m in members.values()}
            and node.has("/etc/kubernetes/admin.conf")
            and node.has("/home/ubuntu/.kube/config")
        )


def others_answer(step, cluster, node):
    step.others_say(cluster, "answers")
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert step.rejoined(cluster, node) and result.stdout.strip() == "cluster-id=3f1c2a9e"
    assert "kubeadm init --config" not in "\n".join(cluster.calls("kubeadm"))


def others_answer_from_a_configuration_stored_before_a_flag(step, cluster, node):
    # The others stored the cluster's configuration before the stack's newest API server flag: this step
    # stores it, so that their steps find it (a joined control plane takes it from there).
    maps = cluster.read("configmaps", [])
    for item in maps:
        if item["metadata"]["name"] == "kubeadm-config":
            stored = item["data"]["ClusterConfiguration"]
            item["data"]["ClusterConfiguration"] = stored.replace(",DenyServiceExternalIPs", "")
    cluster.save("configmaps", maps)
    step.others_say(cluster, "answers")
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert step.rejoined(cluster, node) and runs_every_hardening_flag(node)
    (stored,) = [m for m in cluster.read("configmaps", []) if m["metadata"]["name"] == "kubeadm-config"]
    assert "DenyServiceExternalIPs" in stored["data"]["ClusterConfiguration"]


def others_start_answering_after_a_while(step, cluster, node):
    # Their machines are starting: no answer at first, then their API servers and etcd answer.
    step.others_say(cluster, "silent")
    cluster.fault("curl", *["silent"] * 6)
    step.others_say(cluster, "answers")
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert step.rejoined(cluster, node)


def refused_changing_nothing(step, cluster, node, said: str, reason: str):
    """With the others saying `said`, the step fails saying `reason` and leaves the node and etcd as they
    were."""
    step.others_say(cluster, said)
    before, members = files(node), cluster.etcd_members()
    result = step.run(node)
    assert result.returncode == 1 and reason in result.stderr
    assert files(node) == before and cluster.etcd_members() == members
    assert cluster.calls("kubeadm") == []


def others_silent_for_long(step, cluster, node):
    # Stopped, or gone without leaving the stack: never a second etcd beside them.
    refused_changing_nothing(step, cluster, node, "silent", "a new cluster beside them would be a second etcd")


def others_without_a_route(step, cluster, node):
    # No route to them (curl exits 7, as for a refused connection): that is no proof they are gone.
    refused_changing_nothing(step, cluster, node, "unreachable", "a new cluster beside them would be a second etcd")


def others_up_serving_nothing_after_the_cluster_ran(step, cluster, node):
    cluster.save("s3", {step.program().outputs["etcdBackupBucket"]: ["etcd/latest.db"]})
    refused_changing_nothing(step, cluster, node, "refused", "building a new one would lose it")


def the_clusters_first_build(step, cluster, node):
    # The others' machines are up and serve nothing yet, the bucket is empty: this one builds it.
    step.others_say(cluster, "refused")
    cluster.save("nodes", [])
    cluster.save("etcd-members", [])
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert "kubeadm init --config /etc/kubeadm-aws/kubeadm-config.yaml" in cluster.calls("kubeadm")
    assert cluster.etcd_members() == [FIRST] and node.has("/home/ubuntu/.kube/config")


@dataclass(frozen=True)
class LoneControlPlane(StepUnderTest):
    """The init step of a single control plane, on the new machine that replaced it: the bucket holds a
    snapshot of the cluster, whose Node still names the old machine (with `taints`, or none where the
    control plane runs workloads)."""

    taints: tuple = ()

    def cluster(self, tmp_path) -> Cluster:
        run = self.program()
        found = Cluster(tmp_path / "cluster", run.named("pki-ca").state["certPem"])
        old = {"metadata": {"name": FIRST, "labels": {"node-role.kubernetes.io/control-plane": ""}},
               "spec": {"providerID": "aws:///ap-south-1a/i-0old", "taints": list(self.taints)},
               "status": {"addresses": [{"type": "InternalIP", "address": OLD_ADDRESS}]}}  # fmt: skip
        found.save("nodes", [old, {"metadata": {"name": "kubeadm-lab-worker-1"}}])
        found.save("namespaces", [{"metadata": {"name": "kube-system", "uid": "3f1c2a9e"}}])
        found.save("s3", {run.outputs["etcdBackupBucket"]: ["etcd/latest.db"]})
        return found


def restores_on_a_new_machine(step, cluster, node):
    run = step.program()
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cluster-id=3f1c2a9e"  # the same cluster, restored
    (restore,) = [c for c in cluster.calls("etcdutl snapshot restore")]
    assert "--bump-revision 1000000000 --mark-compacted" in restore
    # The Node names this machine now, not the one it replaced, and is a control plane again.
    (registered,) = [n for n in cluster.read("nodes", []) if n["metadata"]["name"] == FIRST]
    instance = run.named(FIRST).id
    assert registered["status"]["addresses"] == [
        {"type": "InternalIP", "address": run.outputs["controlPlanePrivateIp"]}
    ]
    assert registered["spec"]["providerID"].endswith(f"/{instance}")
    labels = registered["metadata"]["labels"]
    assert "node-role.kubernetes.io/control-plane" in labels  # and out of external load balancers, as kubeadm marks
    assert "node.kubernetes.io/exclude-from-external-load-balancers" in labels
    # Its taints are the old Node's: none where it ran workloads, the control plane's otherwise.
    assert registered["spec"].get("taints", []) == list(step.taints)


def a_bucket_that_cannot_be_asked(step, cluster, node):
    cluster.fault("aws", *["fail"] * 8)
    before = files(node)
    result = step.run(node)
    assert result.returncode == 1 and "not building a new cluster" in result.stderr
    assert files(node) == before and cluster.calls("kubeadm init") == []


LONE_CASES = [restores_on_a_new_machine, a_bucket_that_cannot_be_asked]

FIRST_CASES = [
    others_answer,
    others_answer_from_a_configuration_stored_before_a_flag,
    others_start_answering_after_a_while,
    others_silent_for_long,
    others_without_a_route,
    others_up_serving_nothing_after_the_cluster_ran,
    the_clusters_first_build,
]
# --- every other step, on the machines the steps before it left: the whole bring-up, new ----------------


def one_worker():
    return program_run(workers=1)


def machines(run) -> dict[str, str]:
    """Each address a step connects to, and the name of the node behind it."""
    out = run.outputs
    found = {out["controlPlanePublicIp"]: FIRST, out["controlPlanePrivateIp"]: FIRST}
    for i, (public, private) in enumerate(zip(out["workerPublicIps"], out["workerPrivateIps"], strict=True), 1):
        found[public] = found[private] = f"kubeadm-lab-worker-{i}"
    return found


class BringUp:
    """The stack's steps run in the program's order (an order the engine may take: each after what it
    depends on) on new machines, one Node per instance, in one cluster. A copy of every machine and of
    the cluster is kept before and after each step, for the cells to start from."""

    def __init__(self, program: Callable):
        self.program = program
        self.root = Path(tempfile.mkdtemp(prefix="bring-up-"))
        atexit.register(shutil.rmtree, self.root, ignore_errors=True)
        run = program()
        tokens = tuple(join_token_for(name.removesuffix("-join") + "-join-token")
                       for name in commands(run) if name.endswith("-join"))  # fmt: skip
        live = self.root / "live"
        self.cluster = Cluster(live / "cluster", run.named("pki-ca").state["certPem"], tokens=tokens, built=False)
        self.nodes = {name: Node(live, self.cluster, name) for name in set(machines(run).values())}
        self.results: dict[str, subprocess.CompletedProcess] = {}
        for name, command in commands(run).items():
            self.keep(f"before-{name}")
            self.results[name] = self.node_of(command).run(script_of(command.inputs["create"]),
                                                           command.inputs.get("stdin") or "")  # fmt: skip
            self.keep(f"after-{name}")

    def node_of(self, command) -> Node:
        return self.nodes[machines(self.program())[command.inputs["connection"]["host"]]]

    def keep(self, label: str) -> None:
        # cp -a keeps the overlays' whiteouts (character devices) and the owners.
        subprocess.run(["cp", "-a", str(self.root / "live"), str(self.root / label)], check=True)

    def copy(self, label: str, tmp_path: Path) -> tuple[Cluster, dict[str, Node]]:
        """The machines and the cluster as they were at `label`, copied under tmp_path."""
        target = tmp_path / "copy"
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-a", str(self.root / label), str(target)], check=True)
        cluster = Cluster.reopen(target / "cluster")
        cluster.machines = {name: Node.reopen(target, cluster, name) for name in self.nodes}
        return cluster, cluster.machines

    def calls(self, name: str) -> list[str]:
        """What the step called, in order, in the bring-up."""
        before, after = (len((self.root / f"{at}-{name}/cluster/kube-state/calls.log").read_text().splitlines())
                         for at in ("before", "after"))  # fmt: skip
        return (self.root / f"after-{name}/cluster/kube-state/calls.log").read_text().splitlines()[before:after]


@functools.cache
def bring_up(program: Callable) -> BringUp:
    return BringUp(program)


@dataclass(frozen=True)
class ChainStep(StepUnderTest):
    """A step on the machines as the steps before it left them (BringUp)."""

    def setup(self, tmp_path) -> tuple[Cluster, Node]:
        cluster, nodes = bring_up(self.program).copy(f"before-{self.name}", tmp_path)
        return cluster, nodes[self.node]

    def after(self, tmp_path) -> tuple[Cluster, Node]:
        """The machines and the cluster as this step left them in the bring-up."""
        cluster, nodes = bring_up(self.program).copy(f"after-{self.name}", tmp_path / "after")
        return cluster, nodes[self.node]

    def run_delete(self, node: Node):
        command = self.command()
        return node.run(script_of(command.inputs["delete"]), command.inputs.get("stdin") or "")

    def faulty_calls(self) -> list[tuple[str, int]]:
        """Each call the step made in the bring-up to a tool that can fail on request, with how many calls
        to that tool came before it."""
        found, seen = [], {}
        for call in bring_up(self.program).calls(self.name):
            tool = call.split(" ", 1)[0]
            if tool in FAULTY_TOOLS:
                found.append((tool, seen.get(tool, 0)))
                seen[tool] = seen.get(tool, 0) + 1
        return found


def every_file(cluster: Cluster) -> dict[str, dict[str, str]]:
    return {name: files(node) for name, node in cluster.machines.items()}


def run_and_record(step, cluster, node):
    """Runs the step; returns its result and the tool calls it made."""
    start = len(cluster.calls(""))
    result = step.run(node)
    return result, cluster.calls("")[start:]


def no_reset_nor_join(calls: list[str]) -> bool:
    return not any(call.startswith(("kubeadm reset", "kubeadm join", "kubeadm init ")) for call in calls)


def completes_on_the_bring_up(step, cluster, node):
    result = bring_up(step.program).results[step.name]
    assert result.returncode == 0, result.stderr


def rerun_changes_nothing(step, cluster, node):
    cluster, node = step.after(node.disk_dir.parent.parent)
    before, members = every_file(cluster), cluster.etcd_members()
    result, calls = run_and_record(step, cluster, node)
    assert result.returncode == 0, result.stderr
    assert every_file(cluster) == before and cluster.etcd_members() == members
    assert no_reset_nor_join(calls), calls


def api_away_for_long(step, cluster, node):
    before, members = every_file(cluster), cluster.etcd_members()
    healthy = node.has("/etc/kubernetes/kubelet.conf")  # a new machine may be reset between attempts
    cluster.away(LONG_OUTAGE)
    result, calls = run_and_record(step, cluster, node)
    if result.returncode != 0:  # failed with its own message, every machine as it was
        assert result.stderr.strip(), "failed without a word"
        assert every_file(cluster) == before
    assert cluster.etcd_members() == members
    assert not healthy or not any(c.startswith("kubeadm reset") for c in calls), calls


def api_away_briefly(step, cluster, node):
    # Away for SHORT_OUTAGE seconds as the step starts: it completes, or fails leaving every machine as it
    # was; then a re-run completes.
    before = every_file(cluster)
    cluster.away(SHORT_OUTAGE)
    result = step.run(node)
    if result.returncode != 0:
        assert result.stderr.strip(), "failed without a word"
        assert every_file(cluster) == before
        cluster.away(0)
        result = step.run(node)
    assert result.returncode == 0, result.stderr


def deleted_after_the_bring_up(step, cluster, node):
    # The step's delete (pulumi destroy, or its node replaced) on the cluster the bring-up left: done, and
    # done again when run twice (the engine retries a failed delete).
    cluster, node = step.after(node.disk_dir.parent.parent)
    for _ in range(2):
        result = step.run_delete(node)
        assert result.returncode == 0, result.stderr


def deleted_with_the_api_away(step, cluster, node):
    # A delete on a cluster whose API server does not answer (the control plane stopped, or going too) is
    # best effort: it says what it could not do and succeeds, so that the destroy goes on.
    cluster, node = step.after(node.disk_dir.parent.parent)
    cluster.away(LONG_OUTAGE)
    result = step.run_delete(node)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip(), "gave up without a word"


def a_tool_fails_halfway_then_a_rerun(step, cluster, node):
    # The middle of the calls the step made in the bring-up fails (kubectl: an error of the API server;
    # systemctl: a unit that does not start); the step fails saying so or retries, and a re-run completes.
    calls = step.faulty_calls()
    if not calls:
        pytest.skip(f"nothing to fail: {step.name} called none of {', '.join(FAULTY_TOOLS)} in the bring-up")
    tool, index = calls[len(calls) // 2]
    cluster.fault(tool, *["pass"] * index, "fail")
    first, made = run_and_record(step, cluster, node)
    assert first.returncode == 0 or first.stderr.strip(), "failed without a word"
    cluster.save("faults", {})
    result, more = run_and_record(step, cluster, node)
    assert result.returncode == 0, result.stderr
    assert not any(c.startswith("kubeadm reset") for c in made + more)


FAULTY_TOOLS = ("kubectl", "systemctl", "crictl", "aws")
CHAIN_CASES = [completes_on_the_bring_up, rerun_changes_nothing, api_away_briefly, api_away_for_long,
               a_tool_fails_halfway_then_a_rerun, deleted_after_the_bring_up, deleted_with_the_api_away]  # fmt: skip
DELETE_CASES = (deleted_after_the_bring_up, deleted_with_the_api_away)
# --- an upgrade under PodDisruptionBudgets, on the bring-up's cluster -------------------------------------

BEHIND = "v1.35.9"  # a kubelet one minor behind the cluster (v1.36): `kubeadm upgrade apply` ran, the rest not


@dataclass(frozen=True)
class BehindOnUpgrade(ChainStep):
    """An upgrade step on the cluster the whole bring-up left (the EBS CSI controller's two replicas on
    the control plane under their budget, maxUnavailable 1), with the kubelet of `behind` a minor
    behind, and `workload` (a Deployment and its budget) applied first."""

    behind: str = FIRST
    workload: str = ""

    def setup(self, tmp_path) -> tuple[Cluster, Node]:
        last = list(commands(self.program()))[-1]
        cluster, nodes = bring_up(self.program).copy(f"after-{last}", tmp_path)
        found = cluster.read("nodes", [])
        for item in found:
            if item["metadata"]["name"] == self.behind:
                item["status"]["nodeInfo"]["kubeletVersion"] = BEHIND
        cluster.save("nodes", found)
        if self.workload:
            applied = nodes[FIRST].run(f"kubectl --kubeconfig {ADMIN} apply -f - <<'EOF'\n{self.workload}\nEOF\n")
            assert applied.returncode == 0, applied.stderr
        return cluster, nodes[self.node]


ADMIN = "/etc/kubernetes/admin.conf"
CSI_CONTROLLER = "ebs-csi-controller"


def pods_of(cluster: Cluster, owner: str) -> list[dict]:
    return [
        p for p in cluster.read("pods", []) if owner in [o["name"] for o in p["metadata"].get("ownerReferences", [])]
    ]


def the_only_control_plane_upgrades_its_kubelet_in_place(step, cluster, node):
    # A drain could never finish here (below); the step cordons, upgrades the kubelet, uncordons, and
    # the CSI controller's replicas keep running where they are.
    controllers = pods_of(cluster, CSI_CONTROLLER)
    assert len(controllers) == 2 and {p["spec"]["nodeName"] for p in controllers} == {FIRST}
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert "kubelet now runs Kubernetes 1.36" in result.stdout
    assert pods_of(cluster, CSI_CONTROLLER) == controllers
    (upgraded,) = [n for n in cluster.read("nodes", []) if n["metadata"]["name"] == FIRST]
    assert upgraded["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.36")
    assert not upgraded["spec"].get("unschedulable")
    assert not any(call.startswith("kubectl drain") for call in cluster.calls("kubectl"))


def a_drain_of_the_only_control_plane_waits_on_the_budget(step, cluster, node):
    # What the step did before: one replica is evicted, its replacement has nowhere to run (the node is
    # cordoned, the controller runs only on control planes) and the budget refuses the second.
    result = node.run(f"kubectl --kubeconfig {ADMIN} drain {FIRST} --ignore-daemonsets --timeout=300s")
    assert result.returncode == 1 and "global timeout reached: 5m0s" in result.stderr
    assert [p["status"]["phase"] for p in pods_of(cluster, CSI_CONTROLLER)] == ["Running", "Pending"]


WEB = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: default}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}"""


def a_budget_holds_the_drain_and_nothing_is_upgraded(step, cluster, node):
    # The worker's only web replica may not go (minAvailable 1): the drain fails within its timeout,
    # saying why; the worker stays cordoned (as the step says) and its packages are untouched.
    (web,) = pods_of(cluster, "web")
    assert web["spec"]["nodeName"] == step.behind
    result = step.run(node)
    assert result.returncode == 1 and "a PodDisruptionBudget may not allow it" in result.stderr
    assert "global timeout reached: 5m0s" in result.stderr
    assert pods_of(cluster, "web") == [web]
    (worker,) = [n for n in cluster.read("nodes", []) if n["metadata"]["name"] == step.behind]
    assert worker["spec"]["unschedulable"] is True
    assert not any(call.startswith("kubectl uncordon") for call in cluster.calls("kubectl"))


# --- a control plane built before a hardening flag takes it on the next run of its step ------------------

API_SERVER_MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml"
AS_BUILT_BEFORE = f"sed -i 's/,DenyServiceExternalIPs$//' {API_SERVER_MANIFEST}"  # kubeadm's default


def runs_every_hardening_flag(node: Node) -> bool:
    return "--enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs" in node.read(API_SERVER_MANIFEST)


def the_first_control_plane_takes_a_new_flag(step, cluster, node):
    cluster, node = step.after(node.disk_dir.parent.parent)
    assert node.run(AS_BUILT_BEFORE).returncode == 0 and not runs_every_hardening_flag(node)
    pid = cluster.read("api-servers", {})[FIRST]
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert "hardened the API server" in result.stderr and runs_every_hardening_flag(node)
    assert cluster.read("api-servers", {})[FIRST] > pid  # the kubelet started it anew
    (stored,) = [m for m in cluster.read("configmaps", []) if m["metadata"]["name"] == "kubeadm-config"]
    assert "DenyServiceExternalIPs" in stored["data"]["ClusterConfiguration"]


def a_joined_control_plane_takes_a_new_flag(step, cluster, node):
    assert step.run(node).returncode == 0 and runs_every_hardening_flag(node)
    assert node.run(AS_BUILT_BEFORE).returncode == 0 and not runs_every_hardening_flag(node)
    result, calls = run_and_record(step, cluster, node)
    assert result.returncode == 0, result.stderr
    assert "kubeadm upgrade node phase control-plane --certificate-renewal=false --etcd-upgrade=false" in calls
    assert runs_every_hardening_flag(node) and no_reset_nor_join(calls)


UPGRADE_STEPS = [
    BehindOnUpgrade(f"{FIRST}-upgrade", FIRST, one_worker),
    BehindOnUpgrade(
        "kubeadm-lab-worker-1-drain-for-upgrade", FIRST, one_worker, behind="kubeadm-lab-worker-1", workload=WEB
    ),  # fmt: skip
]
UPGRADE_CELLS = [
    (UPGRADE_STEPS[0], the_only_control_plane_upgrades_its_kubelet_in_place),
    (UPGRADE_STEPS[0], a_drain_of_the_only_control_plane_waits_on_the_budget),
    (UPGRADE_STEPS[1], a_budget_holds_the_drain_and_nothing_is_upgraded),
]


CHAIN_STEPS = [
    ChainStep(name, machines(one_worker())[command.inputs["connection"]["host"]], one_worker)
    for name, command in commands(one_worker()).items()
]
STEPS += CHAIN_STEPS + [
    FirstControlPlane(f"{FIRST}-kubeadm-init", FIRST, ha_run, control_plane=True),
    LoneControlPlane(f"{FIRST}-kubeadm-init", FIRST, program_run, control_plane=True),
    LoneControlPlane(f"{FIRST}-kubeadm-init", FIRST, program_run, control_plane=True, taints=(TAINT,)),
]
CASES_OF = {FirstControlPlane: FIRST_CASES, LoneControlPlane: LONE_CASES, StepUnderTest: CASES,
            ChainStep: CHAIN_CASES}  # fmt: skip


def applies(step, case) -> bool:
    if case in DELETE_CASES:
        return bool(step.command().inputs.get("delete"))
    if case is a_tool_fails_halfway_then_a_rerun:
        return any(tool in script_of(step.command().inputs["create"]) for tool in FAULTY_TOOLS)
    return True


HARDENING_CELLS = [
    (ChainStep(f"{FIRST}-kubeadm-init", FIRST, one_worker), the_first_control_plane_takes_a_new_flag),
    (next(s for s in STEPS if s.name == f"{FIRST}-2-join"), a_joined_control_plane_takes_a_new_flag),
]


def cell_id(step, case) -> str:
    return (
        f"{step.name.removeprefix('kubeadm-lab-')}{'-ha' if isinstance(step, FirstControlPlane) else ''}"
        f"{'-tainted' if getattr(step, 'taints', ()) else ''}/{case.__name__.replace('_', '-')}"
    )


# In the order of their ids: the order the program registers its steps in varies from one process to
# the next, and test processes (pytest-xdist) must collect the same cells in the same order.
CELLS = sorted(
    UPGRADE_CELLS
    + HARDENING_CELLS
    + [(step, case) for step in STEPS for case in CASES_OF[type(step)] if applies(step, case)],
    key=lambda cell: cell_id(*cell),
)


@pytest.mark.parametrize("step, case", CELLS, ids=[cell_id(*cell) for cell in CELLS])
def test_node_step(tmp_path, step, case):
    cluster, node = step.setup(tmp_path)
    case(step, cluster, node)
