"""The control plane's IAM identity: a role only EC2 may assume, with no permission of its own, given
to the control plane and to no worker."""

import json

from tests.harness import run_program, stack_config


def test_the_control_plane_role_trusts_ec2_only():
    run = run_program(stack_config())
    role = role_of(run)
    assert role.type == "aws:iam/role:Role"
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement == {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    assert len(role.inputs["namePrefix"]) <= 38
    assert "managedPolicyArns" not in role.inputs and "inlinePolicies" not in role.inputs


def test_only_the_control_plane_gets_the_instance_profile():
    run = run_program(stack_config(workerCount=2))
    profile = next(r for r in run.of_type("aws:iam/instanceProfile:InstanceProfile"))
    assert profile.inputs["role"] == role_of(run).state["name"]
    instances = {i.name: i.inputs for i in run.of_type("aws:ec2/instance:Instance")}
    assert instances["kubeadm-lab-control-plane"]["iamInstanceProfile"] == profile.state["name"]
    assert "iamInstanceProfile" not in instances["kubeadm-lab-worker-1"]


def role_of(run):
    (role,) = run.of_type("aws:iam/role:Role")
    return role
