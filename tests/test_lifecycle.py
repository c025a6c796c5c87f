"""What the runs after the first `pulumi up` do to a stack, on the engine model (tests/engine.py):
a second `up`, `pulumi destroy`, pause and resume with `--refresh`, `--replace`, and the backups kept or
not at destroy. Each test replays the real program under the mocks, one operation after another."""

from __future__ import annotations

import functools

import pytest

from tests import engine
from tests.harness import stack_config
from tests.remote import script_of, variable

CP = "kubeadm-lab-control-plane"
CLEANUP = f"{CP}-aws-cleanup"
STACKS = {"one control plane": {}, "three control planes": {"controlPlaneCount": 3}}


def config(**overrides) -> dict[str, str]:
    return stack_config(allowedCidrs=["203.0.113.7/32"], **overrides)


@functools.cache
def built(name: str) -> engine.Update:
    """The first `pulumi up` of one of STACKS (cached: the model never changes a stack in place)."""
    return engine.up(config(**STACKS[name]))


def replaced(update: engine.Update) -> list[str]:
    return update.names("replace")


# --- the model itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [{}, {"controlPlaneCount": 3}, {"workerCount": 0, "cni": "flannel"}, {"awsIntegration": False},
     {"existingVpcId": "vpc-0existing", "existingSubnetId": "subnet-0public"}],
)  # fmt: skip
def test_the_model_knows_which_inputs_replace_each_type_the_program_registers(overrides):
    run = engine.up(config(**overrides)).run
    custom = {r.type for r in run.resources if r.custom}
    assert sorted(custom - set(engine.FORCE_NEW)) == []


def test_the_model_replaces_on_a_changed_trigger_and_reruns_a_command_in_place_on_any_other_change():
    old = {"create": "a", "triggers": ["i-1"], "connection": {"host": "10.0.0.1"}}
    assert engine.replaces(engine.COMMAND, old, {**old, "triggers": ["i-2"]}) == ["triggers"]
    assert engine.replaces(engine.COMMAND, old, {**old, "create": "b", "connection": {"host": "10.0.0.2"}}) == []
    instance = {"ami": "ami-1", "userData": "x", "userDataReplaceOnChange": True, "rootBlockDevice": {"volumeSize": 20}}
    assert engine.replaces(engine.INSTANCE, instance, {**instance, "userData": "y"}) == ["userData"]
    assert engine.replaces(engine.INSTANCE, instance, {**instance, "rootBlockDevice": {"volumeSize": 40}}) == []
    ignored = engine.with_ignored({**instance, "ami": "ami-2"}, instance, ["ami", 'tags["Name"]'])
    assert ignored["ami"] == "ami-1"


def test_the_model_deletes_in_waves_what_nothing_left_depends_on():
    stack = built("one control plane").stack
    teardown = engine.destroy(stack)
    assert sum(len(wave) for wave in teardown.waves) == len(stack.resources)
    position = {r.urn: i for i, wave in enumerate(teardown.waves) for r in wave}
    for resource in stack.resources.values():
        for needed in resource.depends_on() & position.keys():  # the root Stack resource goes last
            assert position[needed] > position[resource.urn], (resource.name, needed)


# --- a second up --------------------------------------------------------------------------------------


@pytest.mark.parametrize("refresh", [False, True], ids=["plain", "refresh"])
@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"controlPlaneCount": 3},
        {"workerCount": 0},
        {"awsIntegration": False, "cni": "flannel"},
        {"workerSpot": True},
    ],
)
def test_a_second_up_with_nothing_changed_changes_nothing(overrides, refresh):
    first = engine.up(config(**overrides))
    again = engine.up(config(**overrides), first.stack, refresh=refresh)
    assert again.changes == {} and again.hooks == []
    assert again.run.outputs == first.run.outputs


# --- destroy ------------------------------------------------------------------------------------------

# What no destroy-time step needs: the etcd snapshot bucket and its settings, the EC2 key pair (the
# nodes keep the key they booted with) and the Price List's provider.
NOT_NEEDED_AT_DESTROY = ("aws:s3/", "aws:ec2/keyPair:")


@pytest.mark.parametrize("name", sorted(STACKS))
def test_destroy_removes_nothing_the_aws_cleanup_needs_before_it_has_run(name):
    teardown = engine.destroy(built(name).stack)
    # The node-removal hooks are skipped (deleted with the control plane): only the cleanup reaches a node.
    assert teardown.hooks == [CLEANUP]
    cleanup = teardown.wave_of(CLEANUP)
    deleted_by_then = [
        f"{r.type.split(':')[1]} {r.name}"
        for wave in teardown.waves[: cleanup + 1]
        for r in wave
        if r.type.startswith("aws:") and not r.type.startswith(NOT_NEEDED_AT_DESTROY)
    ]
    assert deleted_by_then == [], "deleted before or while the cleanup runs"


@pytest.mark.parametrize("name", sorted(STACKS))
def test_the_cleanup_talks_to_its_own_api_server_not_to_the_load_balancer(name):
    update = built(name)
    cleanup = update.run.named(CLEANUP)
    private_ip = update.run.outputs["controlPlanePrivateIp"]
    for phase in ("create", "delete"):
        assert variable(script_of(cleanup.inputs[phase]), "API_SERVER") == f"https://{private_ip}:6443"


def test_a_destroy_interrupted_after_the_cleanup_runs_again_without_it():
    stack = built("three control planes").stack
    teardown = engine.destroy(stack)
    cleanup = teardown.wave_of(CLEANUP)
    done = {r.urn for wave in teardown.waves[: cleanup + 1] for r in wave}
    left = engine.Stack({u: r for u, r in stack.resources.items() if u not in done}, stack.cloud, stack.config)
    again = engine.destroy(left)
    assert again.hooks == [] and sum(map(len, again.waves)) == len(left.resources)
