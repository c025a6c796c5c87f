"""What the runs after the first `pulumi up` do to a stack, on the engine model (tests/engine.py):
a second `up`, `pulumi destroy`, pause and resume with `--refresh`, `--replace`, and the backups kept or
not at destroy. Each test replays the real program under the mocks, one operation after another."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import subprocess

import pytest

from tests import engine
from tests.harness import ROOT, stack_config
from tests.mocks import ZONES, Cloud
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
    [{}, {"controlPlaneCount": 3}, {"workerCount": 0, "cni": "flannel", "awsIntegration": False},
     {"awsIntegration": False}, {"existingVpcId": "vpc-0existing", "existingSubnetId": "subnet-0public"}],
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
        {"workerCount": 0, "awsIntegration": False},
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


# --- pause and resume ---------------------------------------------------------------------------------


def power_and_running(update: engine.Update) -> set[str]:
    return {name for name in update.changes if name.endswith("-power") or name == "kubeadm-lab-running"}


@pytest.mark.parametrize("name", sorted(STACKS))
def test_pause_and_resume_with_refresh_replace_nothing(name):
    overrides = STACKS[name]
    up = built(name)
    pause = engine.up(config(paused=True, **overrides), up.stack, refresh=True)
    assert set(pause.changes) == power_and_running(pause) and replaced(pause) == [] and pause.hooks == []
    assert {i.state for i in pause.stack.cloud.instances.values()} == {"stopped"}
    assert pause.run.outputs["workerPublicIps"] == ["", ""]  # a stopped instance has no public address
    resume = engine.up(config(**overrides), pause.stack, refresh=True)
    assert set(resume.changes) == power_and_running(resume) and replaced(resume) == [] and resume.hooks == []
    assert {i.state for i in resume.stack.cloud.instances.values()} == {"running"}
    # The workers' new addresses, as EC2 reports them after the start (not the refresh's empty ones).
    workers = [i for i in resume.stack.cloud.instances.values() if "-worker-" in i.name]
    assert resume.run.outputs["workerPublicIps"] == [i.public_ip for i in sorted(workers, key=lambda i: i.name)]
    assert all(resume.run.outputs["workerPublicIps"])
    again = engine.up(config(**overrides), resume.stack, refresh=True)
    assert again.changes == {}


def test_pausing_is_refused_while_a_one_time_spot_worker_runs_even_after_worker_spot_is_off():
    spot = engine.up(config(workerSpot=True))
    # workerSpot off applies to new workers only: the two Spot workers stay.
    on_demand = engine.up(config(), spot.stack, refresh=True)
    assert on_demand.changes == {}
    refused = engine.up(config(paused=True), on_demand.stack, refresh=True, expect_error=True)
    message = str(refused.run.error)
    assert "kubeadm-aws:paused" in message and "kubeadm-lab-worker-1, kubeadm-lab-worker-2" in message
    assert len(refused.run.resources) == 0  # refused before anything is registered
    # A plain `pulumi up --replace` creates the new instance with the state's market (ignored on a
    # running node): still Spot. make replace-node gives it the program's.
    workers = [on_demand.stack.named(f"kubeadm-lab-worker-{i}").urn for i in (1, 2)]
    plain = engine.up(config(), on_demand.stack, replace_urns=workers)
    assert engine.up(config(paused=True), plain.stack, refresh=True, expect_error=True).run.error is not None
    names = {"KUBEADM_AWS_REPLACING": "kubeadm-lab-worker-1 kubeadm-lab-worker-2"}
    moved = engine.up(config(), on_demand.stack, replace_urns=workers, environment=names)
    assert sorted(replaced(moved)) == sorted(replaced(plain))
    pause = engine.up(config(paused=True), moved.stack, refresh=True)
    assert pause.run.error is None and replaced(pause) == []


def test_a_node_replaced_after_a_resume_gets_a_public_address():
    paused = engine.up(config(paused=True), built("one control plane").stack, refresh=True)
    resumed = engine.up(config(), paused.stack, refresh=True)  # refreshed while stopped: no association
    worker = resumed.stack.named("kubeadm-lab-worker-1")
    assert worker.inputs["associatePublicIpAddress"] is False
    replacing = {"KUBEADM_AWS_REPLACING": "kubeadm-lab-worker-1"}
    update = engine.up(config(), resumed.stack, replace_urns=[worker.urn], environment=replacing)
    assert update.stack.named("kubeadm-lab-worker-1").inputs["associatePublicIpAddress"] is True
    assert update.stack.cloud.instances[update.stack.named("kubeadm-lab-worker-1").id].public_ip


# --- replacement --------------------------------------------------------------------------------------


def test_a_replaced_worker_is_created_before_its_old_instance_goes_and_only_its_steps_run_again():
    up = built("one control plane")
    worker = up.stack.named("kubeadm-lab-worker-1").urn
    update = engine.up(config(), up.stack, replace_urns=[worker])
    moved = set(update.changes)
    assert {name for name in moved if not name.startswith("kubeadm-lab-worker-1")} == {
        "kubeadm-lab-ready",  # every node Ready again, and the smoke test, with the new one
        "kubeadm-lab-smoke-test",
    }
    order = [(op, urn) for op, urn in update.operations if urn == worker]
    assert order == [("create", worker), ("delete", worker)]  # create-before-delete
    assert update.hooks == []  # no delete hook of the old node's steps runs: none carries a trigger


# --- a version change -----------------------------------------------------------------------------------


def waits_for(stack: engine.Stack, name: str, other: str) -> bool:
    """Whether `name` waits for `other` in the state, directly or through others."""
    target, seen, todo = stack.named(other).urn, set(), [stack.named(name).urn]
    while todo:
        for dependency in stack.resources[todo.pop()].depends_on():
            if dependency == target:
                return True
            if dependency not in seen and dependency in stack.resources:
                seen.add(dependency)
                todo.append(dependency)
    return False


@pytest.mark.parametrize("name", STACKS)
def test_a_new_minor_runs_only_the_upgrade_steps_in_the_upgrade_order_and_replaces_no_node(name):
    before = engine.up(config(kubernetesVersion="1.35", **STACKS[name]))
    update = engine.up(config(kubernetesVersion="1.36", **STACKS[name]), before.stack)
    others = [f"{CP}-{n}" for n in (2, 3)] if name == "three control planes" else []
    walk = [
        f"{node}-{step}"
        for node in [*others, "kubeadm-lab-worker-1", "kubeadm-lab-worker-2"]
        for step in ("drain-for-upgrade", "upgrade", "uncordon-after-upgrade")
    ]
    order = [f"{CP}-upgrade", *walk]
    assert replaced(update) == order
    # Run again in place: init finds its cluster and changes nothing; the cloud controller's manifest
    # follows the minor, after the control plane's upgrade.
    assert update.names("update") == [f"{CP}-kubeadm-init", f"{CP}-aws-cloud-controller-manager"]
    assert waits_for(update.stack, f"{CP}-aws-cloud-controller-manager", f"{CP}-upgrade")
    for earlier, later in itertools.pairwise(order):  # one chain: each waits for the one before
        assert waits_for(update.stack, later, earlier), (later, earlier)
    assert update.hooks == []


# --- backups kept or not ------------------------------------------------------------------------------


def test_keep_backups_on_destroy_keeps_the_bucket_and_its_settings_only():
    kept = engine.up(config(keepBackupsOnDestroy=True))
    teardown = engine.destroy(kept.stack)
    retained = {kept.stack.resources[urn].type for urn in teardown.retained}
    assert retained and all(t.startswith("aws:s3/") for t in retained)
    # The control plane's access policy goes, before its role (IAM deletes no role that has one).
    policy, role = "etcd-backups-control-plane-access", "roles-control-plane"
    assert teardown.wave_of(policy) < teardown.wave_of(role)
    assert not kept.stack.named(policy).retain_on_delete


def stack_export(stack: engine.Stack) -> str:
    """`pulumi stack export` of the model's state: what before-destroy.sh reads."""
    resources = [
        {
            "urn": r.urn,
            "type": r.type,
            "parent": r.parent,
            "dependencies": sorted(r.dependencies),
            **({"retainOnDelete": True} if r.retain_on_delete else {}),
        }
        for r in stack.resources.values()
    ]
    return json.dumps({"version": 3, "deployment": {"resources": resources}})


