"""Each policy's validate function, called directly on passing and failing resources, and the whole
pack run over the resources the real stack program registers."""

import json
import sys
from pathlib import Path

import policies
import pytest
import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import PolicyCustomTimeouts

POLICY_DIR = Path(__file__).resolve().parent.parent


OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def args_for(resource_type: str, props: dict) -> ResourceValidationArgs:
    return ResourceValidationArgs(resource_type, props, f"urn:pulumi:dev::p::{resource_type}::r", "r", OPTIONS, None)


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
    assert levels.pop("instances-metadata-hop-limit-one") == EnforcementLevel.ADVISORY
    assert set(levels.values()) == {EnforcementLevel.MANDATORY}


def role_policy(*statements) -> dict:
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


@pytest.mark.parametrize(
    "statement, found",
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, ["statement 1 allows *: name the actions"]),
        ({"Sid": "S3", "Effect": "Allow", "Action": ["s3:GetObject", "s3:*"], "Resource": "*"},
         ["S3 allows s3:*: name the actions"]),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
         ["statement 1 allows by NotAction: everything it does not name"]),
        ({"Effect": "Deny", "Action": "s3:*", "Resource": "*"}, []),  # a Deny may be as wide as it likes
        ({"Effect": "Allow", "Action": ["ec2:DescribeInstances", "ec2:Describe*"], "Resource": "*"}, []),
    ],
    ids=["everything", "a-whole-service", "not-action", "deny", "named-and-prefixed"],
)  # fmt: skip
def test_iam_policies_name_their_actions(statement, found):
    assert violations(policies.forbid_iam_wildcards, "aws:iam/rolePolicy:RolePolicy", role_policy(statement)) == found


def test_an_iam_document_known_only_after_up_is_left_to_the_next_preview():
    assert violations(policies.forbid_iam_wildcards, "aws:iam/rolePolicy:RolePolicy", {"policy": None}) == []
    assert violations(policies.forbid_iam_wildcards, "aws:iam/rolePolicy:RolePolicy", {"policy": "{"}) == [
        "the policy document is not JSON"
    ]


@pytest.mark.parametrize("hops, found", [(1, 0), (2, 1), (2.0, 1), (None, 0)])
def test_the_metadata_service_answers_the_node_only(hops, found):
    props = instance(metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": hops})
    assert len(violations(policies.limit_metadata_hops, policies.INSTANCE, props)) == found


@pytest.mark.parametrize("algorithm, found", [("AES256", 0), ("aws:kms", 0), ("aws:kms:dsse", 0), (None, 1)])
def test_a_buckets_default_encryption_is_aes_or_kms(algorithm, found):
    props = {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm}}]}
    assert len(violations(policies.require_bucket_encryption_algorithm, policies.BUCKET_ENCRYPTION, props)) == found
    assert violations(policies.require_bucket_encryption_algorithm, policies.BUCKET_ENCRYPTION, {"rules": []})


def policy_resource(resource_type: str, name: str, props: dict, dependencies=()) -> PolicyResource:
    urn = f"urn:pulumi:dev::p::{resource_type}::{name}"
    return PolicyResource(resource_type, props, urn, name, OPTIONS, None, None, list(dependencies), {})


def stack_violations(policy_function, resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    policy_function(StackValidationArgs(resources), lambda message, urn=None: found.append((message, urn)))
    return found


def test_every_bucket_has_a_default_encryption_configuration():
    kept = policy_resource("aws:s3/bucket:Bucket", "kept", {})
    forgotten = policy_resource("aws:s3/bucket:Bucket", "forgotten", {})
    encryption = policy_resource(policies.BUCKET_ENCRYPTION, "kept-encryption", {}, dependencies=[kept])
    assert stack_violations(policies.require_every_bucket_encrypted, [kept, forgotten, encryption]) == [
        ("bucket forgotten has no default encryption configuration", forgotten.urn)
    ]


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
    """Every policy's findings over every resource the program registered, by policy name; the stack's
    policies over all of them, with each resource's dependencies as the engine gives them."""
    found: dict[str, list[str]] = {}
    by_urn: dict[str, PolicyResource] = {}
    for resource in run.resources:
        dependencies = [by_urn[urn] for urn in sorted(resource.dependencies) if urn in by_urn]
        by_urn[resource.urn] = policy_resource(resource.type, resource.name, resource.inputs, dependencies)
    for policy in policies.POLICIES:
        messages: list[str] = []
        sink = lambda message, urn=None, messages=messages: messages.append(message)  # noqa: E731
        if isinstance(policy, StackValidationPolicy):
            policy.validate(StackValidationArgs(list(by_urn.values())), sink)
        else:
            for resource in run.resources:
                before = len(messages)
                policy.validate(args_for(resource.type, resource.inputs), sink)
                messages[before:] = [f"{resource.name}: {m}" for m in messages[before:]]
        found[policy.name] = messages
    return {name: messages for name, messages in found.items() if messages}


def test_the_stack_passes_the_pack_when_restricted():
    from tests.harness import run_program, stack_config

    found = pack_violations(run_program(stack_config(allowedCidrs=["203.0.113.7/32"])))
    # Advisory, and named: with awsIntegration the control plane's add-ons still reach its role this way.
    assert found == {
        "instances-metadata-hop-limit-one": [
            "kubeadm-lab-control-plane: the metadata service answers 2 hops away: a pod on this node can take "
            "the node's IAM role (a hop limit of 1 keeps pods off it)"
        ]
    }
    assert pack_violations(run_program(stack_config(allowedCidrs=["203.0.113.7/32"], awsIntegration=False))) == {}


def test_a_stack_opened_to_the_world_gets_only_the_advisory_policies():
    from tests.harness import run_program, stack_config

    found = pack_violations(run_program(stack_config(allowedCidrs=["0.0.0.0/0"], awsIntegration=False)))
    assert set(found) == {"public-ports-not-open-to-world"}
    assert len(found["public-ports-not-open-to-world"]) == 3  # the SSH, API and NodePort rules
