"""Every setting is checked before any resource is registered, with an error naming the key and what
it allows; the table in components/settings/table.py is the one description of each setting."""

from pathlib import Path

import pytest
import yaml

from components import settings, versions
from components.settings import ConfigError
from components.settings import types as setting_types
from tests.harness import ROOT, run_program, stack_config


def assert_rejected(expected_fragments: list[str], **settings):
    run = run_program(stack_config(**settings), expect_error=True)
    assert isinstance(run.error, ConfigError)
    message = str(run.error)
    for fragment in expected_fragments:
        assert fragment in message, message
    assert run.resources == [], "a resource was registered before the settings were checked"
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


@pytest.mark.parametrize("value", ["Lab", "a", "-lab", "lab-", "lab_1", "x" * 33])
def test_cluster_name_is_a_short_dns_label(value):
    assert_rejected(["kubeadm-aws:clusterName"], clusterName=value)


@pytest.mark.parametrize(
    "value", ["xn--lab", "sthree", "sthree-lab", "amzn-s3-demo", "amzn-s3-demo-lab", "sg", "sg-lab"]
)
def test_cluster_name_makes_bucket_and_security_group_names_aws_accepts(value):
    # The snapshot bucket's and the security groups' names start with the cluster's; S3 and EC2 refuse
    # these prefixes at create.
    assert_rejected(["kubeadm-aws:clusterName", "S3 refuses bucket names", "security-group names"], clusterName=value)


@pytest.mark.parametrize("value", ["sthreelab", "xn-lab", "amzn-s3", "sgx"])
def test_names_that_only_resemble_those_prefixes_are_accepted(value):
    assert run_program(stack_config(clusterName=value)).error is None


@pytest.mark.parametrize(
    "overrides, most", [({}, 15), ({"awsIntegration": False}, 18), ({"awsIntegration": False, "cni": "flannel"}, 18)]
)
def test_allowed_cidrs_that_would_exceed_the_security_group_rule_quota_are_refused(overrides, most):
    cidrs = [f"198.51.100.{i}/32" for i in range(most + 1)]
    message = assert_rejected(
        ["kubeadm-aws:allowedCidrs", "quota of 60 inbound rules"], allowedCidrs=cidrs, **overrides
    )
    assert f"at most {most} entries" in message
    run = run_program(stack_config(allowedCidrs=cidrs[:most], **overrides))
    nodes_group = next(g for g in run.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name == "security-nodes")
    inbound = [
        r for r in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == f"{nodes_group.name}-id"
    ]  # fmt: skip
    reserved = 0 if overrides.get("awsIntegration") is False else 10  # for the cloud controller's rules
    assert len(inbound) + reserved <= 60 < len(inbound) + reserved + 3


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


def test_all_problems_are_reported_at_once():
    message = assert_rejected([], workerCount="-3", cni="cilium", podCidr="nope", rootVolumeSize="1")
    assert message.count("\n  - ") == 4


def test_defaults_make_a_valid_three_node_cluster():
    run = run_program(stack_config())
    assert len(run.of_type("aws:ec2/instance:Instance")) == 3


def test_sample_stack_is_the_guides_region_with_two_workers_and_closed_until_an_address_is_set():
    stack = yaml.safe_load(Path(ROOT / "Pulumi.dev.yaml").read_text())["config"]
    assert stack["aws:region"] == "ap-south-1" and "kubeadm-aws:allowedCidrs" not in stack
    sample = {f"{k}": str(v) for k, v in stack.items()}
    refused = run_program(sample, expect_error=True)
    message = str(refused.error)
    assert "kubeadm-aws:allowedCidrs is invalid: it is not set" in message and refused.resources == []
    assert "pulumi config set --path 'allowedCidrs[0]' \"$(curl -s https://checkip.amazonaws.com)/32\"" in message
    # As make up leaves it on the first run: the address set.
    run = run_program({**sample, "kubeadm-aws:allowedCidrs": '["192.0.2.10/32"]'})
    assert len(run.of_type("aws:ec2/instance:Instance")) == 3


def test_a_misspelt_key_is_refused_with_the_key_it_resembles():
    config = {**stack_config(), "kubeadm-aws:workerCont": "3"}
    run = run_program(config, expect_error=True)
    assert "kubeadm-aws:workerCont is not a setting of this program; did you mean workerCount?" in str(run.error)
    assert "pulumi config rm workerCont" in str(run.error)
    assert run.resources == []


def test_keys_of_other_namespaces_are_left_alone():
    run = run_program({**stack_config(), "aws:profile": "lab", "pulumi:tags": "{}"})
    assert run.resources


