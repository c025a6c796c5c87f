"""What removing a step does: scale-down drains, deletes and resets a worker before its instance goes,
and `pulumi destroy` skips every hook, so it never has to reach a host."""

from tests.graph import CP, cluster, depends_on
from tests.remote import COMMAND, script_of, variable


def test_single_node_cluster_untaints_the_control_plane_and_restores_it_on_delete():
    untaint = cluster(workers=0).named(f"{CP}-schedulable")
    assert variable(script_of(untaint.inputs["create"]), "TAINT_ACTION") == "remove"
    assert variable(script_of(untaint.inputs["delete"]), "TAINT_ACTION") == "restore"


def test_removed_worker_is_drained_then_reset_before_its_instance_goes():
    run = cluster()
    control_plane_instance = run.named(CP).urn
    registered = run.named("kubeadm-lab-worker-1-registered")
    join = run.named("kubeadm-lab-worker-1-join")
    # Pulumi deletes dependents first: registered (drain and delete, on the control plane), then the
    # join (kubeadm reset, on the worker), then the instance.
    assert depends_on(run, registered, join.name) and depends_on(run, join, "kubeadm-lab-worker-1")
    assert registered.inputs["connection"]["host"] == "198.51.100.10"
    assert "kubectl drain" in script_of(registered.inputs["delete"])
    assert variable(script_of(registered.inputs["delete"]), "NODE_NAME") == "kubeadm-lab-worker-1"
    assert "kubeadm reset --force" in script_of(join.inputs["delete"])
    assert join.inputs["connection"]["host"] == run.named("kubeadm-lab-worker-1").state["publicIp"]
    for command in (registered, join):
        assert command.delete_before_replace
        # `pulumi destroy` removes the control plane too, so these deletes are skipped: it need not
        # reach hosts that may already be gone.
        assert command.deleted_with == control_plane_instance


def test_commands_without_a_delete_are_not_tied_to_the_cluster():
    run = cluster()
    for command in run.of_type(COMMAND):
        if "delete" not in command.inputs:
            assert not command.deleted_with and not command.delete_before_replace, command.name
