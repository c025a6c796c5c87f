"""The security group: who may reach the nodes, and on which ports."""

import re

import pytest

from tests.harness import ROOT, run_program, stack_config

FIXTURES = ROOT / "tests" / "fixtures"

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


def groups_of(run):
    by_name = {group.name: f"{group.name}-id" for group in run.of_type("aws:ec2/securityGroup:SecurityGroup")}
    return by_name["security-nodes"], by_name["security-control-plane"]


def node_rules(run):
    """(protocol, from port, to port) -> (target, source), of the rules between the cluster's groups."""
    nodes, control_planes = groups_of(run)
    role = {nodes: "nodes", control_planes: "control-plane"}
    rules = {}
    for r in run.of_type(INGRESS):
        if r.inputs.get("referencedSecurityGroupId"):
            key = (r.inputs["ipProtocol"], r.inputs.get("fromPort"), r.inputs.get("toPort"))
            assert key not in rules, f"two rules for {key}"
            rules[key] = (role[r.inputs["securityGroupId"]], role[r.inputs["referencedSecurityGroupId"]])
    return rules


def test_workers_reach_the_api_server_and_nothing_else_of_the_control_plane(default_run):
    rules = node_rules(default_run)
    into_control_planes = {key: source for key, (target, source) in rules.items() if target == "control-plane"}
    assert into_control_planes == {("tcp", 6443, 6443): "nodes", ("tcp", 2379, 2380): "control-plane"}


def test_etcd_scheduler_and_controller_manager_are_closed_to_every_node(default_run):
    for (protocol, from_port, to_port), (_target, source) in node_rules(default_run).items():
        assert protocol != "-1", "no rule admits every protocol"
        if source == "nodes" and protocol == "tcp":
            for port in (2379, 2380, 10257, 10259):
                assert not from_port <= port <= to_port, f"{port} is open to every node"


def test_only_the_control_plane_reaches_kubelets_and_ssh_between_nodes(default_run):
    rules = node_rules(default_run)
    assert rules[("tcp", 10250, 10250)] == ("nodes", "control-plane")
    assert rules[("tcp", 22, 22)] == ("nodes", "control-plane")


@pytest.mark.parametrize(
    "cni, expected",
    [
        ("calico", {("tcp", 179, 179), ("4", None, None)}),
        ("flannel", {("udp", 8472, 8472)}),
    ],
)
def test_the_pod_network_gets_exactly_its_encapsulation_between_all_nodes(cni, expected):
    rules = node_rules(run_program(stack_config(cni=cni)))
    between_nodes = {key for key, roles in rules.items() if roles == ("nodes", "nodes") and key[0] != "icmp"}
    assert between_nodes == expected


def test_the_rules_match_what_the_pinned_pod_network_manifests_configure():
    calico = (FIXTURES / "cni" / "calico.yaml").read_text()
    assert 'calico_backend: "bird"' in calico  # BIRD: BGP, tcp 179
    assert re.search(r'- name: CALICO_IPV4POOL_IPIP\n\s+value: "Always"', calico)  # IP protocol 4
    assert re.search(r'- name: CALICO_IPV4POOL_VXLAN\n\s+value: "Never"', calico)
    flannel = (FIXTURES / "cni" / "kube-flannel.yml").read_text()
    assert '"Type": "vxlan"' in flannel and '"Port"' not in flannel  # the kernel's VXLAN port, udp 8472


def test_path_mtu_discovery_works_between_nodes(default_run):
    assert node_rules(default_run)[("icmp", 3, -1)] == ("nodes", "nodes")


def test_control_planes_carry_both_groups_and_workers_only_the_nodes_group(default_run):
    nodes, control_planes = groups_of(default_run)
    for instance in default_run.of_type("aws:ec2/instance:Instance"):
        expected = [nodes, control_planes] if "control-plane" in instance.name else [nodes]
        assert instance.inputs["vpcSecurityGroupIds"] == expected, instance.name


def test_only_the_nodes_group_is_tagged_for_the_cloud_controller(default_run):
    groups = {g.name: g.inputs["tags"] for g in default_run.of_type("aws:ec2/securityGroup:SecurityGroup")}
    assert "kubernetes.io/cluster/kubeadm-lab" in groups["security-nodes"]
    assert "kubernetes.io/cluster/kubeadm-lab" not in groups["security-control-plane"]


def test_kubelet_etcd_and_other_internal_ports_are_not_public(default_run):
    for from_port, to_port, _, cidr, _ in rule_summary(default_run, INGRESS):
        if cidr:
            for port in (10250, 2379, 2380, 10257, 10259):
                assert not from_port <= port <= to_port


def test_egress_to_anywhere(default_run):
    assert rule_summary(default_run, EGRESS) == [(None, None, "-1", "0.0.0.0/0", False)]


def test_no_inline_rules_on_the_groups(default_run):
    for group in default_run.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert "ingress" not in group.inputs and "egress" not in group.inputs


def test_restricted_cidrs_give_no_warning(default_run):
    assert not [w for w in default_run.warnings if "whole internet" in w]


@pytest.mark.parametrize(
    "cidrs",
    [["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["203.0.113.7/32", "10.0.0.0/7"], ["10.0.0.0/8", "11.0.0.0/8"]],
    ids=["everything", "two-halves", "wider-than-a-slash-8", "two-slash-8s-that-make-a-slash-7"],
)
def test_open_to_the_world_warns_loudly(cidrs):
    run = run_program(stack_config(allowedCidrs=cidrs))
    (warning,) = [w for w in run.warnings if "whole internet" in w]
    assert "allowedCidrs opens SSH (22)" in warning


def test_ranges_that_leave_addresses_out_are_not_the_world():
    from components import facts

    assert not facts.open_to_world(["10.0.0.0/8", "12.0.0.0/8", "203.0.113.7/32"])  # a /8 is someone's
    assert not facts.open_to_world(["100.64.0.0/10", "198.51.100.0/24"])


def test_the_cloud_controller_finds_the_nodes_group_by_the_cluster_tag(default_run):
    (group,) = [g for g in default_run.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name == "security-nodes"]
    # It adds its load balancers' rules to this group; the program's rules are separate resources, so
    # a later pulumi up leaves those rules alone.
    assert group.inputs["tags"]["kubernetes.io/cluster/kubeadm-lab"] == "owned"


def test_unset_allowed_cidrs_opens_nothing_and_stops_before_any_resource():
    run = run_program(stack_config(allowedCidrs=None), expect_error=True)
    assert "kubeadm-aws:allowedCidrs is invalid: it is not set" in str(run.error)
    assert run.resources == []
