"""Existing stacks see no replacement from a refactor: the program registers the same resources (URNs:
name, type and parent chain) and exports the same outputs as recorded in tests/snapshots/.

The snapshots were taken from the program before the settings table and per-component args replaced
the single configuration object. A change that renames, re-parents or drops a resource fails here;
one that deliberately adds resources updates the snapshot in the same commit, with the reason.
"""

import json

import pytest

from tests.harness import ROOT, run_program, stack_config

SNAPSHOTS = ROOT / "tests" / "snapshots"
STACKS = {"default": {}, "3-workers-flannel": {"workerCount": 3, "cni": "flannel"}}


@pytest.mark.parametrize("name", sorted(STACKS))
def test_resources_and_outputs_are_those_existing_stacks_have(name):
    recorded = json.loads((SNAPSHOTS / f"{name}.json").read_text())
    run = run_program(stack_config(**STACKS[name]))
    urns = sorted(r.urn for r in run.resources)
    assert sorted(set(recorded["urns"]) - set(urns)) == [], "resources existing stacks have are gone or renamed"
    assert sorted(set(urns) - set(recorded["urns"])) == [], "new resources: update the snapshot and say why"
    assert sorted(run.outputs) == recorded["outputs"]
