"""What removing a step does: scale-down drains and deletes a worker's Node from the control plane and
resets the machine only if it answers; `pulumi destroy` skips every hook but the AWS cleanup, so it
reaches no host but the control plane; and no step whose delete undoes work can be replaced by a
trigger."""

from tests.graph import CP, cluster, depends_on
from tests.mocks import CLUSTER_ID
from tests.remote import COMMAND, script_of, variable


def test_single_node_cluster_untaints_the_control_plane_and_restores_it_on_delete():
    untaint = cluster(workers=0).named(f"{CP}-schedulable")
    assert variable(script_of(untaint.inputs["create"]), "TAINT_ACTION") == "remove"
    assert variable(script_of(untaint.inputs["delete"]), "TAINT_ACTION") == "restore"
    # A cluster built anew (another identity) is untainted again.
    assert variable(script_of(untaint.inputs["create"]), "CLUSTER_ID") == CLUSTER_ID


def test_a_removed_worker_is_taken_out_by_the_control_plane_which_is_there():
    run = cluster()
    registered = run.named("kubeadm-lab-worker-1-registered")
    assert registered.inputs["connection"]["host"] == "198.51.100.10"  # the control plane
    delete = script_of(registered.inputs["delete"])
    assert "kubectl drain" in delete and "kubectl delete node" in delete
    assert variable(delete, "NODE_NAME") == "kubeadm-lab-worker-1"
    assert variable(delete, "NODE_IP") == run.outputs["workerPrivateIps"][0]
    # The reset runs over SSH from the control plane, bounded, with the key on stdin.
    assert "kubeadm reset --force" in variable(delete, "RESET_SCRIPT")
    assert "timeout " in delete and "ConnectTimeout=10" in delete
    assert registered.inputs["stdin"] == run.named("ssh-key").state["privateKeyOpenssh"]
    assert "stdin" in registered.secret_inputs


def test_no_step_dials_a_worker_to_delete_itself():
    # A worker that is gone (terminated by hand, a spot reclaim) must not hold up scale-down or destroy.
    run = cluster()
    worker_hosts = set(run.outputs["workerPrivateIps"])  # workers are reached at these, through the control plane
    for command in run.of_type(COMMAND):
        if command.inputs["connection"]["host"] in worker_hosts:
            assert "delete" not in command.inputs, command.name


AT_DESTROY = f"{CP}-aws-cleanup"


def test_hooks_run_before_a_replacement_and_on_destroy_only_the_aws_cleanup():
    run = cluster()
    control_plane_instance = run.named(CP).urn
    registered, join = run.named("kubeadm-lab-worker-1-registered"), run.named("kubeadm-lab-worker-1-join")
    # Pulumi deletes dependents first: registered (on the control plane), then the join, then the instance.
    assert depends_on(run, registered, join.name) and depends_on(run, join, "kubeadm-lab-worker-1")
    for command in run.of_type(COMMAND):
        if command.name == AT_DESTROY:
            # It removes what AWS created for the cluster; tests/test_addons.py checks when it runs.
            assert not command.deleted_with and not command.delete_before_replace
        elif "delete" in command.inputs:
            assert command.delete_before_replace, command.name
            # `pulumi destroy` removes the control plane too, so these deletes are skipped.
            assert command.deleted_with == control_plane_instance, command.name
        else:
            assert not command.deleted_with and not command.delete_before_replace, command.name


def test_a_step_whose_delete_undoes_work_is_never_replaced_by_a_trigger():
    # A replacement runs the old delete hook first: a trigger on these would drain a live worker or
    # restore a taint. They name their node and cluster in their script instead, so a change re-runs them.
    for run in (cluster(), cluster(workers=0)):
        for command in run.of_type(COMMAND):
            if "delete" in command.inputs:
                assert "triggers" not in command.inputs, command.name
                if command.name != AT_DESTROY:  # it acts on whatever cluster runs when it is deleted
                    assert variable(script_of(command.inputs["create"]), "CLUSTER_ID") == CLUSTER_ID
