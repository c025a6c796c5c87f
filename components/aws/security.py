"""The cluster's security group: who may reach the nodes, and on which ports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import facts
from components.aws.tags import cloud_tags, cluster_tags
from components.facts import API_SERVER_PORT, ETCD_PORTS, KUBELET_PORT, NODE_PORT_RANGE, SSH_PORT


@dataclass(frozen=True)
class PortRule:
    description: str
    from_port: int
    to_port: int


# Reachable from the allowed CIDRs. Nothing else is reachable from outside the cluster's groups.
PUBLIC_PORTS = (
    PortRule("SSH, for the bootstrap commands and operators", SSH_PORT, SSH_PORT),
    PortRule("Kubernetes API server", API_SERVER_PORT, API_SERVER_PORT),
    PortRule("NodePort services", *NODE_PORT_RANGE),
)


NODES = "nodes"  # every instance of the cluster (the group the cloud controller adds its rules to)
CONTROL_PLANES = "control-plane"  # the control-plane instances only


@dataclass(frozen=True)
class NodeRule:
    """Traffic `target` instances accept from `source` instances. `protocol` is tcp, udp, icmp or an
    IP protocol number (no ports); for icmp the ports are the ICMP type and code (-1: any)."""

    key: str  # names the rule resource
    description: str
    protocol: str
    target: str
    source: str
    from_port: int | None = None
    to_port: int | None = None


# Between the cluster's own instances. The scheduler (10259), the controller manager (10257) and
# etcd's client and peer ports are reachable by no worker: those components listen for their own
# control plane (and etcd for the other control planes) only.
NODE_RULES = (
    NodeRule(
        "api-server",
        "Kubernetes API server, from the kubelets and pods",
        "tcp",
        CONTROL_PLANES,
        NODES,
        API_SERVER_PORT,
        API_SERVER_PORT,
    ),
    NodeRule(
        "etcd", "etcd client and peer ports, between control planes", "tcp", CONTROL_PLANES, CONTROL_PLANES, *ETCD_PORTS
    ),
    NodeRule(
        "kubelet",
        "kubelet API (logs, exec, port-forward), from the API server",
        "tcp",
        NODES,
        CONTROL_PLANES,
        KUBELET_PORT,
        KUBELET_PORT,
    ),
    NodeRule(
        "ssh",
        "SSH, the bootstrap steps reach workers through the control plane",
        "tcp",
        NODES,
        CONTROL_PLANES,
        SSH_PORT,
        SSH_PORT,
    ),
    NodeRule("icmp-unreachable", "ICMP destination unreachable, for path MTU discovery", "icmp", NODES, NODES, 3, -1),
)

# The pod network's node-to-node traffic, as each pinned manifest configures it (tests check these
# against the manifests): Calico's BIRD speaks BGP and its pool encapsulates in IP-in-IP; Flannel's
# backend is VXLAN.
POD_NETWORK_RULES = {
    "calico": (
        NodeRule("calico-bgp", "Calico BGP between nodes", "tcp", NODES, NODES, 179, 179),
        NodeRule("calico-ipip", "Calico IP-in-IP pod traffic", "4", NODES, NODES),
    ),
    "flannel": (NodeRule("flannel-vxlan", "Flannel VXLAN pod traffic", "udp", NODES, NODES, 8472, 8472),),
}


# AWS's default quota of inbound rules per security group (L-0EA8095F), and the rules kept free in the
# nodes' group for the cloud controller, which adds its own for each LoadBalancer Service.
INBOUND_RULES_QUOTA = 60
CLOUD_CONTROLLER_RULES = 10


def nodes_inbound_rules(allowed_cidrs: int, cni: str, aws_integration: bool) -> int:
    """How many inbound rules the nodes' group holds: PUBLIC_PORTS for each allowed CIDR, the rules
    between the cluster's instances that land in it, and room for the cloud controller's."""
    between = [rule for rule in (*NODE_RULES, *POD_NETWORK_RULES[cni]) if rule.target == NODES]
    return len(PUBLIC_PORTS) * allowed_cidrs + len(between) + (CLOUD_CONTROLLER_RULES if aws_integration else 0)


def security_group(
    name: str,
    cluster_name: str,
    role: str,
    what: str,
    *,
    vpc_id: pulumi.Input[str],
    parent: pulumi.Resource,
    extra_tags: dict[str, str] | None = None,
) -> aws.ec2.SecurityGroup:
    """A security group of the cluster named `<cluster>-<role>-…`, without inline rules."""
    return aws.ec2.SecurityGroup(
        name,
        name_prefix=f"{cluster_name}-{role}-",
        description=f"{what} of the {cluster_name} Kubernetes cluster",
        vpc_id=vpc_id,
        tags=cluster_tags(cluster_name, f"{cluster_name}-{role}") | (extra_tags or {}),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def allow(
    name: str,
    *,
    group_id: pulumi.Input[str],
    description: str,
    protocol: str,
    ports: tuple[int | None, int | None],
    parent: pulumi.Resource,
    cidr: str | None = None,
    peer_group_id: pulumi.Input[str] | None = None,
    egress: bool = False,
) -> None:
    """One rule resource of `group_id`: traffic from (or with `egress`, to) `cidr` or `peer_group_id`."""
    rule = aws.vpc.SecurityGroupEgressRule if egress else aws.vpc.SecurityGroupIngressRule
    rule(
        name,
        security_group_id=group_id,
        description=description,
        ip_protocol=protocol,
        from_port=ports[0],
        to_port=ports[1],
        cidr_ipv4=cidr,
        referenced_security_group_id=peer_group_id,
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class SecurityGroupArgs:
    cluster_name: str
    vpc_id: pulumi.Input[str]
    allowed_cidrs: Sequence[str]  # who may reach PUBLIC_PORTS
    cni: str  # whose node-to-node traffic to admit (POD_NETWORK_RULES)
    aws_integration: bool = False  # the cloud controller finds the nodes' group by its cluster tag


class ClusterSecurityGroup(pulumi.ComponentResource):
    """Two security groups, one rule resource per rule (no inline rules): one for every node, one more
    for the control planes.

    Attributes:
        security_group_id: the group of every node, for all instances.
        control_plane_security_group_id: the control planes' group, for their instances as well.
    """

    security_group_id: pulumi.Output[str]
    control_plane_security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: SecurityGroupArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:ClusterSecurityGroup", name, None, opts)
        group = security_group(
            f"{name}-nodes",
            args.cluster_name,
            NODES,
            "Nodes",
            vpc_id=args.vpc_id,
            parent=self,
            extra_tags=cloud_tags(args.cluster_name, args.aws_integration),
        )
        for rule in PUBLIC_PORTS:
            for cidr in args.allowed_cidrs:
                allow(
                    f"{name}-{rule.from_port}-from-{cidr.replace('/', '-')}",
                    group_id=group.id,
                    description=rule.description,
                    protocol="tcp",
                    ports=(rule.from_port, rule.to_port),
                    cidr=cidr,
                    parent=self,
                )
        # Not tagged for the cluster: the cloud controller expects one tagged group per instance.
        control_planes = security_group(
            f"{name}-control-plane",
            args.cluster_name,
            CONTROL_PLANES,
            "Control planes",
            vpc_id=args.vpc_id,
            parent=self,
        )
        groups = {NODES: group, CONTROL_PLANES: control_planes}
        for rule in (*NODE_RULES, *POD_NETWORK_RULES[args.cni]):
            allow(
                f"{name}-{rule.key}",
                group_id=groups[rule.target].id,
                description=rule.description,
                protocol=rule.protocol,
                ports=(rule.from_port, rule.to_port),
                peer_group_id=groups[rule.source].id,
                parent=self,
            )
        allow(
            f"{name}-egress",
            group_id=group.id,
            description="Packages, images and manifests from the internet",
            protocol="-1",
            ports=(None, None),
            cidr="0.0.0.0/0",
            egress=True,
            parent=self,
        )
        if facts.open_to_world(args.allowed_cidrs):
            pulumi.log.warn(
                "allowedCidrs opens SSH (22), the Kubernetes API (6443) and NodePorts to the whole internet "
                f"(0.0.0.0/0, or ranges that together are wider than a /{facts.WORLD_PREFIX_LENGTH}). Restrict them: "
                "pulumi config set --path 'allowedCidrs[0]' <your-ip>/32",
                resource=self,
            )
        self.security_group_id = group.id
        self.control_plane_security_group_id = control_planes.id
        self.register_outputs(
            {
                "security_group_id": self.security_group_id,
                "control_plane_security_group_id": self.control_plane_security_group_id,
            }
        )