def before_destroy(tmp_path, stack: engine.Stack, keep: str, up_fails: bool = False):
    """scripts/local/before-destroy.sh with a stand-in `pulumi` that answers from the model's state."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "export.json").write_text(stack_export(stack))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pulumi").write_text(
        f"""#!/usr/bin/env bash
echo "pulumi $*" >>"{tmp_path}/calls.log"
case "$*" in
  "config get keepBackupsOnDestroy --stack dev") echo {keep} ;;
  "config get "*) exit 1 ;;
  "stack export --stack dev") cat "{tmp_path}/export.json" ;;
  "up "*) exit {1 if up_fails else 0} ;;
esac
"""
    )
    (bin_dir / "pulumi").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts/local/before-destroy.sh"), "dev"], capture_output=True, text=True, env=env
    )
    log = tmp_path / "calls.log"
    return result, [line for line in log.read_text().splitlines() if line.startswith("pulumi up")]


def test_destroy_reads_keep_backups_from_the_state_so_make_destroy_applies_the_setting_first(tmp_path):
    stack = built("one control plane").stack
    # Set just before the destroy, the setting is not in the state: the engine would delete the bucket.
    teardown = engine.destroy(stack)
    assert not teardown.retained
    result, ups = before_destroy(tmp_path, stack, keep="true")
    assert result.returncode == 0, result.stderr
    (up,) = ups
    targets = up.split("--target ")[1:]
    assert up.startswith("pulumi up --stack dev ")
    bucket_family = {r.urn for r in stack.resources.values() if r.type.startswith("aws:s3/")}
    assert {t.strip() for t in targets} == bucket_family
    # What that targeted up writes into the state, the destroy then keeps.
    applied = engine.up(config(keepBackupsOnDestroy=True), stack, targets=bucket_family)
    # Retain-on-delete is an option, written to the state without a step; force-destroy off is an update
    # of the bucket's state only (no AWS call).
    assert applied.changes == {"etcd-backups-bucket": "update"}
    assert {applied.stack.resources[u].type for u in engine.destroy(applied.stack).retained} == {
        stack.resources[u].type for u in bucket_family
    }
    # Nothing to apply once the state holds it; a failed apply stops the destroy.
    assert before_destroy(tmp_path / "again", applied.stack, keep="true")[1] == []
    failed, _ = before_destroy(tmp_path / "failed", stack, keep="true", up_fails=True)
    assert failed.returncode == 1 and "nothing was destroyed" in failed.stderr


def test_a_stack_whose_state_keeps_the_access_policy_has_it_released_before_destroy(tmp_path):
    kept = engine.up(config(keepBackupsOnDestroy=True)).stack
    policy = kept.named("etcd-backups-control-plane-access")
    # As a stack built before the policy stopped being kept has it.
    older = engine.Stack(
        {**kept.resources, policy.urn: dataclasses.replace(policy, retain_on_delete=True)}, kept.cloud, kept.config
    )
    _, (up,) = before_destroy(tmp_path, older, keep="true")
    assert up.split("--target ")[1:] == [policy.urn]


def test_a_stack_whose_cleanup_does_not_wait_for_what_it_needs_gets_the_new_order_before_destroy(tmp_path):
    stack = built("one control plane").stack
    cleanup = stack.named(CLEANUP)
    # As an earlier version of this program left it: waiting for the readiness gate and its own node only.
    workers = {r.urn for r in stack.of_type(engine.INSTANCE) if "-worker-" in r.name}
    older_cleanup = dataclasses.replace(cleanup, dependencies=cleanup.dependencies - workers)
    older = engine.Stack({**stack.resources, cleanup.urn: older_cleanup}, stack.cloud, stack.config)
    result, (up,) = before_destroy(tmp_path, older, keep="false")
    assert result.returncode == 0 and "the cleanup order" in result.stdout
    assert up.split("--target ")[1:] == [cleanup.urn]
    assert before_destroy(tmp_path / "current", stack, keep="false")[1] == []


# --- zones ----------------------------------------------------------------------------------------------


def subnet_zones(update: engine.Update) -> list[str]:
    return [r.inputs["availabilityZone"] for r in update.stack.of_type(engine.SUBNET)]


def test_local_zones_are_never_chosen():
    # An opted-in Local Zone sorts before the region's zones, and offers the types.
    cloud = Cloud(local_zones=("ap-south-1-del-1a",))
    for overrides in ({}, {"controlPlaneCount": 3}):
        update = engine.up(config(**overrides), engine.Stack({}, cloud, {}))
        assert set(subnet_zones(update)) <= set(ZONES)


def test_a_subnet_keeps_its_zone_when_the_instance_types_change():
    up = built("one control plane")
    assert subnet_zones(up) == ["ap-south-1a"]
    # t4g.medium is not offered in ap-south-1a (tests/mocks.py): the zone would move, the subnet with it.
    refused = engine.up(config(workerInstanceType="t4g.medium"), up.stack, expect_error=True)
    message = str(refused.run.error)
    assert "kubeadm-aws:workerInstanceType = 't4g.medium'" in message and "ap-south-1a" in message
    # A type the zone offers changes nothing there.
    larger = engine.up(config(controlPlaneInstanceType="t3.large"), up.stack)
    assert subnet_zones(larger) == ["ap-south-1a"] and replaced(larger) == []


def test_the_zones_of_several_control_planes_stay_when_a_zone_stops_offering_a_type():
    up = built("three control planes")
    zones = subnet_zones(up)
    assert sorted(zones) == list(ZONES)
    # t3.large is offered in ap-south-1a only: the existing subnets keep their zones, and say why not.
    refused = engine.up(config(controlPlaneCount=3, workerInstanceType="t3.large"), up.stack, expect_error=True)
    assert "ap-south-1b, where the cluster's subnet" in str(refused.run.error)


def test_existing_subnets_for_several_control_planes_must_lie_in_distinct_zones():
    shared = {"existingVpcId": "vpc-0existing", "controlPlaneCount": 3}
    refused = engine.up(config(existingSubnetIds=["subnet-0public", "subnet-0publicb2"], **shared), expect_error=True)
    message = str(refused.run.error)
    assert "kubeadm-aws:existingSubnetIds" in message and "one subnet per zone" in message
    assert engine.up(config(existingSubnetIds=["subnet-0public", "subnet-0public2"], **shared)).run.error is None


# --- the admin credential -------------------------------------------------------------------------------


def test_a_new_admin_generation_has_a_new_key_and_the_old_key_goes():
    first = built("one control plane")
    raised = engine.up(config(adminGeneration=2), first.stack)
    assert raised.changes["pki-admin-key-2"] == "create" and raised.changes["pki-admin-key"] == "delete"
    assert raised.changes["pki-admin"] == "replace"  # the request and the certificate, for the new key
    old_key = first.stack.named("pki-admin-key").outputs["privateKeyPem"]
    assert raised.stack.named("pki-admin-key-2").outputs["privateKeyPem"] != old_key
    # And the certificate, which signs in as cluster-admin with its key, is a secret in the state.
    (cert,) = [r for r in raised.run.of_type("tls:index/locallySignedCert:LocallySignedCert") if r.name == "pki-admin"]
    assert "certPem" in cert.additional_secret_outputs
