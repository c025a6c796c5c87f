"""Pause: `paused` stops every instance and changes nothing else; turning it off starts them and a
step waits until every node is Ready, and no bootstrap step runs again. make destroy refuses a paused
cluster with AWS integration (its cleanup needs the control plane running)."""

import re
import subprocess

import pytest
import yaml

from tests.graph import CP, depends_on
from tests.harness import ROOT, run_program, stack_config
from tests.remote import COMMAND, script_of, variable

POWER = "aws:ec2transitgateway/instanceState:InstanceState"
RUNNING_STEP = "kubeadm-lab-running"


def config(**overrides):
    return stack_config(allowedCidrs=["203.0.113.7/32"], **overrides)


@pytest.fixture(scope="module")
def running():
    return run_program(config())


@pytest.fixture(scope="module")
def paused():
    return run_program(config(paused=True))


def test_every_instance_has_a_power_state_that_follows_paused(running, paused):
    for run, state in ((running, "running"), (paused, "stopped")):
        instances = {i.name for i in run.of_type("aws:ec2/instance:Instance")}
        powers = {p.name.removesuffix("-power"): p.inputs for p in run.of_type(POWER)}
        assert set(powers) == instances
        for name, inputs in powers.items():
            assert inputs["instanceId"] == f"{name}-id" and inputs["state"] == state  # the mocks' ids
            assert "force" not in inputs  # a stop flushes the disks


def without_host_key(instance) -> dict:
    inputs = dict(instance.inputs)
    document = yaml.safe_load(inputs.pop("userData"))
    document.pop("ssh_keys")
    return {**inputs, "userData": document}


def what_runs(command) -> tuple:
    """What makes a step run again; the keys and the addresses the mocks hand out differ from run to run."""
    inputs = command.inputs
    addresses, host_keys = r"\b(10\.0\.0|203\.0\.113)\.\d+\b", r"ssh-ed25519 [A-Za-z0-9+/=]+"
    scripts = [
        re.sub(host_keys, "<host key>", re.sub(addresses, "<address>", inputs.get(k) or ""))
        for k in ("create", "delete")
    ]
    return *scripts, inputs.get("triggers"), "proxy" in inputs["connection"]


def test_pausing_changes_no_instance_and_no_bootstrap_step(running, paused):
    assert {r.urn for r in paused.resources} == {r.urn for r in running.resources} - {running.named(RUNNING_STEP).urn}
    for instance in running.of_type("aws:ec2/instance:Instance"):
        # The host keys the mocks generate differ from run to run; the rest is the same.
        assert without_host_key(paused.by_urn(instance.urn)) == without_host_key(instance), instance.name
    for command in running.of_type(COMMAND):
        if command.name != RUNNING_STEP:
            assert what_runs(paused.by_urn(command.urn)) == what_runs(command), command.name


def test_a_running_cluster_waits_for_every_node_after_its_instances_start(running, paused):
    step = running.named(RUNNING_STEP)
    for power in running.of_type(POWER):
        assert depends_on(running, step, power.name)
    assert depends_on(running, step, "kubeadm-lab-ready")
    script = script_of(step.inputs["create"])
    assert variable(script, "NODE_NAMES") == f"{CP} kubeadm-lab-worker-1 kubeadm-lab-worker-2"
    assert "kubectl wait --for=condition=Ready" in script
    assert "triggers" not in step.inputs and "delete" not in step.inputs
    # Left out while paused, so that resuming creates it again, and that is all that runs.
    assert RUNNING_STEP not in {c.name for c in paused.of_type(COMMAND)}


def destroy_guard(tmp_path, settings: dict) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    answers = "\n".join(f'  "config get {k} --stack dev") echo {v} ;;' for k, v in settings.items())
    export = '  "stack export --stack dev") echo \'{"deployment": {}}\' ;;'  # no resources: nothing to apply first
    (bin_dir / "pulumi").write_text(f'#!/usr/bin/env bash\ncase "$*" in\n{answers}\n{export}\n  *) exit 1 ;;\nesac\n')
    (bin_dir / "pulumi").chmod(0o755)
    script = ROOT / "scripts" / "local" / "before-destroy.sh"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    return subprocess.run(["bash", str(script), "dev"], capture_output=True, text=True, env=env)


@pytest.mark.parametrize(
    "settings, refused",
    [
        ({"paused": "true"}, True),
        ({"paused": "true", "awsIntegration": "false"}, False),
        ({"paused": "false"}, False),
        ({}, False),
    ],
)
def test_make_destroy_refuses_a_paused_cluster_whose_cleanup_needs_it_running(tmp_path, settings, refused):
    result = destroy_guard(tmp_path, settings)
    assert result.returncode == (1 if refused else 0)
    if refused:
        assert "Run make resume, then make destroy" in " ".join(result.stderr.split())


def test_make_destroy_runs_the_guard_first():
    listing = subprocess.run(["make", "-n", "destroy"], capture_output=True, text=True, cwd=ROOT).stdout
    lines = [line for line in listing.splitlines() if "before-destroy.sh" in line or "pulumi destroy" in line]
    assert "before-destroy.sh" in lines[0] and "pulumi destroy" in lines[1]
