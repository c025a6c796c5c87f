"""The instances: roles, hardening, images, the control plane's Elastic IP, and what a later
`pulumi up` leaves alone."""

import shutil

import pytest

from components.cluster import script_rendering
from tests.harness import run_program, stack_config
from tests.mocks import ClusterMocks

INSTANCE = "aws:ec2/instance:Instance"


@pytest.fixture(scope="module")
def default_run():
    return run_program(stack_config(allowedCidrs=["203.0.113.7/32", "198.51.100.0/24"]))


@pytest.mark.parametrize("workers", [0, 1, 3])
def test_one_control_plane_and_the_configured_workers(workers):
    single_node = {"awsIntegration": False} if workers == 0 else {}  # as the settings require
    run = run_program(stack_config(workerCount=workers, **single_node))
    roles = sorted((i.name, i.inputs["tags"]["Role"]) for i in run.of_type(INSTANCE))
    expected = [("kubeadm-lab-control-plane", "control-plane")]
    expected += [(f"kubeadm-lab-worker-{n}", "worker") for n in range(1, workers + 1)]
    assert roles == sorted(expected)


def test_instances_are_hardened(default_run):
    for instance in default_run.of_type(INSTANCE):
        inputs = instance.inputs
        assert inputs["metadataOptions"]["httpTokens"] == "required", instance.name
        # One hop on workers: the node reaches instance metadata, a pod (one network hop further) does
        # not. Two on the control plane, where the EBS CSI controller's pods need the role.
        hops = 2 if instance.name.endswith("control-plane") else 1
        assert inputs["metadataOptions"]["httpPutResponseHopLimit"] == hops, instance.name
        root = inputs["rootBlockDevice"]
        assert (root["encrypted"], root["volumeType"], root["volumeSize"]) == (True, "gp3", 20), instance.name
        assert inputs["userDataReplaceOnChange"] is True
        assert inputs["instanceType"] == "t3.medium"
        assert inputs["tags"]["Cluster"] == "kubeadm-lab" and inputs["tags"]["Name"] == instance.name
        assert inputs["associatePublicIpAddress"] is True
        assert inputs["vpcSecurityGroupIds"][0] == "security-nodes-id"  # tests/test_security.py: the rest


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


def test_single_node_cluster_looks_up_only_the_control_planes_ami():
    run = run_program(stack_config(workerCount=0, awsIntegration=False))
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
    shutil.copytree(script_rendering.SCRIPTS_DIR, edited)
    with (edited / "node-prep" / "prepare-node.sh").open("a") as script:
        script.write("# edited after the nodes were built\n")
    monkeypatch.setattr(script_rendering, "SCRIPTS_DIR", edited)
    after = {i.name: i for i in run_program(stack_config(), mocks=NewerImageMocks()).of_type(INSTANCE)}
    assert before.keys() == after.keys()
    for name, instance in after.items():
        changed = {key for key in instance.inputs if instance.inputs[key] != before[name].inputs.get(key)}
        assert changed == {"ami", "userData"}, name
        # The engine leaves these inputs as the node was built: no replacement, no stop and start.
        assert changed <= set(instance.ignore_changes), name


def test_a_new_worker_type_applies_to_new_workers_and_the_control_plane_changes_in_place():
    before = {i.name: i for i in run_program(stack_config()).of_type(INSTANCE)}
    bigger = stack_config(workerInstanceType="t3.large", controlPlaneInstanceType="t3.large")
    after = {i.name: i for i in run_program(bigger).of_type(INSTANCE)}
    for name, instance in after.items():
        changed = {key for key in instance.inputs if instance.inputs[key] != before[name].inputs.get(key)}
        assert "instanceType" in changed, name
        if "worker" in name:
            assert "instanceType" in instance.ignore_changes  # kept until the worker is replaced
        else:
            # AWS changes a stopped instance's type in place: the control plane keeps its disk and etcd.
            assert "instanceType" not in instance.ignore_changes


def test_instances_carry_the_cluster_tag_the_cloud_controller_looks_for(default_run):
    for instance in default_run.of_type(INSTANCE):
        assert instance.inputs["tags"]["kubernetes.io/cluster/kubeadm-lab"] == "owned", instance.name


def test_without_aws_integration_pods_on_any_node_cannot_reach_instance_metadata():
    run = run_program(stack_config(awsIntegration=False))
    for instance in run.of_type(INSTANCE):
        assert instance.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1, instance.name
        assert not [key for key in instance.inputs["tags"] if key.startswith("kubernetes.io/")]


def test_spot_workers_are_one_time_requests_and_the_control_plane_stays_on_demand():
    run = run_program(stack_config(workerSpot="true"))
    instances = {i.name: i for i in run.of_type(INSTANCE)}
    assert "instanceMarketOptions" not in instances["kubeadm-lab-control-plane"].inputs
    for name in ("kubeadm-lab-worker-1", "kubeadm-lab-worker-2"):
        market = instances[name].inputs["instanceMarketOptions"]
        assert market == {
            "marketType": "spot",
            "spotOptions": {"spotInstanceType": "one-time", "instanceInterruptionBehavior": "terminate"},
        }
        # Turning workerSpot on or off applies to new workers; running ones keep their market.
        assert "instanceMarketOptions" in instances[name].ignore_changes
