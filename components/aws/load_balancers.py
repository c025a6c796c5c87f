"""The API server's stable endpoint for several control planes: two Network Load Balancers on 6443.

The nodes reach the API through an internal one: its name resolves to private addresses, so their
traffic stays in the VPC and a security-group reference admits them (an internet-facing load balancer
would see a node arrive from its public address, which changes when it is stopped). People and other
stacks reach it through an internet-facing one that admits only `allowedCidrs`. kubeadm's
controlPlaneEndpoint is the internal name; the certificate names both; the `kubeconfig` output uses the
public one. Both forward to each control plane's private address (targets by IP, the client address
not preserved, so a control plane may reach the API through the load balancer and land on itself),
and a control plane counts as up while its API server answers /readyz.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.security import allow, security_group
from components.aws.tags import cluster_tags
from components.facts import API_SERVER_PORT

HEALTH_CHECK = {
    "protocol": "HTTPS",
    "path": "/readyz",  # open to anonymous callers in every kubeadm cluster (system:public-info-viewer)
    "port": str(API_SERVER_PORT),
    "interval": 10,
    # Below the interval, as AWS requires; its default for HTTPS checks (10 s) is not.
    "timeout": 5,
    "healthy_threshold": 2,
    "unhealthy_threshold": 2,
}
# A control plane that leaves is drained this long before its API server stops.
DEREGISTRATION_DELAY_SECONDS = 20
SCHEMES = {"internal": True, "public": False}  # name -> internal
LOAD_BALANCER_COUNT = len(SCHEMES)


@dataclass(frozen=True)
class ApiLoadBalancerArgs:
    cluster_name: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]  # one in each zone of the control planes
    allowed_cidrs: Sequence[str]  # who may reach the public load balancer
    nodes_security_group_id: pulumi.Input[str]  # the nodes, which reach the internal one
    control_plane_security_group_id: pulumi.Input[str]  # the targets


class ApiLoadBalancers(pulumi.ComponentResource):
    """An internal and an internet-facing Network Load Balancer in front of the control planes.

    Attributes:
        internal_dns: the internal load balancer's DNS name (kubeadm's controlPlaneEndpoint).
        public_dns: the internet-facing one's DNS name (the kubeconfig output's server).
    """

    internal_dns: pulumi.Output[str]
    public_dns: pulumi.Output[str]

    def __init__(self, name: str, args: ApiLoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:ApiLoadBalancers", name, None, opts)
        self._name = name
        child = pulumi.ResourceOptions(parent=self)
        group = self._security_group(name, args)
        self._target_groups: dict[str, aws.lb.TargetGroup] = {}
        dns: dict[str, pulumi.Output[str]] = {}
        for scheme, internal in SCHEMES.items():
            balancer = aws.lb.LoadBalancer(
                f"{name}-{scheme}",
                load_balancer_type="network",
                internal=internal,
                subnets=list(args.subnet_ids),
                security_groups=[group.id],
                enable_cross_zone_load_balancing=True,
                tags=cluster_tags(args.cluster_name, f"{args.cluster_name}-api-{scheme}"),
                opts=child,
            )
            target_group = aws.lb.TargetGroup(
                f"{name}-{scheme}",
                port=API_SERVER_PORT,
                protocol="TCP",
                target_type="ip",
                vpc_id=args.vpc_id,
                preserve_client_ip="false",
                deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
                health_check=HEALTH_CHECK,
                tags=cluster_tags(args.cluster_name, f"{args.cluster_name}-api-{scheme}"),
                opts=child,
            )
            aws.lb.Listener(
                f"{name}-{scheme}",
                load_balancer_arn=balancer.arn,
                port=API_SERVER_PORT,
                protocol="TCP",
                default_actions=[{"type": "forward", "target_group_arn": target_group.arn}],
                opts=child,
            )
            self._target_groups[scheme] = target_group
            dns[scheme] = balancer.dns_name
        self.internal_dns = dns["internal"]
        self.public_dns = dns["public"]
        self.register_outputs({"internal_dns": self.internal_dns, "public_dns": self.public_dns})

    def _security_group(self, name: str, args: ApiLoadBalancerArgs) -> aws.ec2.SecurityGroup:
        group = security_group(
            f"{name}-api", args.cluster_name, "api", "API load balancers", vpc_id=args.vpc_id, parent=self
        )
        # (name, group, description, from a CIDR, from a group, outgoing)
        rules = [
            (f"{name}-api-from-{cidr.replace('/', '-')}", group.id, "from the allowed CIDRs", cidr, None, False)
            for cidr in args.allowed_cidrs
        ]
        rules += [
            (f"{name}-api-from-nodes", group.id, "from the nodes, through the internal load balancer", None,
             args.nodes_security_group_id, False),
            (f"{name}-api-to-control-planes", group.id, "and its health checks, to the control planes", None,
             args.control_plane_security_group_id, True),
            (f"{name}-control-planes-from-api", args.control_plane_security_group_id, "from the API load balancers",
             None, group.id, False),
        ]  # fmt: skip
        for rule_name, group_id, description, cidr, peer_group_id, egress in rules:
            allow(
                rule_name,
                group_id=group_id,
                description=f"Kubernetes API, {description}",
                protocol="tcp",
                ports=(API_SERVER_PORT, API_SERVER_PORT),
                cidr=cidr,
                peer_group_id=peer_group_id,
                egress=egress,
                parent=self,
            )
        return group

    def register(
        self, node_name: str, private_ip: pulumi.Input[str], after: Sequence[pulumi.Resource] = ()
    ) -> list[aws.lb.TargetGroupAttachment]:
        """A control plane as a target of both load balancers, once `after` (its join) is done; removed
        before that, so the load balancers drain it before it leaves."""
        return [
            aws.lb.TargetGroupAttachment(
                f"{node_name}-api-{scheme}",
                target_group_arn=target_group.arn,
                target_id=private_ip,
                port=API_SERVER_PORT,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
            )
            for scheme, target_group in self._target_groups.items()
        ]
