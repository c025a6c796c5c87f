"""The add-ons' IAM policies against what their projects document (vendored under
tests/fixtures/addons): the EBS CSI driver's example policy statement for statement, the cloud
controller's control-plane policy less what this cluster does not use, and its node policy."""

from __future__ import annotations

import json
import re

from components.aws import policies as aws_policies
from tests.harness import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "addons"

# What the cloud controller's documented control-plane policy grants that this cluster does not use:
# autoscaling groups (there are none), volumes (the EBS CSI driver has its own policy) and routes
# (--configure-cloud-routes=false).
NOT_USED = {
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeTags",
    "ec2:AttachVolume",
    "ec2:CreateVolume",
    "ec2:DeleteVolume",
    "ec2:DescribeVolumes",
    "ec2:DetachVolume",
    "ec2:ModifyVolume",
    "ec2:CreateRoute",
    "ec2:DeleteRoute",
    "ec2:ModifyInstanceAttribute",
}


def statements(document: str | dict) -> list[dict]:
    parsed = json.loads(document) if isinstance(document, str) else document
    assert parsed["Version"] == "2012-10-17"
    return parsed["Statement"]


def as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def normalised(statement: dict) -> str:
    return json.dumps(
        {
            "Effect": statement["Effect"],
            "Action": sorted(as_list(statement["Action"])),
            "Resource": sorted(as_list(statement["Resource"])),
            "Condition": statement.get("Condition"),
        },
        sort_keys=True,
    )


def actions(document: str | dict) -> set[str]:
    return {action for statement in statements(document) for action in as_list(statement["Action"])}


def documented_policies() -> list[dict]:
    """The JSON blocks of cloud-provider-aws docs/prerequisites.md: the control-plane, then the node policy."""
    text = (FIXTURES / "cloud-provider-aws-prerequisites.md").read_text()
    return [json.loads(block) for block in re.findall(r"```\n(\{.*?\})\n```", text, flags=re.S)]


def test_the_ebs_csi_policy_is_the_drivers_example_policy():
    example = json.loads((FIXTURES / "aws-ebs-csi-driver-example-iam-policy.json").read_text())
    ours = statements(aws_policies.ebs_csi_controller_policy())
    assert sorted(map(normalised, ours)) == sorted(map(normalised, statements(example)))


def test_the_ebs_csi_policy_deletes_only_what_the_driver_created():
    for statement in statements(aws_policies.ebs_csi_controller_policy()):
        if {"ec2:DeleteVolume", "ec2:DeleteSnapshot"} & set(as_list(statement["Action"])):
            (condition,) = statement["Condition"].values()
            (key,) = condition
            assert key.startswith("ec2:ResourceTag/")


def test_the_cloud_controller_policy_is_the_documented_one_less_what_is_not_used():
    control_plane, _ = documented_policies()
    ours = aws_policies.cloud_controller_policy()
    assert actions(ours) == actions(control_plane) - NOT_USED
    assert NOT_USED <= actions(control_plane), "an omission the documentation does not grant"


def test_the_cloud_controller_may_create_only_the_load_balancer_service_linked_role():
    (linked_role,) = [
        s for s in statements(aws_policies.cloud_controller_policy()) if "iam:CreateServiceLinkedRole" in s["Action"]
    ]
    assert as_list(linked_role["Action"]) == ["iam:CreateServiceLinkedRole"]
    assert linked_role["Condition"] == {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}


def test_the_node_policy_is_the_documented_one():
    _, node = documented_policies()
    assert sorted(map(normalised, statements(aws_policies.node_policy()))) == sorted(map(normalised, statements(node)))
