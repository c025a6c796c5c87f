"""A worker's steps: its token, its join and its registration check."""

from components.cluster.phases import workers
from tests.graph import cluster
from tests.remote import script_of, variable


def test_token_is_short_lived_and_named_for_its_worker():
    script = script_of(cluster().named("kubeadm-lab-worker-2-join-token").inputs["create"])
    assert variable(script, "TOKEN_TTL") == workers.JOIN_TOKEN_TTL == "4h"
    assert variable(script, "NODE_NAME") == "kubeadm-lab-worker-2"


def test_join_runs_on_the_worker_and_registration_is_checked_on_the_control_plane():
    run = cluster()
    join, registered = run.named("kubeadm-lab-worker-1-join"), run.named("kubeadm-lab-worker-1-registered")
    assert join.inputs["connection"]["host"] == run.named("kubeadm-lab-worker-1").state["privateIp"]
    assert variable(script_of(join.inputs["create"]), "ATTEMPTS") == "3"
    assert registered.inputs["connection"]["host"] == run.outputs["controlPlanePublicIp"]
    assert variable(script_of(registered.inputs["create"]), "NODE_NAME") == "kubeadm-lab-worker-1"
