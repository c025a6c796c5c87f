"""The IAM policies of the AWS add-ons, least privilege, from what their projects document.

- aws-cloud-controller-manager: the control-plane policy of kubernetes/cloud-provider-aws
  docs/prerequisites.md, without what this cluster does not use: routes (--configure-cloud-routes is
  off), volumes (the EBS CSI driver manages those) and autoscaling groups (there are none).
- AWS EBS CSI driver: its docs/example-iam-policy.json (v1.64.0), statement for statement: read
  anything, but create, tag and delete only volumes and snapshots the driver marks as its own.
- Nodes: the node policy of docs/prerequisites.md (describe instances and regions, pull from ECR).
"""

from __future__ import annotations

import json

ALL = "*"
VOLUMES = "arn:aws:ec2:*:*:volume/*"
SNAPSHOTS = "arn:aws:ec2:*:*:snapshot/*"
INSTANCES = "arn:aws:ec2:*:*:instance/*"


def _document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(actions: list[str], resources: str | list[str], condition: dict | None = None) -> dict:
    statement = {"Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def _tagged(operator: str, key: str, value: str) -> dict:
    return {operator: {key: value}}


def cloud_controller_policy() -> str:
    describe = [
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceTopology",
        "ec2:DescribeRegions",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancerPolicies",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
        "kms:DescribeKey",
    ]
    load_balancers = [
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateSecurityGroup",
        "ec2:CreateTags",
        "ec2:DeleteSecurityGroup",
        "ec2:RevokeSecurityGroupIngress",
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
        "elasticloadbalancing:AttachLoadBalancerToSubnets",
        "elasticloadbalancing:ConfigureHealthCheck",
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateLoadBalancerListeners",
        "elasticloadbalancing:CreateLoadBalancerPolicy",
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:DeleteListener",
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:DeleteLoadBalancerListeners",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
        "elasticloadbalancing:DeregisterTargets",
        "elasticloadbalancing:DetachLoadBalancerFromSubnets",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
        "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
        "elasticloadbalancing:SetLoadBalancerPoliciesOfListener",
    ]
    # The first load balancer of an account needs ELB's service-linked role.
    service_linked_role = _allow(
        ["iam:CreateServiceLinkedRole"],
        ALL,
        _tagged("StringEquals", "iam:AWSServiceName", "elasticloadbalancing.amazonaws.com"),
    )
    return _document(_allow(describe, ALL), _allow(load_balancers, ALL), service_linked_role)


def ebs_csi_controller_policy() -> str:
    mine = {"ebs.csi.aws.com/cluster": "true", "CSIVolumeName": "*"}
    return _document(
        _allow(
            [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeSnapshots",
                "ec2:DescribeTags",
                "ec2:DescribeVolumes",
                "ec2:DescribeVolumeStatus",
                "ec2:DescribeVolumesModifications",
            ],
            ALL,
        ),
        _allow(["ec2:CreateSnapshot", "ec2:ModifyVolume"], VOLUMES),
        _allow(["ec2:CopyVolumes"], ["arn:aws:ec2:*:*:volume/vol-*"]),
        _allow(["ec2:AttachVolume", "ec2:DetachVolume"], [VOLUMES, INSTANCES]),
        _allow(["ec2:CreateVolume", "ec2:EnableFastSnapshotRestores"], SNAPSHOTS),
        _allow(
            ["ec2:CreateTags"],
            [VOLUMES, SNAPSHOTS],
            {"StringEquals": {"ec2:CreateAction": ["CreateVolume", "CreateSnapshot", "CopyVolumes"]}},
        ),
        _allow(["ec2:DeleteTags"], [VOLUMES, SNAPSHOTS]),
        *(
            _allow(["ec2:CopyVolumes", "ec2:CreateVolume"], VOLUMES, _tagged("StringLike", f"aws:RequestTag/{k}", v))
            for k, v in mine.items()
        ),
        *(
            _allow(["ec2:DeleteVolume"], VOLUMES, _tagged("StringLike", f"ec2:ResourceTag/{k}", v))
            for k, v in {**mine, "kubernetes.io/created-for/pvc/name": "*"}.items()
        ),
        *(
            _allow(["ec2:CreateSnapshot"], SNAPSHOTS, _tagged("StringLike", f"aws:RequestTag/{k}", v))
            for k, v in {"CSIVolumeSnapshotName": "*", "ebs.csi.aws.com/cluster": "true"}.items()
        ),
        *(
            _allow(
                ["ec2:DeleteSnapshot", "ec2:LockSnapshot"], SNAPSHOTS, _tagged("StringLike", f"ec2:ResourceTag/{k}", v)
            )
            for k, v in {"CSIVolumeSnapshotName": "*", "ebs.csi.aws.com/cluster": "true"}.items()
        ),
    )


def node_policy() -> str:
    return _document(
        _allow(
            [
                "ec2:DescribeInstances",
                "ec2:DescribeRegions",
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:DescribeRepositories",
                "ecr:GetAuthorizationToken",
                "ecr:GetDownloadUrlForLayer",
                "ecr:GetRepositoryPolicy",
                "ecr:ListImages",
            ],
            ALL,
        )
    )
