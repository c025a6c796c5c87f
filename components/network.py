"""Where the nodes live: a dedicated VPC with one public subnet, or an existing VPC and subnet."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.tags import PUBLIC_LOAD_BALANCER_TAG, cloud_tags, cluster_tags


@dataclass(frozen=True)
class NetworkArgs:
    cluster_name: str
    availability_zone: str  # of the public subnet the stack creates
    vpc_cidr: str
    subnet_cidr: str
    existing_vpc_id: str | None = None  # with existing_subnet_id: use these instead of creating a VPC
    existing_subnet_id: str | None = None
    aws_integration: bool = False  # tag the subnet for the cloud controller's load balancers


class Network(pulumi.ComponentResource):
    """The VPC and the public subnet of the cluster.

    Attributes:
        vpc_id: the VPC's id.
        subnet_id: the public subnet's id; instances there get public addresses.
    """

    vpc_id: pulumi.Output[str]
    subnet_id: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:Network", name, None, opts)
        if args.existing_vpc_id:
            self.vpc_id = pulumi.Output.from_input(args.existing_vpc_id)
            self.subnet_id = pulumi.Output.from_input(args.existing_subnet_id)
            self._tag_existing_subnet(name, args)
        else:
            self._create(name, args)
        self.register_outputs({"vpc_id": self.vpc_id, "subnet_id": self.subnet_id})

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
        subnet = aws.ec2.Subnet(
            f"{name}-public",
            vpc_id=vpc.id,
            cidr_block=args.subnet_cidr,
            availability_zone=args.availability_zone,
            map_public_ip_on_launch=True,
            tags=subnet_tags,
            opts=child,
        )
        routes = aws.ec2.RouteTable(
            f"{name}-public-routes",
            vpc_id=vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}],
            tags=tags("public"),
            opts=child,
        )
        aws.ec2.RouteTableAssociation(
            f"{name}-public-routes", subnet_id=subnet.id, route_table_id=routes.id, opts=child
        )
        self.vpc_id = vpc.id
        self.subnet_id = subnet.id

    def _tag_existing_subnet(self, name: str, args: NetworkArgs) -> None:
        """The cloud controller's cluster tag on a subnet this stack uses but does not own ("shared"). Only
        that key, which no one else writes: the subnet's other tags, kubernetes.io/role/elb among them,
        stay its owner's, and destroying the stack removes nothing but this tag."""
        if not args.aws_integration:
            return
        ((key, value),) = cloud_tags(args.cluster_name, True, ownership="shared").items()
        aws.ec2.Tag(
            f"{name}-subnet-cluster-tag",
            resource_id=args.existing_subnet_id,
            key=key,
            value=value,
            opts=pulumi.ResourceOptions(parent=self),
        )
