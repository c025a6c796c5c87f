"""Who the nodes are to AWS: an IAM role and instance profile for the control plane and, with AWS
integration, for the workers. Each permission is a least-privilege inline policy: the add-ons' ones here
(components/aws/policies.py), the snapshot bucket's in components/aws/backups.py."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws import policies as aws_policies
from components.aws.tags import cluster_tags

EC2_TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)


@dataclass(frozen=True)
class NodeRolesArgs:
    cluster_name: str
    # The cloud controller and the EBS CSI controller run on the control plane; workers get the node
    # policy those projects document.
    aws_integration: bool = False


class NodeRoles(pulumi.ComponentResource):
    """The nodes' roles.

    Attributes:
        control_plane_role_name: the control plane's role, for policies to attach to.
        control_plane_instance_profile: its instance profile's name, for the instance.
        worker_instance_profile: the workers' instance profile's name, or None without AWS integration.
    """

    control_plane_role_name: pulumi.Output[str]
    control_plane_instance_profile: pulumi.Output[str]
    worker_instance_profile: pulumi.Output[str] | None

    def __init__(self, name: str, args: NodeRolesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:NodeRoles", name, None, opts)
        role, profile = self._role(name, args.cluster_name, "control-plane", "cp")
        self.control_plane_role_name = role.name
        self.control_plane_instance_profile = profile.name
        self.worker_instance_profile = None
        if args.aws_integration:
            self._policy(f"{name}-cloud-controller", role, aws_policies.cloud_controller_policy())
            self._policy(f"{name}-ebs-csi-controller", role, aws_policies.ebs_csi_controller_policy())
            worker_role, worker_profile = self._role(name, args.cluster_name, "workers", "wk")
            self._policy(f"{name}-workers-node", worker_role, aws_policies.node_policy())
            self.worker_instance_profile = worker_profile.name
        self.register_outputs({"control_plane_role_name": self.control_plane_role_name})

    def _role(self, name: str, cluster_name: str, who: str, short: str) -> tuple[aws.iam.Role, aws.iam.InstanceProfile]:
        child = pulumi.ResourceOptions(parent=self)
        # IAM name prefixes may be 38 characters at most.
        prefix = f"{cluster_name[:24]}-{short}-"
        tags = cluster_tags(cluster_name, f"{cluster_name}-{who}")
        role = aws.iam.Role(
            f"{name}-{who}",
            name_prefix=prefix,
            description=f"{who.replace('-', ' ').capitalize()} of the {cluster_name} Kubernetes cluster",
            assume_role_policy=EC2_TRUST_POLICY,
            tags=tags,
            opts=child,
        )
        profile = aws.iam.InstanceProfile(f"{name}-{who}", name_prefix=prefix, role=role.name, tags=tags, opts=child)
        return role, profile

    def _policy(self, name: str, role: aws.iam.Role, document: str) -> aws.iam.RolePolicy:
        return aws.iam.RolePolicy(name, role=role.name, policy=document, opts=pulumi.ResourceOptions(parent=self))
