"""Pinned host keys: each node serves the SSH host key the stack made for it (delivered, secret, in its
user data), and every SSH connection of the chain checks it, the proxy hop through the control plane
included. The stack alone decides: a node whose tag was removed, or one built before nodes got their host
keys, is pinned all the same and fails closed."""

import pytest
import yaml

from tests.harness import run_program, stack_config
from tests.mocks import ClusterMocks
from tests.remote import COMMAND

NODES = ["kubeadm-lab-control-plane", "kubeadm-lab-worker-1", "kubeadm-lab-worker-2"]


@pytest.fixture(scope="module")
def run():
    return run_program(stack_config())


def host_public_key(run, node: str) -> str:
    return run.named(f"{node}-host-key").state["publicKeyOpenssh"].strip()


def test_each_node_serves_its_own_key_from_the_stack_and_no_other(run):
    keys = {node: host_public_key(run, node) for node in NODES}
    assert len(set(keys.values())) == len(NODES) and all(k.startswith("ssh-ed25519 ") for k in keys.values())
    for node in NODES:
        instance = run.named(node)
        assert "userData" in instance.secret_inputs  # it holds the private key
        document = yaml.safe_load(instance.inputs["userData"])
        key = run.named(f"{node}-host-key")
        assert document["ssh_keys"] == {
            "ed25519_private": key.state["privateKeyOpenssh"],
            "ed25519_public": keys[node],
        }
        assert document["ssh_deletekeys"] is True and document["ssh_genkeytypes"] == ["ed25519"]


def test_every_connection_checks_the_host_key_of_each_hop(run):
    control_plane = host_public_key(run, NODES[0])
    by_address = {run.named(n).state["privateIp"]: host_public_key(run, n) for n in NODES}
    by_address[run.outputs["controlPlanePublicIp"]] = control_plane
    commands = run.of_type(COMMAND)
    assert commands
    for command in commands:
        connection = command.inputs["connection"]
        assert connection["hostKey"] == by_address[connection["host"]], command.name
        if "proxy" in connection:
            assert connection["proxy"]["hostKey"] == control_plane, command.name


def test_the_tag_that_says_so_is_written_only_when_an_instance_is_created(run):
    for node in NODES:
        instance = run.named(node)
        assert instance.inputs["tags"]["kubeadm-aws/host-key"] == "stack"
        assert 'tags["kubeadm-aws/host-key"]' in instance.ignore_changes
        # The root volume does not carry it: its tags are not ignored.
        assert "kubeadm-aws/host-key" not in instance.inputs["rootBlockDevice"]["tags"]


def test_the_host_keys_are_outputs_for_make_ssh(run):
    assert run.outputs["sshHostKeys"] == {node: host_public_key(run, node) for node in NODES}


def test_a_node_without_the_tag_is_pinned_all_the_same():
    # Its state lacks the tag: it was built before nodes got their host keys, or someone removed the tag
    # (ec2:DeleteTags), which a refresh records. Neither unpins it.
    mocks = ClusterMocks(built_before_host_keys=frozenset({"kubeadm-lab-worker-1"}))
    run = run_program(stack_config(), mocks=mocks)
    assert "kubeadm-aws/host-key" not in run.named("kubeadm-lab-worker-1").state["tags"]
    worker_address = run.named("kubeadm-lab-worker-1").state["privateIp"]
    reaching = [c for c in run.of_type(COMMAND) if c.inputs["connection"]["host"] == worker_address]
    assert reaching
    for command in reaching:
        assert command.inputs["connection"]["hostKey"] == host_public_key(run, "kubeadm-lab-worker-1"), command.name
    assert not [w for w in run.warnings if "host key" in w]
    assert run.outputs["sshHostKeys"]["kubeadm-lab-worker-1"] == host_public_key(run, "kubeadm-lab-worker-1")
