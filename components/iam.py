"""Who the nodes are to AWS: an IAM role and instance profile for the control plane. Components that
give the control plane access to something (the etcd snapshot bucket) attach their own least-privilege
policy to this role."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.tags import cluster_tags

EC2_TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)


@dataclass(frozen=True)
class NodeRolesArgs:
    cluster_name: str


class NodeRoles(pulumi.ComponentResource):
    """The control plane's role, with no permission of its own.

    Attributes:
        control_plane_role_name: the role's name, for policies to attach to.
        control_plane_instance_profile: the instance profile's name, for the instance.
    """

    control_plane_role_name: pulumi.Output[str]
    control_plane_instance_profile: pulumi.Output[str]

    def __init__(self, name: str, args: NodeRolesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:NodeRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # IAM name prefixes may be 38 characters at most.
        prefix = f"{args.cluster_name[:24]}-cp-"
        tags = cluster_tags(args.cluster_name, f"{args.cluster_name}-control-plane")
        role = aws.iam.Role(
            f"{name}-control-plane",
            name_prefix=prefix,
            description=f"Control plane of the {args.cluster_name} Kubernetes cluster",
            assume_role_policy=EC2_TRUST_POLICY,
            tags=tags,
            opts=child,
        )
        profile = aws.iam.InstanceProfile(
            f"{name}-control-plane", name_prefix=prefix, role=role.name, tags=tags, opts=child
        )
        self.control_plane_role_name = role.name
        self.control_plane_instance_profile = profile.name
        self.register_outputs({"control_plane_role_name": self.control_plane_role_name})
