"""The nodes' IAM identities: roles only EC2 may assume, whose only permissions are their inline
policies. The control plane's role is for the snapshot bucket and, with AWS integration, for the cloud
controller and the EBS CSI controller; the workers get a role (the node policy) only with AWS
integration."""

import json

import pytest

from components.aws import policies as aws_policies
from tests.harness import run_program, stack_config

ROLE = "aws:iam/role:Role"
PROFILE = "aws:iam/instanceProfile:InstanceProfile"
POLICY = "aws:iam/rolePolicy:RolePolicy"


@pytest.mark.parametrize("who", ["control-plane", "workers"])
def test_the_roles_trust_ec2_only_and_carry_no_managed_policy(who):
    run = run_program(stack_config())
    role = role_named(run, who)
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement == {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    assert len(role.inputs["namePrefix"]) <= 38
    assert "managedPolicyArns" not in role.inputs and "inlinePolicies" not in role.inputs


def test_each_node_gets_its_roles_instance_profile():
    run = run_program(stack_config(workerCount=2))
    instances = {i.name: i.inputs for i in run.of_type("aws:ec2/instance:Instance")}
    for node, who in [("control-plane", "control-plane"), ("worker-1", "workers"), ("worker-2", "workers")]:
        profile = profile_named(run, who)
        assert profile.inputs["role"] == role_named(run, who).state["name"]
        assert instances[f"kubeadm-lab-{node}"]["iamInstanceProfile"] == profile.state["name"]


def test_the_roles_permissions_are_the_add_ons_policies():
    run = run_program(stack_config())
    granted = {p.name: (p.inputs["role"], p.inputs["policy"]) for p in run.of_type(POLICY)}
    control_plane, workers = (role_named(run, who).state["name"] for who in ("control-plane", "workers"))
    assert granted["roles-cloud-controller"] == (control_plane, aws_policies.cloud_controller_policy())
    assert granted["roles-ebs-csi-controller"] == (control_plane, aws_policies.ebs_csi_controller_policy())
    assert granted["roles-workers-node"] == (workers, aws_policies.node_policy())
    assert set(granted) == {
        "roles-cloud-controller",
        "roles-ebs-csi-controller",
        "roles-workers-node",
        "etcd-backups-control-plane-access",
    }


def test_without_aws_integration_only_the_control_plane_has_a_role_for_the_snapshots():
    run = run_program(stack_config(workerCount=2, awsIntegration=False))
    assert [r.name for r in run.of_type(ROLE)] == ["roles-control-plane"]
    assert [p.name for p in run.of_type(POLICY)] == ["etcd-backups-control-plane-access"]
    instances = {i.name: i.inputs for i in run.of_type("aws:ec2/instance:Instance")}
    assert "iamInstanceProfile" not in instances["kubeadm-lab-worker-1"]


def role_named(run, who):
    (role,) = [r for r in run.of_type(ROLE) if r.name == f"roles-{who}"]
    return role


def profile_named(run, who):
    (profile,) = [r for r in run.of_type(PROFILE) if r.name == f"roles-{who}"]
    return profile
