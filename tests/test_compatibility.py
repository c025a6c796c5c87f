"""Existing stacks see no replacement from a change of the program: every resource they have is still
registered under the same URN (name, type and parent chain), and the outputs are the same.

tests/snapshots/ holds the URNs of the program before the settings table replaced the single
configuration object (`urns`, `outputs`), and each resource and output added since, with the reason
(`added`, `added_outputs`). A change that renames, re-parents or drops a resource or an output fails
here; one that adds some lists them with the reason. Only a security-group rule may be dropped on
purpose (`removed`, with the reason): it holds no data, and its successors are created before it goes.
"""

import json

import pytest

from tests.harness import ROOT, run_program, stack_config

SNAPSHOTS = ROOT / "tests" / "snapshots"
# As stacks built before allowedCidrs was required have it: open (its old default), which names their rules.
OPEN = {"allowedCidrs": ["0.0.0.0/0"]}
RULE_TYPES = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",)
STACKS = {"default": OPEN, "3-workers-flannel": {**OPEN, "workerCount": 3, "cni": "flannel"}}


@pytest.mark.parametrize("name", sorted(STACKS))
def test_resources_and_outputs_are_those_existing_stacks_have(name):
    recorded = json.loads((SNAPSHOTS / f"{name}.json").read_text())
    run = run_program(stack_config(**STACKS[name]))
    urns = {r.urn for r in run.resources}
    removed = recorded.get("removed", {})
    assert sorted(set(recorded["urns"]) - urns) == sorted(removed), "resources existing stacks have are gone or renamed"
    assert all(urn.split("::")[2].endswith(RULE_TYPES) and reason.strip() for urn, reason in removed.items())
    assert sorted(urns - set(recorded["urns"])) == sorted(recorded["added"]), "new resources: list them with why"
    assert all(reason.strip() for reason in recorded["added"].values())
    assert sorted(set(recorded["outputs"]) - set(run.outputs)) == [], "outputs other stacks read are gone"
    assert sorted(set(run.outputs) - set(recorded["outputs"])) == sorted(recorded["added_outputs"])
