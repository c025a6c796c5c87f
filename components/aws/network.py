"""Where the nodes live: a dedicated VPC with a public subnet in each of its zones (one, or up to three
for several control planes), or an existing VPC and subnets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.tags import PUBLIC_LOAD_BALANCER_TAG, cloud_tags, cluster_tags


@dataclass(frozen=True)
class NetworkArgs:
    cluster_name: str
    availability_zones: Sequence[str]  # one public subnet the stack creates in each, in order
    vpc_cidr: str
    subnet_cidrs: Sequence[str]  # one for each zone
    existing_vpc_id: str | None = None  # with existing_subnet_ids: use these instead of creating a VPC
    existing_subnet_ids: Sequence[str] = ()
    aws_integration: bool = False  # tag the subnets for the cloud controller's load balancers


def _suffix(index: int) -> str:
    """Names the resources of the index-th subnet; the first keeps the names it always had."""
    return "" if index == 0 else f"-{index + 1}"


class Network(pulumi.ComponentResource):
    """The VPC and the public subnets of the cluster.

    Attributes:
        vpc_id: the VPC's id.
        subnet_ids: the public subnets' ids, in the order nodes are spread over them; instances there
            get public addresses.
        subnet_id: the first of them.
        internet: the internet gateway, the route table and its associations of a created VPC (none for an
            existing one): an Elastic IP can be associated only in a VPC with a gateway, and a node's
            cloud-init fetches its packages through it, so addresses and instances wait for these.
    """

    vpc_id: pulumi.Output[str]
    subnet_ids: list[pulumi.Output[str]]
    subnet_id: pulumi.Output[str]
    internet: list[pulumi.Resource]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:Network", name, None, opts)
        self.internet = []
        if args.existing_vpc_id:
            self.vpc_id = pulumi.Output.from_input(args.existing_vpc_id)
            self.subnet_ids = [pulumi.Output.from_input(subnet_id) for subnet_id in args.existing_subnet_ids]
            self._tag_existing_subnets(name, args)
        else:
            self._create(name, args)
        self.subnet_id = self.subnet_ids[0]
        self.register_outputs({"vpc_id": self.vpc_id, "subnet_ids": self.subnet_ids})

    def _create(self, name: str, args: NetworkArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)

        def tags(suffix: str) -> dict[str, str]:
            return cluster_tags(args.cluster_name, f"{args.cluster_name}-{suffix}")

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=tags("vpc"),
            opts=child,
        )
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags("igw"), opts=child)
        subnet_tags = {**tags("public")}
        if args.aws_integration:
            subnet_tags |= cloud_tags(args.cluster_name, True) | PUBLIC_LOAD_BALANCER_TAG
        routes = aws.ec2.RouteTable(
            f"{name}-public-routes",
            vpc_id=vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}],
            tags=tags("public"),
            opts=child,
        )
        self.subnet_ids = []
        self.internet = [gateway, routes]
        for index, (zone, cidr) in enumerate(zip(args.availability_zones, args.subnet_cidrs, strict=True)):
            suffix = _suffix(index)
            subnet = aws.ec2.Subnet(
                f"{name}-public{suffix}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                map_public_ip_on_launch=True,
                tags=subnet_tags,
                opts=child,
            )
            self.internet.append(
                aws.ec2.RouteTableAssociation(
                    f"{name}-public-routes{suffix}", subnet_id=subnet.id, route_table_id=routes.id, opts=child
                )
            )
            self.subnet_ids.append(subnet.id)
        self.vpc_id = vpc.id

    def _tag_existing_subnets(self, name: str, args: NetworkArgs) -> None:
        """The cloud controller's cluster tag on each subnet this stack uses but does not own ("shared").
        Only that key, which no one else writes: the subnet's other tags, kubernetes.io/role/elb among
        them, stay its owner's, and destroying the stack removes nothing but this tag."""
        if not args.aws_integration:
            return
        ((key, value),) = cloud_tags(args.cluster_name, True, ownership="shared").items()
        for index, subnet_id in enumerate(args.existing_subnet_ids):
            suffix = _suffix(index)
            aws.ec2.Tag(
                f"{name}-subnet-cluster-tag{suffix}",
                resource_id=subnet_id,
                key=key,
                value=value,
                opts=pulumi.ResourceOptions(parent=self),
            )
