"""A model of how long a first `pulumi up` takes to a Ready cluster, from the graph the program registers.

Each remote step takes what it runs takes on a t3.medium, from public figures: node preparation (the
cloud-init wait) 190 s, `kubeadm init` 70 s, a join 35 s, the CNI 40 s; any other step about 3 s (an
SSH connection through the control plane and a few kubectl calls). A node is Ready 45 s after its join
(the first control plane: after init) and the CNI, and the readiness gate ends when every node is.
AWS resources are counted as taking no time: the model starts when the instances run. Every resource
starts once all it depends on have ended, as the engine runs them (each waits for its dependencies
and nothing else: pulumi/pulumi pkg/resource/deploy/step_executor.go).

`event_log` writes the schedule as the engine's event log (`pulumi up --event-log`), so that the
reader of real logs (scripts/local/timings.py) is tested on the program's own graph."""

from __future__ import annotations

import functools
import json

from tests.harness import ProgramRun
from tests.remote import COMMAND

STEP_SECONDS = {"-cloud-init": 190, "-kubeadm-init": 70, "-join": 35, "-cni-calico": 40, "-cni-flannel": 40}
OTHER_STEP_SECONDS = 3
NODE_READY_SECONDS = 45
BEGAN = 1_700_000_000  # the Unix time the modeled run starts


def step_seconds(name: str) -> int:
    return next((s for suffix, s in STEP_SECONDS.items() if name.endswith(suffix)), OTHER_STEP_SECONDS)


def schedule(run: ProgramRun) -> dict[str, tuple[int, int]]:
    """(start, end) in seconds of every custom resource, by name."""
    customs = {r.urn: r for r in run.resources if r.custom}

    @functools.cache
    def end(urn: str) -> int:
        return start(urn) + duration(urn)

    @functools.cache
    def start(urn: str) -> int:
        return max((end(d) for d in customs[urn].dependencies if d in customs), default=0)

    def duration(urn: str) -> int:
        resource = customs[urn]
        if resource.type != COMMAND:
            return 0
        if resource.name.endswith("-ready"):
            return max(OTHER_STEP_SECONDS, every_node_ready() - start(urn))
        return step_seconds(resource.name)

    def every_node_ready() -> int:
        cni = max(end(urn) for urn, r in customs.items() if r.name.endswith(("-cni-calico", "-cni-flannel")))
        joined = [end(urn) for urn, r in customs.items() if r.name.endswith(("-kubeadm-init", "-join"))]
        return max(max(at, cni) + NODE_READY_SECONDS for at in joined)

    return {customs[urn].name: (start(urn), end(urn)) for urn in customs}


def event_log(run: ProgramRun) -> list[str]:
    """The engine's events of the modeled run, one JSON object a line, in time order."""
    times = schedule(run)
    events = [(0, 0, {"preludeEvent": {"config": {}}})]
    for resource in (r for r in run.resources if r.custom):
        began, ended = times[resource.name]
        metadata = {"op": "create", "urn": resource.urn, "type": resource.type, "provider": ""}
        events.append((began, 1, {"resourcePreEvent": {"metadata": metadata}}))
        events.append((ended, 2, {"resOutputsEvent": {"metadata": metadata}}))
    last = max(at for at, _, _ in events)
    events.append((last, 3, {"summaryEvent": {"maybeCorrupt": False, "durationSeconds": last, "resourceChanges": {}}}))
    events.sort(key=lambda event: (event[0], event[1]))
    return [
        json.dumps({"sequence": n, "timestamp": BEGAN + at, **body}) for n, (at, _, body) in enumerate(events, start=1)
    ]


def state_export(run: ProgramRun) -> dict:
    """`pulumi stack export` of the run: each resource's parent and dependencies."""
    resources = [
        {"urn": r.urn, "type": r.type, "parent": r.parent, "dependencies": sorted(r.dependencies)}
        for r in run.resources
    ]
    return {"version": 3, "deployment": {"resources": resources}}
