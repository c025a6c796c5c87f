#!/usr/bin/env python3
"""How long the last `make up` took, step by step, and which steps made the cluster wait.

Reads the engine's event log that `make up` writes (`pulumi up --event-log`, one JSON engine event a
line, as in pulumi's sdk/go/common/apitype/events.go: each has a Unix `timestamp` in seconds; a
`resourcePreEvent` starts a step, a `resOutputsEvent` or `resOpFailedEvent` ends it) and the state's
dependencies (`pulumi stack export`). Prints every resource the run changed with its start and
duration, then the critical path to the readiness gate: going back from the gate, each time the
dependency that finished last. Resources the run left as they were ("same") took no time and are left
out.

Usage: timings.py STACK EVENT_LOG. Exits 1 with what to do when there is no log.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

COMMAND = "command:remote:Command"
IDLE_OPS = {"same", "read", "refresh", "discard", "import"}  # no work, or not the `up` itself


@dataclass
class Span:
    urn: str
    op: str
    start: int  # seconds after the run began
    end: int | None = None
    failed: bool = False

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[1]

    @property
    def type(self) -> str:
        return self.urn.rsplit("::", 2)[1].rsplit("$", 1)[-1]


def read_spans(lines) -> dict[str, Span]:
    """Every resource the run worked on, by URN, timed from the run's first event."""
    spans: dict[str, Span] = {}
    began = None
    for line in lines:
        if not line.strip():
            continue
        event = json.loads(line)
        when = event.get("timestamp", 0)
        began = when if began is None else began
        for kind in ("resourcePreEvent", "resOutputsEvent", "resOpFailedEvent"):
            if kind not in event:
                continue
            metadata = event[kind].get("metadata", {})
            urn, op = metadata.get("urn", ""), metadata.get("op", "")
            if op in IDLE_OPS or event[kind].get("planning"):
                continue
            if kind == "resourcePreEvent":
                spans.setdefault(urn, Span(urn, op, when - began))
            elif op == "delete-replaced" and urn in spans and spans[urn].end is not None:
                # A create-before-delete replacement's old copy goes at the end of the run
                # (step_generator.go, GenerateDeletes): the step was over when its replacement was made.
                continue
            elif urn in spans:
                spans[urn].end = when - began
                spans[urn].failed = kind == "resOpFailedEvent"
    return spans


def dependencies_of(export: dict) -> dict[str, set[str]]:
    """Each resource's dependencies in the state; depending on a component means on all it holds."""
    resources = export.get("deployment", {}).get("resources", [])
    children: dict[str, list[str]] = {}
    for resource in resources:
        if resource.get("parent"):
            children.setdefault(resource["parent"], []).append(resource["urn"])

    def expanded(urn: str) -> set[str]:
        found = {urn}
        for child in children.get(urn, []):
            found |= expanded(child)
        return found

    return {
        r["urn"]: set().union(*(expanded(d) for d in r.get("dependencies", []))) if r.get("dependencies") else set()
        for r in resources
    }


def critical_path(spans: dict[str, Span], needs: dict[str, set[str]], last: str) -> list[Span]:
    """From the first step to `last`: each step preceded by the dependency that finished last (of two
    that finished together, the longer, then the later name, so that the path is the same every time)."""
    path = [spans[last]]
    while True:
        before = [spans[u] for u in needs.get(path[-1].urn, ()) if u in spans and spans[u].end is not None]
        if not before:
            return path[::-1]
        path.append(max(before, key=lambda span: (span.end, span.end - span.start, span.name)))


def named(spans: dict[str, Span], suffix: str) -> Span | None:
    found = [s for s in spans.values() if s.type == COMMAND and s.name.endswith(suffix)]
    return found[0] if len(found) == 1 else None


def report(spans: dict[str, Span], needs: dict[str, set[str]]) -> str:
    lines = [f"{'started':>8} {'took':>6}  resource (operation)"]
    for span in sorted(spans.values(), key=lambda s: (s.start, s.name)):
        took = "failed" if span.failed else "-" if span.end is None else f"{span.end - span.start}s"
        lines.append(f"{span.start:>7}s {took:>6}  {span.name} ({span.op})")
    ready, smoke = named(spans, "-ready"), named(spans, "-smoke-test")
    if ready is None or ready.end is None or ready.failed:
        lines.append("\nThe readiness gate did not run to the end in this update: no path to Ready to show.")
        return "\n".join(lines)
    lines.append(f"\nCritical path to Ready ({ready.end}s):")
    for span in critical_path(spans, needs, ready.urn):
        lines.append(f"{span.start:>7}s {span.end - span.start:>5}s  {span.name}")
    lines.append(f"\nReady after {ready.end}s")
    if smoke is not None and smoke.end is not None and not smoke.failed:
        lines[-1] += f"; the smoke test passed after {smoke.end}s"
    return "\n".join(lines)


def main(stack: str, event_log: str) -> int:
    log = Path(event_log)
    if not log.is_file():
        print(f"No event log at {log}: `make up STACK={stack}` writes one; run it, then make timings.", file=sys.stderr)
        return 1
    exported = subprocess.run(["pulumi", "stack", "export", "--stack", stack], capture_output=True, text=True)
    if exported.returncode != 0:
        print(f"pulumi stack export --stack {stack} failed:\n{exported.stderr.strip()}", file=sys.stderr)
        return 1
    print(report(read_spans(log.read_text().splitlines()), dependencies_of(json.loads(exported.stdout))))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.rsplit("Usage: ", 1)[1].strip())
    sys.exit(main(sys.argv[1], sys.argv[2]))
