"""The security group: who may reach the nodes, and on which ports."""

import pytest

from tests.harness import run_program, stack_config

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


@pytest.fixture(scope="module")
def default_run():
    return run_program(stack_config(allowedCidrs=["203.0.113.7/32", "198.51.100.0/24"]))


def rule_summary(run, type_):
    rules = [
        (
            r.inputs.get("fromPort"),
            r.inputs.get("toPort"),
            r.inputs["ipProtocol"],
            r.inputs.get("cidrIpv4"),
            bool(r.inputs.get("referencedSecurityGroupId")),
        )
        for r in run.of_type(type_)
    ]
    return sorted(rules, key=repr)


def test_public_ports_open_only_to_the_allowed_cidrs(default_run):
    public = [rule for rule in rule_summary(default_run, INGRESS) if rule[3]]
    expected = [
        (port_from, port_to, "tcp", cidr, False)
        for port_from, port_to in [(22, 22), (6443, 6443), (30000, 32767)]
        for cidr in ["203.0.113.7/32", "198.51.100.0/24"]
    ]
    assert public == sorted(expected, key=repr)


def test_nodes_reach_each_other_on_every_port_through_a_self_reference(default_run):
    (group,) = default_run.of_type("aws:ec2/securityGroup:SecurityGroup")
    internal = [r for r in default_run.of_type(INGRESS) if r.inputs.get("referencedSecurityGroupId")]
    assert len(internal) == 1
    assert internal[0].inputs["ipProtocol"] == "-1"
    assert (
        internal[0].inputs["referencedSecurityGroupId"] == internal[0].inputs["securityGroupId"] == f"{group.name}-id"
    )
    assert "fromPort" not in internal[0].inputs and "toPort" not in internal[0].inputs


def test_kubelet_etcd_and_other_internal_ports_are_not_public(default_run):
    for from_port, to_port, _, cidr, _ in rule_summary(default_run, INGRESS):
        if cidr:
            for port in (10250, 2379, 2380, 10257, 10259):
                assert not from_port <= port <= to_port


def test_egress_to_anywhere(default_run):
    assert rule_summary(default_run, EGRESS) == [(None, None, "-1", "0.0.0.0/0", False)]


def test_no_inline_rules_on_the_group(default_run):
    (group,) = default_run.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert "ingress" not in group.inputs and "egress" not in group.inputs


def test_restricted_cidrs_give_no_warning(default_run):
    assert not [w for w in default_run.warnings if "0.0.0.0/0" in w]


def test_open_to_the_world_warns_loudly():
    run = run_program(stack_config(allowedCidrs=["0.0.0.0/0"]))
    (warning,) = [w for w in run.warnings if "0.0.0.0/0" in w]
    assert "open to the whole internet" in warning and "allowedCidrs" in warning


def test_the_cloud_controller_finds_the_nodes_group_by_the_cluster_tag(default_run):
    (group,) = default_run.of_type("aws:ec2/securityGroup:SecurityGroup")
    # It adds its load balancers' rules to this group; the program's rules are separate resources, so
    # a later pulumi up leaves those rules alone.
    assert group.inputs["tags"]["kubernetes.io/cluster/kubeadm-lab"] == "owned"


def test_unset_allowed_cidrs_opens_nothing_and_stops_before_any_resource():
    run = run_program(stack_config(allowedCidrs=None), expect_error=True)
    assert "kubeadm-aws:allowedCidrs is invalid: it is not set" in str(run.error)
    assert run.resources == []
