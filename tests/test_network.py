"""The network: a dedicated VPC with a public subnet, or an existing one used as given."""

import pytest

from tests.harness import run_program, stack_config

INSTANCE = "aws:ec2/instance:Instance"


@pytest.fixture(scope="module")
def default_run():
    return run_program(stack_config(allowedCidrs=["203.0.113.7/32", "198.51.100.0/24"]))


def test_dedicated_vpc_with_public_subnet_and_default_route(default_run):
    (vpc,) = default_run.of_type("aws:ec2/vpc:Vpc")
    (subnet,) = default_run.of_type("aws:ec2/subnet:Subnet")
    (routes,) = default_run.of_type("aws:ec2/routeTable:RouteTable")
    (gateway,) = default_run.of_type("aws:ec2/internetGateway:InternetGateway")
    (association,) = default_run.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"
    assert subnet.inputs["cidrBlock"] == "10.0.0.0/24"
    assert subnet.inputs["mapPublicIpOnLaunch"] is True
    assert subnet.inputs["availabilityZone"] == "ap-south-1a"
    assert routes.inputs["routes"] == [{"cidrBlock": "0.0.0.0/0", "gatewayId": f"{gateway.name}-id"}]
    assert association.inputs == {"subnetId": f"{subnet.name}-id", "routeTableId": f"{routes.name}-id"}


def test_the_elastic_ip_and_the_instances_wait_for_the_internet_gateway_and_routes(default_run):
    # An Elastic IP is associated only in a VPC with a gateway, and cloud-init fetches through it.
    internet = {
        r.urn
        for r in default_run.resources
        if r.type in ("aws:ec2/internetGateway:InternetGateway", "aws:ec2/routeTableAssociation:RouteTableAssociation")
    }
    for resource in [*default_run.of_type(INSTANCE), *default_run.of_type("aws:ec2/eip:Eip")]:
        assert internet <= resource.dependencies, resource.name


def test_subnet_zone_offers_both_instance_types():
    run = run_program(stack_config(controlPlaneInstanceType="t4g.medium"))  # not offered in zone a
    (subnet,) = run.of_type("aws:ec2/subnet:Subnet")
    assert subnet.inputs["availabilityZone"] == "ap-south-1b"


def test_existing_network_is_used_as_given():
    run = run_program(stack_config(existingVpcId="vpc-0existing", existingSubnetId="subnet-0public"))
    assert not run.of_type("aws:ec2/vpc:Vpc") and not run.of_type("aws:ec2/subnet:Subnet")
    assert {g.inputs["vpcId"] for g in run.of_type("aws:ec2/securityGroup:SecurityGroup")} == {"vpc-0existing"}
    assert {i.inputs["subnetId"] for i in run.of_type(INSTANCE)} == {"subnet-0public"}
    assert run.outputs["vpcId"] == "vpc-0existing" and run.outputs["subnetId"] == "subnet-0public"


def test_the_cloud_controller_finds_the_subnet_for_public_load_balancers(default_run):
    (subnet,) = default_run.of_type("aws:ec2/subnet:Subnet")
    assert subnet.inputs["tags"]["kubernetes.io/cluster/kubeadm-lab"] == "owned"
    assert subnet.inputs["tags"]["kubernetes.io/role/elb"] == "1"


def test_an_existing_subnet_gets_only_the_clusters_shared_tag():
    run = run_program(stack_config(existingVpcId="vpc-0existing", existingSubnetId="subnet-0public"))
    (tag,) = run.of_type("aws:ec2/tag:Tag")
    assert tag.inputs == {"resourceId": "subnet-0public", "key": "kubernetes.io/cluster/kubeadm-lab", "value": "shared"}


def test_without_aws_integration_no_subnet_carries_the_cloud_controllers_tags():
    run = run_program(stack_config(awsIntegration=False))
    (subnet,) = run.of_type("aws:ec2/subnet:Subnet")
    assert not [key for key in subnet.inputs["tags"] if key.startswith("kubernetes.io/")]
    existing = run_program(
        stack_config(existingVpcId="vpc-0existing", existingSubnetId="subnet-0public", awsIntegration=False)
    )
    assert existing.of_type("aws:ec2/tag:Tag") == []
