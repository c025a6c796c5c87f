"""How every remote step reaches its node."""

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
        else:
            assert 0 < connection["dialErrorLimit"] < 120
        assert connection["perDialTimeout"] > 0
