"""Every setting is validated before any resource is registered, with an error naming the key."""

from pathlib import Path

import pytest
import yaml

from components import config, versions
from tests.harness import ROOT, run_program, stack_config


def assert_rejected(expected_fragments: list[str], **settings):
    run = run_program(stack_config(**settings), expect_error=True)
    assert isinstance(run.error, config.ConfigError)
    message = str(run.error)
    for fragment in expected_fragments:
        assert fragment in message, message
    assert run.resources == [], "a resource was registered before the config was validated"
    return message


@pytest.mark.parametrize("value", ["-1", "two", "2.5", "21", ""])
def test_worker_count_must_be_a_whole_number_in_range(value):
    assert_rejected(["kubeadm-aws:workerCount", repr(value), "whole number from 0 to 20"], workerCount=value)


@pytest.mark.parametrize("key", ["podCidr", "serviceCidr", "vpcCidr"])
@pytest.mark.parametrize("value", ["10.0.0.0/33", "10.0.0.1/16", "banana", "fd00::/64"])
def test_malformed_cidrs_are_rejected(key, value):
    assert_rejected([f"kubeadm-aws:{key}", "IPv4 CIDR"], **{key: value})


@pytest.mark.parametrize(
    "settings, complaint",
    [
        ({"podCidr": "10.96.0.0/16"}, "kubeadm-aws:serviceCidr = '10.96.0.0/12' is invalid: it overlaps podCidr"),
        ({"vpcCidr": "10.244.0.0/20"}, "kubeadm-aws:vpcCidr = '10.244.0.0/20' is invalid: it overlaps podCidr"),
        ({"serviceCidr": "10.0.0.0/24"}, "kubeadm-aws:vpcCidr = '10.0.0.0/16' is invalid: it overlaps serviceCidr"),
    ],
)
def test_pod_service_and_vpc_ranges_must_not_overlap(settings, complaint):
    assert_rejected([complaint], **settings)


@pytest.mark.parametrize("value", ["1.33", "1.38", "v1.36", "1.36.2", "latest"])
def test_kubernetes_version_must_be_a_supported_minor(value):
    message = assert_rejected(["kubeadm-aws:kubernetesVersion", repr(value)], kubernetesVersion=value)
    assert ", ".join(versions.SUPPORTED_KUBERNETES_MINORS) in message


def test_unknown_cni_and_os_are_rejected_together():
    message = assert_rejected(
        [
            "kubeadm-aws:cni = 'weave'",
            "calico, flannel",
            "kubeadm-aws:nodeOs = 'debian-12'",
            "ubuntu-22.04, ubuntu-24.04",
        ],
        cni="weave",
        nodeOs="debian-12",
    )
    assert message.count("\n  - ") == 2


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


@pytest.mark.parametrize("value", ["Lab", "a", "-lab", "lab-", "lab_1", "x" * 33])
def test_cluster_name_is_a_short_dns_label(value):
    assert_rejected(["kubeadm-aws:clusterName"], clusterName=value)


@pytest.mark.parametrize("value", ["7", "16385", "big"])
def test_root_volume_size_is_bounded(value):
    assert_rejected(["kubeadm-aws:rootVolumeSize", "from 8 to 16384"], rootVolumeSize=value)


@pytest.mark.parametrize("value", [[], ["203.0.113.7/33"], ["203.0.113.7/32", "nope"], "203.0.113.7/32", {"a": 1}])
def test_allowed_cidrs_is_a_list_of_cidrs(value):
    assert_rejected(["kubeadm-aws:allowedCidrs"], allowedCidrs=value)


def test_vpc_too_small_for_the_nodes_is_rejected():
    assert_rejected(["kubeadm-aws:vpcCidr", "holds 11 nodes, fewer than the 13"], vpcCidr="10.0.0.0/28", workerCount=12)


def test_existing_vpc_needs_its_subnet():
    assert_rejected(["kubeadm-aws:existingSubnetId", "set together"], existingVpcId="vpc-0existing")


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


def test_all_problems_are_reported_at_once():
    message = assert_rejected([], workerCount="-3", cni="cilium", podCidr="nope", rootVolumeSize="1")
    assert message.count("\n  - ") == 4


def test_defaults_make_a_valid_three_node_cluster():
    run = run_program(stack_config())
    assert len(run.of_type("aws:ec2/instance:Instance")) == 3


def test_pulumi_yaml_documents_every_setting_with_the_programs_default():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    documented = project["config"]
    assert set(documented) == set(config.DEFAULTS)
    for key, entry in documented.items():
        assert entry["description"].strip(), key
        assert entry["default"] == config.DEFAULTS[key], key
        expected_type = {int: "integer", str: "string", list: "array"}[type(config.DEFAULTS[key])]
        assert entry["type"] == expected_type, key


def test_sample_stack_is_the_guides_region_with_two_workers():
    stack = yaml.safe_load(Path(ROOT / "Pulumi.dev.yaml").read_text())["config"]
    assert stack["aws:region"] == "ap-south-1"
    run = run_program({f"{k}": str(v) for k, v in stack.items()})
    assert len(run.of_type("aws:ec2/instance:Instance")) == 3
