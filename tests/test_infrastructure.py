"""The resources the stack declares: network, security group, key pair, instances and outputs."""

import shutil

import pytest

from components import scripts
from tests.harness import run_program, stack_config
from tests.mocks import ClusterMocks

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INSTANCE = "aws:ec2/instance:Instance"


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
    run = run_program(stack_config())
    (warning,) = [w for w in run.warnings if "0.0.0.0/0" in w]
    assert "open to the whole internet" in warning and "allowedCidrs" in warning


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


def test_subnet_zone_offers_both_instance_types():
    run = run_program(stack_config(controlPlaneInstanceType="t4g.medium"))  # not offered in zone a
    (subnet,) = run.of_type("aws:ec2/subnet:Subnet")
    assert subnet.inputs["availabilityZone"] == "ap-south-1b"


def test_existing_network_is_used_as_given():
    run = run_program(stack_config(existingVpcId="vpc-0existing", existingSubnetId="subnet-0public"))
    assert not run.of_type("aws:ec2/vpc:Vpc") and not run.of_type("aws:ec2/subnet:Subnet")
    (group,) = run.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert group.inputs["vpcId"] == "vpc-0existing"
    assert {i.inputs["subnetId"] for i in run.of_type(INSTANCE)} == {"subnet-0public"}
    assert run.outputs["vpcId"] == "vpc-0existing" and run.outputs["subnetId"] == "subnet-0public"


def test_key_pair_holds_the_generated_ed25519_public_key(default_run):
    key = default_run.named("ssh-key")
    (pair,) = default_run.of_type("aws:ec2/keyPair:KeyPair")
    assert key.inputs["algorithm"] == "ED25519"
    assert pair.inputs["publicKey"].startswith("ssh-ed25519 ") and not pair.inputs["publicKey"].endswith("\n")
    assert {i.inputs["keyName"] for i in default_run.of_type(INSTANCE)} == {"kubeadm-lab-generated"}


@pytest.mark.parametrize("workers", [0, 1, 3])
def test_one_control_plane_and_the_configured_workers(workers):
    run = run_program(stack_config(workerCount=workers))
    roles = sorted((i.name, i.inputs["tags"]["Role"]) for i in run.of_type(INSTANCE))
    expected = [("kubeadm-lab-control-plane", "control-plane")]
    expected += [(f"kubeadm-lab-worker-{n}", "worker") for n in range(1, workers + 1)]
    assert roles == sorted(expected)


def test_instances_are_hardened(default_run):
    for instance in default_run.of_type(INSTANCE):
        inputs = instance.inputs
        assert inputs["metadataOptions"]["httpTokens"] == "required", instance.name
        root = inputs["rootBlockDevice"]
        assert (root["encrypted"], root["volumeType"], root["volumeSize"]) == (True, "gp3", 20), instance.name
        assert inputs["userDataReplaceOnChange"] is True
        assert inputs["instanceType"] == "t3.medium"
        assert inputs["tags"]["Cluster"] == "kubeadm-lab" and inputs["tags"]["Name"] == instance.name
        assert inputs["associatePublicIpAddress"] is True
        assert inputs["vpcSecurityGroupIds"] == ["security-nodes-id"]


def test_root_volume_size_is_configurable():
    run = run_program(stack_config(rootVolumeSize=50))
    assert {i.inputs["rootBlockDevice"]["volumeSize"] for i in run.of_type(INSTANCE)} == {50}


def ami_lookups(run):
    return [args for token, args in run.mocks.invokes if token == "aws:ec2/getAmi:getAmi"]


@pytest.mark.parametrize(
    "node_os, codename",
    [("ubuntu-22.04", "ubuntu-jammy-22.04"), ("ubuntu-24.04", "ubuntu-noble-24.04")],
)
def test_ami_is_canonicals_newest_for_the_os(node_os, codename):
    run = run_program(stack_config(nodeOs=node_os))
    for lookup in ami_lookups(run):
        assert lookup["owners"] == ["099720109477"] and lookup["mostRecent"] is True
        filters = {f["name"]: f["values"] for f in lookup["filters"]}
        assert filters["name"] == [f"ubuntu/images/hvm-ssd*/{codename}-amd64-server-*"]
        assert filters["architecture"] == ["x86_64"]


