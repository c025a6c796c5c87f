"""How every remote step reaches its node: the control plane at its Elastic IP, a worker at its private
address through the control plane (it keeps that address when stopped and started)."""

from tests.graph import cluster
from tests.remote import COMMAND


def test_commands_log_in_as_ubuntu_with_the_generated_key():
    run = cluster()
    key = run.named("ssh-key").state["privateKeyOpenssh"]
    for command in run.of_type(COMMAND):
        connection = command.inputs["connection"]
        assert connection["user"] == "ubuntu"
        assert connection["privateKey"] == key
        assert "connection" in command.secret_inputs
        assert command.inputs["addPreviousOutputInEnv"] is False


def test_first_command_of_a_node_tolerates_a_booting_node():
    run = cluster()
    for command in run.of_type(COMMAND):
        connection = command.inputs["connection"]
        if command.name.endswith("-cloud-init"):
            assert connection["dialErrorLimit"] >= 120
            assert command.custom_timeouts.create == "30m"
        elif command.name == "kubeadm-lab-running":  # after a pause, the control plane may be starting
            assert connection["dialErrorLimit"] >= 120
        else:
            assert 0 < connection["dialErrorLimit"] < 120
        assert connection["perDialTimeout"] > 0


def test_workers_are_reached_at_their_private_address_through_the_control_plane():
    run = cluster()
    control_plane = run.outputs["controlPlanePublicIp"]
    workers = set(run.outputs["workerPrivateIps"])
    for command in run.of_type(COMMAND):
        connection = command.inputs["connection"]
        if connection["host"] == control_plane:
            assert "proxy" not in connection, command.name
            continue
        assert connection["host"] in workers, command.name
        proxy = connection["proxy"]
        assert proxy["host"] == control_plane and proxy["user"] == "ubuntu"
        assert proxy["privateKey"] == connection["privateKey"]
        # A booting worker's first step waits for the control plane as long as for the worker.
        assert proxy["dialErrorLimit"] == connection["dialErrorLimit"]
    joins = [c for c in run.of_type(COMMAND) if c.name.endswith("-join")]
    assert {c.inputs["connection"]["host"] for c in joins} == workers
