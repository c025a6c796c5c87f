"""What AWS says of the chosen instance types and network, checked before any resource is registered."""

import pytest

from tests.harness import run_program, stack_config
from tests.mocks import ClusterMocks
from tests.test_settings import assert_rejected


@pytest.mark.parametrize(
    "instance_type, shown",
    [("t3.micro", "2 vCPU and 1024 MiB"), ("t2.micro", "1 vCPU and 1024 MiB")],
)
def test_control_plane_below_kubeadm_minimum_is_rejected(instance_type, shown):
    assert_rejected(
        ["kubeadm-aws:controlPlaneInstanceType", shown, "at least 2 vCPU and 1700 MiB"],
        controlPlaneInstanceType=instance_type,
    )


def test_control_plane_minimum_uses_the_instance_type_lookup():
    run = run_program(stack_config(controlPlaneInstanceType="t3.small", workerInstanceType="t3.micro"))
    looked_up = [
        args["instanceType"] for token, args in run.mocks.invokes if token == "aws:ec2/getInstanceType:getInstanceType"
    ]
    assert looked_up == ["t3.small", "t3.micro"]  # small workers are fine: kubeadm's minimum is for the control plane


def test_unknown_instance_type_names_the_key():
    assert_rejected(
        [
            "kubeadm-aws:workerInstanceType = 't3.mediun'",
            "no availability zone of this region offers this instance type",
        ],
        workerInstanceType="t3.mediun",
    )


def test_instance_types_offered_in_no_common_zone_are_rejected():
    assert_rejected(
        ["kubeadm-aws:workerInstanceType", "offers both ['t3.large', 't4g.medium']"],
        controlPlaneInstanceType="t4g.medium",
        workerInstanceType="t3.large",
    )


def test_instance_type_without_ubuntu_architecture_is_rejected():
    assert_rejected(
        ["kubeadm-aws:workerInstanceType = 'mac1.metal'", "x86_64 or arm64"], workerInstanceType="mac1.metal"
    )


@pytest.mark.parametrize(
    "settings, complaint",
    [
        (
            {"existingVpcId": "vpc-0typo", "existingSubnetId": "subnet-0public"},
            "kubeadm-aws:existingVpcId = 'vpc-0typo'",
        ),
        (
            {"existingVpcId": "vpc-0existing", "existingSubnetId": "subnet-0typo"},
            "kubeadm-aws:existingSubnetId = 'subnet-0typo'",
        ),
    ],
)
def test_existing_network_ids_must_exist(settings, complaint):
    assert_rejected([complaint, "exists in this account and region"], **settings)


def test_existing_subnet_must_belong_to_the_vpc():
    assert_rejected(
        ["kubeadm-aws:existingSubnetId = 'subnet-0elsewhere'", "belongs to vpc-0other"],
        existingVpcId="vpc-0existing",
        existingSubnetId="subnet-0elsewhere",
    )


def test_existing_vpc_needs_dns_hostnames():
    assert_rejected(
        ["kubeadm-aws:existingVpcId = 'vpc-0nodns'", "DNS hostnames"],
        existingVpcId="vpc-0nodns",
        existingSubnetId="subnet-0nodns",
    )


def test_existing_vpc_range_must_not_overlap_pods():
    assert_rejected(
        ["overlaps podCidr 172.16.0.0/12"],
        existingVpcId="vpc-0existing",
        existingSubnetId="subnet-0public",
        podCidr="172.16.0.0/12",
    )


def test_spot_workers_need_a_type_aws_sells_as_spot():
    assert_rejected(
        ["kubeadm-aws:workerSpot = True is invalid: AWS does not offer workerInstanceType u-6tb1.56xlarge as a Spot"],
        workerSpot="true",
        workerInstanceType="u-6tb1.56xlarge",
    )
    assert run_program(stack_config(workerInstanceType="u-6tb1.56xlarge")).error is None  # on demand it is


def test_spot_workers_cannot_be_paused():
    assert_rejected(
        ["kubeadm-aws:paused = True is invalid: Spot workers cannot be stopped"], workerSpot="true", paused="true"
    )


def test_an_architecture_the_os_has_no_image_for_is_refused_by_the_key_that_chose_it():
    noble_arm64 = "ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-arm64-server-*"
    run = run_program(
        stack_config(nodeOs="ubuntu-24.04", workerInstanceType="t4g.medium", controlPlaneInstanceType="t4g.medium"),
        expect_error=True,
        mocks=ClusterMocks(missing_images=frozenset({noble_arm64})),
    )
    message = str(run.error)
    assert (
        "kubeadm-aws:controlPlaneInstanceType = 't4g.medium' is invalid: Canonical publishes no ubuntu-24.04 image"
        in message
    )
    assert (
        "kubeadm-aws:workerInstanceType = 't4g.medium' is invalid" in message and "for arm64 in this region" in message
    )
    assert run.resources == []


def test_graviton_for_every_role_builds_the_whole_cluster_on_arm64():
    run = run_program(stack_config(controlPlaneInstanceType="t4g.medium", workerInstanceType="t4g.medium"))
    assert run.error is None
    lookups = [args for token, args in run.mocks.invokes if token == "aws:ec2/getAmi:getAmi"]
    assert {f["values"][0] for lookup in lookups for f in lookup["filters"] if f["name"] == "architecture"} == {"arm64"}
    assert {i.inputs["instanceType"] for i in run.of_type("aws:ec2/instance:Instance")} == {"t4g.medium"}
    assert "kubeadm-lab-smoke-test" in {r.name for r in run.resources}