def test_ami_architecture_follows_each_roles_instance_type():
    run = run_program(stack_config(workerInstanceType="t4g.medium"))
    arches = sorted(
        next(f["values"][0] for f in lookup["filters"] if f["name"] == "architecture") for lookup in ami_lookups(run)
    )
    assert arches == ["arm64", "x86_64"]
    amis = {i.name: i.inputs["ami"] for i in run.of_type(INSTANCE)}
    assert amis["kubeadm-lab-worker-1"] == amis["kubeadm-lab-worker-2"] != amis["kubeadm-lab-control-plane"]


def test_control_plane_elastic_ip_is_allocated_independently_of_the_instance(default_run):
    (eip,) = default_run.of_type("aws:ec2/eip:Eip")
    control_plane = default_run.named("kubeadm-lab-control-plane")
    assert eip.inputs["domain"] == "vpc" and "instance" not in eip.inputs
    assert control_plane.urn not in eip.dependencies
    (association,) = default_run.of_type("aws:ec2/eipAssociation:EipAssociation")
    assert association.inputs["instanceId"] == "kubeadm-lab-control-plane-id"
    assert association.inputs["allocationId"] == "eipalloc-kubeadm-lab-control-plane-eip"


def test_outputs(default_run):
    outputs = default_run.outputs
    assert outputs["controlPlanePublicIp"] == "198.51.100.10"
    assert outputs["controlPlanePublicDns"].startswith("ec2-198-51-100-10.")
    assert outputs["controlPlanePrivateIp"].startswith("10.0.0.")
    assert len(outputs["workerPublicIps"]) == len(outputs["workerPrivateIps"]) == 2
    assert outputs["sshCommands"]["kubeadm-lab-control-plane"] == "ssh -i kubeadm-aws.pem ubuntu@198.51.100.10"
    assert (
        outputs["sshCommands"]["kubeadm-lab-worker-2"]
        == f"ssh -i kubeadm-aws.pem ubuntu@{outputs['workerPublicIps'][1]}"
    )
    assert outputs["securityGroupId"] == "security-nodes-id"
    assert outputs["vpcId"] == "network-vpc-id" and outputs["subnetId"] == "network-public-id"


def test_ssh_private_key_output_is_secret(default_run):
    assert default_run.outputs["sshPrivateKey"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert "sshPrivateKey" in default_run.secret_outputs


def test_every_resource_belongs_to_a_component(default_run):
    top_level = {r.name for r in default_run.resources if r.parent.endswith("pulumi:pulumi:Stack::kubeadm-aws-dev")}
    assert top_level == {"ssh", "network", "security", "nodes", "pki", "kubeadm"}


def test_single_node_cluster_looks_up_only_the_control_planes_ami():
    run = run_program(stack_config(workerCount=0))
    assert len(ami_lookups(run)) == 1


class NewerImageMocks(ClusterMocks):
    """AWS the week after: Canonical has published a newer image of every Ubuntu release."""

    def call(self, args):
        answer = super().call(args)
        if args.token == "aws:ec2/getAmi:getAmi":
            answer = {**answer, "id": answer["id"] + "-newer"}
        return answer


def test_a_newer_image_or_an_edited_preparation_script_replaces_no_node(tmp_path, monkeypatch):
    before = {i.name: i for i in run_program(stack_config()).of_type(INSTANCE)}
    edited = tmp_path / "scripts"
    shutil.copytree(scripts.SCRIPTS_DIR, edited)
    with (edited / "prepare-node.sh").open("a") as script:
        script.write("# edited after the nodes were built\n")
    monkeypatch.setattr(scripts, "SCRIPTS_DIR", edited)
    after = {i.name: i for i in run_program(stack_config(), mocks=NewerImageMocks()).of_type(INSTANCE)}
    assert before.keys() == after.keys()
    for name, instance in after.items():
        changed = {key for key in instance.inputs if instance.inputs[key] != before[name].inputs.get(key)}
        assert changed == {"ami", "userData"}, name
        # The engine leaves these inputs as the node was built: no replacement, no stop and start.
        assert changed <= set(instance.ignore_changes), name
