"""Each policy's validate function, called directly on passing and failing resources, and the whole
pack run over the resources the real stack program registers."""

import json
import sys
from pathlib import Path

import policies
import pytest
import yaml
from pulumi_policy import EnforcementLevel, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.policy import PolicyCustomTimeouts

POLICY_DIR = Path(__file__).resolve().parent.parent


def args_for(resource_type: str, props: dict) -> ResourceValidationArgs:
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return ResourceValidationArgs(resource_type, props, f"urn:pulumi:dev::p::{resource_type}::r", "r", options, None)


def violations(policy_function, resource_type: str, props: dict) -> list[str]:
    found: list[str] = []
    policy_function(args_for(resource_type, props), lambda message, urn=None: found.append(message))
    return found


GOOD_INSTANCE = {
    "instanceType": "t3.medium",
    "metadataOptions": {"httpTokens": "required"},
    "rootBlockDevice": {"encrypted": True, "volumeType": "gp3"},
    "tags": {"Cluster": "lab", "Role": "control-plane", policies.VCPUS_TAG: "2", policies.MEMORY_TAG: "4096"},
}


def instance(**changes):
    props = json.loads(json.dumps(GOOD_INSTANCE))
    props.update(changes)
    return props


@pytest.mark.parametrize(
    "function",
    [
        policies.require_imdsv2,
        policies.require_encrypted_root_volume,
        policies.require_kubeadm_control_plane_minimum,
        policies.require_cluster_tag,
    ],
)
def test_a_hardened_tagged_control_plane_passes(function):
    assert violations(function, policies.INSTANCE, GOOD_INSTANCE) == []


@pytest.mark.parametrize("metadata", [{}, {"httpTokens": "optional"}, None])
def test_imdsv1_is_a_violation(metadata):
    (message,) = violations(policies.require_imdsv2, policies.INSTANCE, instance(metadataOptions=metadata))
    assert "IMDSv2" in message


@pytest.mark.parametrize("root", [{}, {"encrypted": False}, None])
def test_unencrypted_root_volume_is_a_violation(root):
    assert violations(policies.require_encrypted_root_volume, policies.INSTANCE, instance(rootBlockDevice=root))


def test_missing_cluster_tag_is_a_violation():
    assert violations(policies.require_cluster_tag, policies.INSTANCE, instance(tags={"Name": "x"}))


@pytest.mark.parametrize(
    "instance_type, tags, bad",
    [
        ("t3.micro", {"Role": "control-plane", policies.VCPUS_TAG: "2", policies.MEMORY_TAG: "1024"}, True),
        ("t2.small", {"Role": "control-plane", policies.VCPUS_TAG: "1", policies.MEMORY_TAG: "2048"}, True),
        ("t3.small", {"Role": "control-plane", policies.VCPUS_TAG: "2", policies.MEMORY_TAG: "2048"}, False),
        ("t3.nano", {"Role": "control-plane"}, True),  # untagged: known-too-small sizes still fail
        ("t3.micro", {"Role": "worker"}, False),  # the minimum is for the control plane only
    ],
)
def test_control_plane_below_kubeadm_minimum(instance_type, tags, bad):
    found = violations(
        policies.require_kubeadm_control_plane_minimum,
        policies.INSTANCE,
        instance(instanceType=instance_type, tags={"Cluster": "lab", **tags}),
    )
    assert bool(found) is bad


