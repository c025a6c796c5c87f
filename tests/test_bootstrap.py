"""The bootstrap chain as a whole: which step waits for which, and how deep the chain is."""

import pytest

from tests.graph import CP, chain_depth, cluster, commands, depends_on, steps_to
from tests.mocks import CLUSTER_ID
from tests.remote import COMMAND, script_of, variable


def test_every_node_first_waits_for_cloud_init():
    run = cluster()
    for node in [CP, "kubeadm-lab-worker-1", "kubeadm-lab-worker-2"]:
        wait = run.named(f"{node}-cloud-init")
        assert depends_on(run, wait, node)
        assert wait.inputs["triggers"] == [f"{node}-id"]


def test_init_runs_after_its_nodes_cloud_init_and_the_elastic_ip():
    run = cluster()
    init = run.named(f"{CP}-kubeadm-init")
    assert depends_on(run, init, f"{CP}-cloud-init")
    assert depends_on(run, init, "pki-ca") and depends_on(run, init, "pki-ca-key")
    association = next(r for r in run.of_type("aws:ec2/eipAssociation:EipAssociation"))
    assert association.urn in init.dependencies


@pytest.mark.parametrize("n", [1, 2])
def test_each_join_waits_for_its_own_token_and_its_own_node(n):
    run = cluster()
    join = run.named(f"kubeadm-lab-worker-{n}-join")
    other = 3 - n
    assert depends_on(run, join, f"kubeadm-lab-worker-{n}-join-token")
    assert depends_on(run, join, f"kubeadm-lab-worker-{n}-cloud-init")
    assert not depends_on(run, join, f"kubeadm-lab-worker-{other}-join-token")
    assert not depends_on(run, join, f"kubeadm-lab-worker-{other}-cloud-init")


def test_tokens_come_from_the_initialised_control_plane():
    run = cluster()
    for n in (1, 2):
        token = run.named(f"kubeadm-lab-worker-{n}-join-token")
        assert depends_on(run, token, f"{CP}-kubeadm-init")
        assert token.inputs["connection"]["host"] == "198.51.100.10"
        # A new machine, or a cluster built anew, gets a new token.
        assert token.inputs["triggers"] == [f"kubeadm-lab-worker-{n}-id", CLUSTER_ID]


def test_joins_do_not_wait_for_each_other():
    run = cluster(workers=6)
    joins = [r for r in run.of_type(COMMAND) if r.name.endswith("-join")]
    assert len(joins) == 6
    for join in joins:
        for other in joins:
            if other is not join:
                assert not depends_on(run, join, other.name)
                assert not depends_on(run, join, f"{other.name}-token")


def test_cni_may_run_while_workers_join():
    run = cluster()
    cni = run.named(f"{CP}-cni-calico")
    assert depends_on(run, cni, f"{CP}-kubeadm-init")
    assert not any(depends_on(run, cni, f"kubeadm-lab-worker-{n}-join") for n in (1, 2))


def test_readiness_gate_waits_for_the_cni_and_every_worker():
    run = cluster()
    gate = run.named("kubeadm-lab-ready")
    assert depends_on(run, gate, f"{CP}-cni-calico")
    for n in (1, 2):
        assert depends_on(run, gate, f"kubeadm-lab-worker-{n}-registered")
    assert variable(script_of(gate.inputs["create"]), "NODE_NAMES") == f"{CP} kubeadm-lab-worker-1 kubeadm-lab-worker-2"
    # It runs again when any node is replaced or the cluster is built anew.
    assert gate.inputs["triggers"] == [f"{CP}-id", "kubeadm-lab-worker-1-id", "kubeadm-lab-worker-2-id", CLUSTER_ID]


def test_the_path_to_ready_is_as_long_with_20_workers_as_with_1():
    # cloud-init, init, backups, upgrade of the first control plane, token, join, registered, serving
    # certificate, ready (or, on the control plane, the CNI and the three add-ons in the place of backups
    # to the serving certificate).
    assert [steps_to(cluster(workers=n), "kubeadm-lab-ready") for n in (1, 6, 20)] == [9, 9, 9]
    assert [steps_to(cluster(workers=n), "kubeadm-lab-smoke-test") for n in (1, 6, 20)] == [10, 10, 10]


def test_workers_are_upgraded_one_at_a_time_in_order_after_the_smoke_test():
    run = cluster(workers=3)
    assert depends_on(run, run.named("kubeadm-lab-worker-1-drain-for-upgrade"), "kubeadm-lab-smoke-test")
    for n in (1, 2):
        this_done = f"kubeadm-lab-worker-{n}-uncordon-after-upgrade"
        next_drain = run.named(f"kubeadm-lab-worker-{n + 1}-drain-for-upgrade")
        assert depends_on(run, next_drain, this_done)
        assert not depends_on(run, run.named(this_done), next_drain.name)
    for gate in ("kubeadm-lab-ready", "kubeadm-lab-smoke-test"):
        assert not any(depends_on(run, run.named(gate), name) for name in commands(run) if "for-upgrade" in name)
    # Three steps a worker, in a row, after the smoke test: the whole chain grows by exactly that.
    assert chain_depth(cluster(workers=6)) - chain_depth(cluster(workers=1)) == 3 * 5


def test_kubeconfig_output_waits_for_the_readiness_gate():
    # The kubeconfig is resolved from the gate's id: a consumer never gets it before the cluster is Ready.
    run = cluster()
    assert run.outputs["kubeconfig"]
    assert "kubeadm-lab-ready" in commands(run)


def test_single_node_cluster_lets_workloads_run_on_the_control_plane():
    run = cluster(workers=0)
    assert not [n for n in commands(run) if "worker" in n]
    assert depends_on(run, run.named("kubeadm-lab-ready"), f"{CP}-schedulable")
    assert f"{CP}-schedulable" not in commands(cluster(workers=2))


def test_stack_outputs_of_the_cluster():
    from components import versions

    run = cluster()
    assert run.outputs["clusterName"] == "kubeadm-lab"
    assert run.outputs["kubernetesVersion"] == versions.DEFAULT_KUBERNETES_MINOR
    assert run.outputs["cni"] == "calico"
    assert run.outputs["nodeNames"] == [CP, "kubeadm-lab-worker-1", "kubeadm-lab-worker-2"]


def test_every_step_follows_the_machines_it_acts_on_or_about():
    # Which instances each step is about, and whether their ids are triggers (replace) or script
    # variables (run again without undoing, for steps with delete hooks).
    run = cluster()
    cp_id, w1_id = f"{CP}-id", "kubeadm-lab-worker-1-id"
    assert run.named(f"{CP}-kubeadm-init").inputs["triggers"] == [cp_id]
    assert run.named(f"{CP}-cni-calico").inputs["triggers"] == [cp_id]
    assert run.named("kubeadm-lab-worker-1-join-token").inputs["triggers"] == [w1_id, CLUSTER_ID]
    for name in ("kubeadm-lab-worker-1-join", "kubeadm-lab-worker-1-registered"):
        script = script_of(run.named(name).inputs["create"])
        assert variable(script, "NODE_INSTANCE_ID") == w1_id and variable(script, "CLUSTER_ID") == CLUSTER_ID


def test_the_cluster_identity_comes_from_init():
    run = cluster()
    token = run.named("kubeadm-lab-worker-1-join-token")
    assert depends_on(run, token, f"{CP}-kubeadm-init")
    # init's output is secret (the mock engine does not apply that option, so it is read from the request).
    assert "stdout" in run.named(f"{CP}-kubeadm-init").additional_secret_outputs
