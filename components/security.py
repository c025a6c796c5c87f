"""The cluster's security group: who may reach the nodes, and on which ports."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.facts import API_SERVER_PORT, NODE_PORT_RANGE, SSH_PORT
from components.tags import cloud_tags, cluster_tags


@dataclass(frozen=True)
class PortRule:
    description: str
    from_port: int
    to_port: int


# Reachable from the allowed CIDRs. Everything else (kubelet 10250, etcd 2379-2380, scheduler 10259,
# controller-manager 10257, Calico BGP and IP-in-IP, Flannel VXLAN) only flows between the nodes.
PUBLIC_PORTS = (
    PortRule("SSH, for the bootstrap commands and operators", SSH_PORT, SSH_PORT),
    PortRule("Kubernetes API server", API_SERVER_PORT, API_SERVER_PORT),
    PortRule("NodePort services", *NODE_PORT_RANGE),
)


@dataclass(frozen=True)
class SecurityGroupArgs:
    cluster_name: str
    vpc_id: pulumi.Input[str]
    allowed_cidrs: Sequence[str]  # who may reach PUBLIC_PORTS
    aws_integration: bool = False  # the cloud controller finds the nodes' group by its cluster tag


class ClusterSecurityGroup(pulumi.ComponentResource):
    """A security group with one rule resource per rule (no inline rules).

    Attributes:
        security_group_id: the group's id, for the instances.
    """

    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: SecurityGroupArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:ClusterSecurityGroup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{name}-nodes",
            name_prefix=f"{args.cluster_name}-nodes-",
            description=f"Nodes of the {args.cluster_name} Kubernetes cluster",
            vpc_id=args.vpc_id,
            tags=cluster_tags(args.cluster_name, f"{args.cluster_name}-nodes")
            | cloud_tags(args.cluster_name, args.aws_integration),
            opts=child,
        )
        for rule in PUBLIC_PORTS:
            for cidr in args.allowed_cidrs:
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-{rule.from_port}-from-{cidr.replace('/', '-')}",
                    security_group_id=group.id,
                    description=rule.description,
                    ip_protocol="tcp",
                    from_port=rule.from_port,
                    to_port=rule.to_port,
                    cidr_ipv4=cidr,
                    opts=child,
                )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-between-nodes",
            security_group_id=group.id,
            description="All traffic between the cluster's nodes",
            ip_protocol="-1",
            referenced_security_group_id=group.id,
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-egress",
            security_group_id=group.id,
            description="Packages, images and manifests from the internet",
            ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0",
            opts=child,
        )
        if any(ipaddress.ip_network(cidr).prefixlen == 0 for cidr in args.allowed_cidrs):
            pulumi.log.warn(
                "allowedCidrs includes 0.0.0.0/0: SSH (22), the Kubernetes API (6443) and NodePorts are open to the "
                "whole internet. Restrict them: pulumi config set --path 'allowedCidrs[0]' <your-ip>/32",
                resource=self,
            )
        self.security_group_id = group.id
        self.register_outputs({"security_group_id": self.security_group_id})
