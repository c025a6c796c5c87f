"""What `__main__.py` wires: every resource inside a component, and the stack's outputs."""

import ast
import shlex

import pytest

from tests.harness import ROOT, run_program, stack_config


@pytest.fixture(scope="module")
def default_run():
    return run_program(stack_config(allowedCidrs=["203.0.113.7/32", "198.51.100.0/24"]))


def test_outputs(default_run):
    outputs = default_run.outputs
    assert outputs["controlPlanePublicIp"] == "198.51.100.10"
    assert outputs["controlPlanePublicDns"].startswith("ec2-198-51-100-10.")
    assert outputs["controlPlanePrivateIp"].startswith("10.0.0.")
    assert len(outputs["workerPublicIps"]) == len(outputs["workerPrivateIps"]) == 2
    # The key and the pinned host keys `make ssh` writes (tests/test_local_scripts.py runs it).
    options = "-i .cache/ssh/dev.pem -o IdentitiesOnly=yes -o UserKnownHostsFile=.cache/ssh/known_hosts-dev"
    assert outputs["sshCommands"]["kubeadm-lab-control-plane"] == f"ssh {options} ubuntu@198.51.100.10"
    # A worker through the control plane, at the private address it keeps when stopped and started.
    worker = shlex.split(outputs["sshCommands"]["kubeadm-lab-worker-2"])
    assert worker[-1] == f"ubuntu@{outputs['workerPrivateIps'][1]}"
    assert worker[:-1] == ["ssh", *options.split(), "-o", f"ProxyCommand=ssh {options} -W %h:%p ubuntu@198.51.100.10"]
    assert outputs["securityGroupId"] == "security-nodes-id"
    assert outputs["vpcId"] == "network-vpc-id" and outputs["subnetId"] == "network-public-id"


def test_every_resource_belongs_to_a_component(default_run):
    top_level = {r.name for r in default_run.resources if r.parent.endswith("pulumi:pulumi:Stack::kubeadm-aws-dev")}
    assert top_level == {
        "ssh",
        "network",
        "security",
        "roles",
        "etcd-backups",
        "nodes",
        "power",
        "pki",
        "kubeadm",
        "cost",
    }


def defines_a_component(path) -> bool:
    return "(pulumi.ComponentResource):" in path.read_text()


# Every module of the AWS and cluster stages that defines a component.
COMPONENT_MODULES = sorted(
    str(path.relative_to(ROOT / "components"))
    for stage in ("aws", "cluster")
    for path in (ROOT / "components" / stage).rglob("*.py")
    if defines_a_component(path)
)


def test_the_components_are_found_where_the_layout_puts_them():
    assert {"aws/keys.py", "aws/network.py", "aws/nodes.py", "aws/cost.py", "cluster/bootstrap.py"} <= set(
        COMPONENT_MODULES
    )
    assert not [p for p in (ROOT / "components" / "settings").rglob("*.py") if defines_a_component(p)]


@pytest.mark.parametrize("module", COMPONENT_MODULES)
def test_each_component_takes_its_own_args_and_reads_no_settings(module):
    source = (ROOT / "components" / module).read_text()
    tree = ast.parse(source)
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "components.settings" not in imported and "pulumi.Config" not in source
    (component,) = [
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef) and any(ast.unparse(b) == "pulumi.ComponentResource" for b in node.bases)
    ]
    init = next(f for f in component.body if isinstance(f, ast.FunctionDef) and f.name == "__init__")
    assert [a.arg for a in init.args.args] == ["self", "name", "args", "opts"]
    args_class = init.args.args[2].annotation.id
    assert args_class.endswith("Args") and f"class {args_class}" in source


def test_only_main_wires_components_together():
    components = {
        "SshKeyPair",
        "Network",
        "ClusterSecurityGroup",
        "NodeRoles",
        "EtcdBackups",
        "ClusterNodes",
        "ClusterPki",
        "KubeadmBootstrap",
    }
    for path in (ROOT / "components").rglob("*.py"):
        calls = {
            n.func.id
            for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        assert not calls & components, path