@pytest.mark.parametrize(
    "resource_type, props, exposed",
    [
        (policies.INGRESS_RULE, {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"}, ["SSH"]),
        (
            policies.INGRESS_RULE,
            {"ipProtocol": "tcp", "fromPort": 6443, "toPort": 6443, "cidrIpv6": "::/0"},
            ["the Kubernetes API"],
        ),
        (
            policies.INGRESS_RULE,
            {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"},
            ["SSH", "the Kubernetes API", "NodePorts"],
        ),
        (policies.INGRESS_RULE, {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "203.0.113.7/32"}, []),
        (
            policies.INGRESS_RULE,
            {"ipProtocol": "tcp", "fromPort": 30000, "toPort": 32767, "cidrIpv4": "0.0.0.0/0"},
            ["NodePorts"],
        ),
        (
            policies.INGRESS_RULE,
            {"ipProtocol": "tcp", "fromPort": 32000, "toPort": 40000, "cidrIpv4": "0.0.0.0/0"},
            ["NodePorts"],
        ),
        (policies.INGRESS_RULE, {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"}, []),
        (policies.INGRESS_RULE, {"ipProtocol": "-1", "referencedSecurityGroupId": "sg-1"}, []),
        (
            policies.SECURITY_GROUP,
            {"ingress": [{"protocol": "tcp", "fromPort": 0, "toPort": 65535, "cidrBlocks": ["0.0.0.0/0"]}]},
            ["SSH", "the Kubernetes API", "NodePorts"],
        ),
        (
            policies.SECURITY_GROUP_RULE,
            {"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]},
            ["SSH"],
        ),
        (
            policies.SECURITY_GROUP_RULE,
            {"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]},
            [],
        ),
        (  # two halves are the whole address space
            policies.SECURITY_GROUP_RULE,
            {
                "type": "ingress",
                "protocol": "tcp",
                "fromPort": 22,
                "toPort": 22,
                "cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"],
            },
            ["SSH"],
        ),  # fmt: skip
        (
            policies.INGRESS_RULE,
            {"ipProtocol": "tcp", "fromPort": 6443, "toPort": 6443, "cidrIpv4": "10.0.0.0/7"},
            ["the Kubernetes API"],
        ),  # fmt: skip
        (policies.INGRESS_RULE, {"ipProtocol": "tcp", "fromPort": 6443, "toPort": 6443, "cidrIpv4": "10.0.0.0/9"}, []),
    ],
)
def test_public_ports_open_to_the_world(resource_type, props, exposed):
    found = violations(policies.forbid_public_ports_open_to_world, resource_type, props)
    assert [message.split(" is open")[0] for message in found] == exposed


def test_enforcement_levels():
    levels = {policy.name: policy.enforcement_level for policy in policies.POLICIES}
    assert levels.pop("public-ports-not-open-to-world") == EnforcementLevel.ADVISORY
    assert set(levels.values()) == {EnforcementLevel.MANDATORY}


def test_strict_config_makes_the_exposure_policy_mandatory():
    config = json.loads((POLICY_DIR / "strict.json").read_text())
    assert config == {"public-ports-not-open-to-world": "mandatory"}
    assert "public-ports-not-open-to-world" in {policy.name for policy in policies.POLICIES}


def test_main_holds_only_the_pack():
    main = (POLICY_DIR / "__main__.py").read_text()
    assert "PolicyPack(" in main and "def " not in main
    assert yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())["runtime"]["name"] == "python"


def test_the_pack_takes_kubeadms_minimum_and_the_tags_from_the_programs_facts():
    from components import facts

    assert (policies.VCPUS_TAG, policies.MEMORY_TAG) == (facts.VCPUS_TAG, facts.MEMORY_TAG)
    assert (policies.KUBEADM_MIN_VCPUS, policies.KUBEADM_MIN_MEMORY_MIB) == (2, 1700)


def test_the_shared_facts_need_nothing_beyond_the_standard_library():
    # The pack runs in its own virtual environment (pulumi-policy only) and imports components.facts.
    import ast

    tree = ast.parse((POLICY_DIR.parent / "components" / "facts.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}  # fmt: skip
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= sys.stdlib_module_names, imported - sys.stdlib_module_names


def pack_violations(run) -> dict[str, list[str]]:
    """Every policy's findings over every resource the program registered, by policy name."""
    found: dict[str, list[str]] = {}
    for resource in run.resources:
        for policy in policies.POLICIES:
            messages: list[str] = []
            policy.validate(
                args_for(resource.type, resource.inputs), lambda message, urn=None, sink=messages: sink.append(message)
            )
            found.setdefault(policy.name, []).extend(f"{resource.name}: {m}" for m in messages)
    return {name: messages for name, messages in found.items() if messages}


def test_the_stack_passes_the_pack_when_restricted():
    from tests.harness import run_program, stack_config

    assert pack_violations(run_program(stack_config(allowedCidrs=["203.0.113.7/32"]))) == {}


def test_a_stack_opened_to_the_world_gets_only_the_exposure_policy():
    from tests.harness import run_program, stack_config

    found = pack_violations(run_program(stack_config(allowedCidrs=["0.0.0.0/0"])))
    assert set(found) == {"public-ports-not-open-to-world"}
    assert len(found["public-ports-not-open-to-world"]) == 3  # the SSH, API and NodePort rules
