"""Time to Ready: modeled on the program's own graph (tests/timing_model.py), and measured on a real run
by `make timings` (scripts/local/timings.py), tested here on the model's event log."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import subprocess
import sys

from pulumi.automation.events import EngineEvent, OpType

from tests import timing_model
from tests.graph import CP, cluster, depends_on
from tests.harness import ROOT, run_program, stack_config
from tests.test_local_scripts import fake_command

# The page that holds the table of modeled times (the README links to it).
PERFORMANCE_PAGE = (ROOT / "docs" / "performance.md").read_text()
STACKS = {
    "1 control plane, 2 workers": {},
    "1 control plane, 20 workers": {"workerCount": 20},
    "3 control planes, 2 workers": {"controlPlaneCount": 3},
    "3 control planes, 20 workers": {"controlPlaneCount": 3, "workerCount": 20},
}


@functools.cache
def modeled(name: str) -> dict[str, tuple[int, int]]:
    return timing_model.schedule(run_program(stack_config(allowedCidrs=["203.0.113.7/32"], **STACKS[name])))


def test_ready_comes_as_soon_with_20_workers_as_with_2():
    for control_planes in ("1 control plane", "3 control planes"):
        two, twenty = (modeled(f"{control_planes}, {n} workers") for n in (2, 20))
        assert two["kubeadm-lab-ready"] == twenty["kubeadm-lab-ready"]
        assert two["kubeadm-lab-smoke-test"] == twenty["kubeadm-lab-smoke-test"]


def test_the_performance_page_gives_the_modeled_figures():
    rows = [
        f"| {name} | {modeled(name)['kubeadm-lab-ready'][1]} s | {modeled(name)['kubeadm-lab-smoke-test'][1]} s |"
        for name in STACKS
    ]
    print("\n".join(rows))
    for row in rows:
        assert row in PERFORMANCE_PAGE, row


def test_the_modeled_log_is_what_the_engine_writes():
    for line in timing_model.event_log(cluster()):
        event = EngineEvent.from_json(json.loads(line))
        if event.resource_pre_event:
            assert event.resource_pre_event.metadata.op == OpType.CREATE


def timings(tmp_path, lines: list[str]) -> subprocess.CompletedProcess:
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n")
    export = json.dumps(timing_model.state_export(cluster()))
    fake_command(tmp_path / "bin", "pulumi", f"echo '{export}'")
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts/local/timings.py"), "dev", str(tmp_path / "events.jsonl")],
        capture_output=True,
        text=True,
        env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "LOG": str(tmp_path / "calls.log")},
    )


def test_make_timings_finds_the_critical_path_and_the_time_to_ready(tmp_path):
    result = timings(tmp_path, timing_model.event_log(cluster()))
    assert result.returncode == 0, result.stderr
    times = timing_model.schedule(cluster())
    ready, smoke = times["kubeadm-lab-ready"][1], times["kubeadm-lab-smoke-test"][1]
    assert f"Ready after {ready}s; the smoke test passed after {smoke}s" in result.stdout
    path = result.stdout.split("Critical path to Ready")[1].split("\n\n")[0].splitlines()[1:]
    first = path[0].split()[-1]  # an AWS resource the control plane's first step needs: no time in the model
    assert times[first] == (0, 0) and depends_on(cluster(), cluster().named(f"{CP}-cloud-init"), first)
    assert [line.split()[-1] for line in path[1:]] == [
        "kubeadm-lab-control-plane-cloud-init",
        "kubeadm-lab-control-plane-kubeadm-init",
        "kubeadm-lab-control-plane-etcd-backups",
        "kubeadm-lab-control-plane-upgrade",
        "kubeadm-lab-worker-2-join-token",  # the two workers finish together: the later name
        "kubeadm-lab-worker-2-join",
        "kubeadm-lab-worker-2-registered",
        "kubeadm-lab-worker-2-serving-certificate",
        "kubeadm-lab-ready",  # then 45 s until the last joined node is Ready
    ]
    for line in path:
        started, took, name = line.split()
        assert (int(started[:-1]), int(started[:-1]) + int(took[:-1])) == times[name], line
    # Every step is listed with its start and duration.
    assert re.search(r"^\s+190s\s+70s  kubeadm-lab-control-plane-kubeadm-init \(create\)$", result.stdout, re.M)


def test_a_run_whose_gate_failed_or_did_not_run_shows_no_path(tmp_path):
    lines = [line for line in timing_model.event_log(cluster()) if "kubeadm-lab-ready" not in line]
    result = timings(tmp_path, lines)
    assert result.returncode == 0, result.stderr
    assert "did not run to the end in this update" in result.stdout and "Ready after" not in result.stdout


def test_without_a_log_it_says_how_to_get_one(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts/local/timings.py"), "dev", str(tmp_path / "none.jsonl")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "`make up STACK=dev` writes one" in result.stderr


def engine_event(at: int, kind: str, op: str, urn: str) -> str:
    return json.dumps({"timestamp": timing_model.BEGAN + at, kind: {"metadata": {"op": op, "urn": urn}}})


def test_a_replaced_step_ends_when_its_replacement_is_made_not_when_its_old_copy_goes():
    gate = "urn:pulumi:dev::kubeadm-aws::kubeadm-aws:index:KubeadmBootstrap$command:remote:Command::kubeadm-lab-ready"
    worker = "urn:pulumi:dev::kubeadm-aws::aws:ec2/instance:Instance::kubeadm-lab-worker-1"
    lines = [
        engine_event(0, "preludeEvent", "", ""),
        # Create-before-delete (the engine's order): the new copy, the replace, the old copy at the end.
        engine_event(110, "resourcePreEvent", "create-replacement", gate),
        engine_event(170, "resOutputsEvent", "create-replacement", gate),
        engine_event(170, "resourcePreEvent", "replace", gate),
        engine_event(170, "resOutputsEvent", "replace", gate),
        engine_event(900, "resourcePreEvent", "delete-replaced", gate),
        engine_event(901, "resOutputsEvent", "delete-replaced", gate),
        # Delete-before-replace: the old copy first; the step spans both.
        engine_event(20, "resourcePreEvent", "delete-replaced", worker),
        engine_event(50, "resOutputsEvent", "delete-replaced", worker),
        engine_event(50, "resourcePreEvent", "create-replacement", worker),
        engine_event(90, "resOutputsEvent", "create-replacement", worker),
    ]
    spans = timings_module().read_spans(lines)
    assert (spans[gate].start, spans[gate].end) == (110, 170)
    assert (spans[worker].start, spans[worker].end) == (20, 90)


def timings_module():
    """scripts/local/timings.py as a module."""
    spec = importlib.util.spec_from_file_location("timings", ROOT / "scripts" / "local" / "timings.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("timings", module)  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