def test_an_id_of_the_wrong_kind_is_refused_by_its_key():
    assert_rejected(
        ["kubeadm-aws:existingVpcId = 'subnet-0public' is invalid: expected empty, or an id vpc-…"],
        existingVpcId="subnet-0public",
        existingSubnetId="subnet-0public",
    )


def test_vpc_range_outside_awss_limits_is_refused():
    assert_rejected(["kubeadm-aws:vpcCidr = '10.0.0.0/15'", "prefix length /16 to /28, not /15"], vpcCidr="10.0.0.0/15")


@pytest.mark.parametrize("value, ok", [("10.0.0.0/11", False), ("10.96.0.0/12", True), ("10.96.0.0/28", True)])
def test_service_range_is_within_kubeadms_limits(value, ok):
    if ok:
        assert run_program(stack_config(serviceCidr=value)).resources
    else:
        assert_rejected(
            [f"kubeadm-aws:serviceCidr = '{value}'", "prefix length /12 to /28, not /11"], serviceCidr=value
        )
    assert_rejected(["kubeadm-aws:serviceCidr", "/12 to /28, not /29"], serviceCidr="10.96.0.0/29")


def test_pod_range_must_hold_a_slash_24_for_every_node():
    # 1 control plane + 4 workers need 5 node ranges: a /22 holds 4.
    assert_rejected(
        [
            "kubeadm-aws:podCidr = '10.244.0.0/22' is invalid: it holds 4 node ranges (a /24 each), "
            "fewer than the 5 nodes; a /21 or larger fits them"
        ],
        podCidr="10.244.0.0/22",
        workerCount=4,
    )
    assert run_program(stack_config(podCidr="10.244.0.0/22", workerCount=3)).resources
    assert_rejected(["kubeadm-aws:podCidr = '10.244.0.0/25'", "/24 or larger, not /25"], podCidr="10.244.0.0/25")


# --- the table itself ------------------------------------------------------------------------------


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.key)
def test_every_default_passes_its_own_check(setting):
    text = setting_types.as_text(setting.value.kind, setting.default)
    if setting.required:
        with pytest.raises(setting_types.Invalid, match="it is not set"):
            setting.value.parse(text)
        return
    parsed = setting.value.parse(text)
    expected = tuple(setting.default) if isinstance(setting.default, list) else setting.default
    assert parsed == (expected if expected != "" else None)


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.key)
def test_every_setting_is_described(setting):
    assert setting.description.endswith(".") and setting.value.allowed and setting.on_change
    assert setting.value.kind in ("string", "integer", "boolean", "array")


def test_settings_hold_exactly_the_tables_keys():
    loaded = settings.load(pulumi_config({}))
    assert set(vars(loaded)) == {s.attr for s in settings.SETTINGS}
    assert len({s.attr for s in settings.SETTINGS}) == len(settings.SETTINGS)
    assert loaded.worker_count == 2 and loaded.allowed_cidrs == ("192.0.2.10/32",) and loaded.existing_vpc_id is None


def pulumi_config(values: dict):
    """The config of a stack as make up leaves it (allowedCidrs set), with `values` on top."""
    import pulumi

    values = {"allowedCidrs": '["192.0.2.10/32"]', **values}
    pulumi.runtime.set_all_config({f"kubeadm-aws:{k}": v for k, v in values.items()})
    return pulumi.Config("kubeadm-aws")


@pytest.mark.parametrize("value, parsed", [("true", True), ("False", False), ("TRUE", True)])
def test_a_flag_is_true_or_false(value, parsed):
    assert settings.load(pulumi_config({"keepBackupsOnDestroy": value})).keep_backups_on_destroy is parsed


def test_anything_else_for_a_flag_is_refused():
    assert_rejected(
        ["kubeadm-aws:keepBackupsOnDestroy = 'yes' is invalid: expected true or false"], keepBackupsOnDestroy="yes"
    )


def test_a_minor_without_a_pinned_cloud_controller_is_refused_with_aws_integration():
    assert_rejected(
        [
            "kubeadm-aws:kubernetesVersion = '1.37' is invalid: no aws-cloud-controller-manager release for 1.37",
            "set awsIntegration false",
        ],
        kubernetesVersion="1.37",
    )
    assert run_program(stack_config(kubernetesVersion="1.37", awsIntegration=False)).error is None


def test_a_single_node_cluster_with_aws_integration_is_refused_by_key():
    run = run_program(stack_config(workerCount=0), expect_error=True)
    message = str(run.error)
    assert "kubeadm-aws:workerCount = 0 is invalid" in message and "awsIntegration false" in message
    assert run.resources == [] or all(not r.custom for r in run.resources)  # nothing half-created
    assert run_program(stack_config(workerCount=0, awsIntegration=False)).outputs["nodeNames"] == [
        "kubeadm-lab-control-plane"
    ]
