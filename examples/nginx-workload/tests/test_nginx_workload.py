"""The consumer stack under the mock engine: the cluster stack is a mocked StackReference."""

import ast
import re
import subprocess

import pulumi
import pytest
import yaml
from mock_engine import EXAMPLE_DIR, PROJECT, run_program, secret, stack_config

LOAD_BALANCER = "a1b2c3-123456789.ap-south-1.elb.amazonaws.com"
KUBECONFIG = (
    "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    server: https://198.51.100.10:6443\n"
)


class ClusterStackMocks(pulumi.runtime.Mocks):
    """Answers for the cluster stack's outputs; Kubernetes objects echo their inputs."""

    def __init__(self, workers=("203.0.113.21", "203.0.113.22"), aws_integration: bool | None = True):
        self.workers = list(workers)
        self.aws_integration = aws_integration  # None: a cluster stack from before the output existed
        self.referenced: list[str] = []

    def new_resource(self, args):
        if args.typ == "pulumi:pulumi:StackReference":
            self.referenced.append(args.inputs["name"])
            outputs = {
                "workloadKubeconfig": secret(KUBECONFIG),
                "workloadNamespace": "workloads",
                "workerPublicIps": self.workers,
                "controlPlanePublicIp": "198.51.100.10",
            }
            if self.aws_integration is not None:
                outputs["awsIntegration"] = self.aws_integration
            return args.name, {
                "name": args.inputs["name"],
                "outputs": outputs,
                "secretOutputNames": ["workloadKubeconfig"],
            }
        if args.typ == "kubernetes:core/v1:Service" and args.inputs["spec"]["type"] == "LoadBalancer":
            # What the cloud controller reports once AWS has made the load balancer.
            status = {"loadBalancer": {"ingress": [{"hostname": LOAD_BALANCER}]}}
            return f"{args.name}-id", {**args.inputs, "status": status}
        return f"{args.name}-id", args.inputs

    def call(self, args):
        raise NotImplementedError(args.token)


def run(mocks=None, expect_error=False, **settings):
    return run_program(stack_config(**settings), mocks or ClusterStackMocks(), expect_error=expect_error)


@pytest.fixture(scope="module")
def deployed():
    mocks = ClusterStackMocks()
    return run(mocks, clusterStack="organization/kubeadm-aws/dev"), mocks


@pytest.fixture(scope="module")
def without_aws():
    return run(ClusterStackMocks(aws_integration=False), awsIntegration="false", replicas="2")


def test_reads_the_named_cluster_stack(deployed):
    _, mocks = deployed
    assert mocks.referenced == ["organization/kubeadm-aws/dev"]


def test_provider_gets_the_workload_kubeconfig_and_its_namespace_and_they_stay_secret(deployed):
    run_, _ = deployed
    (provider,) = run_.of_type("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == KUBECONFIG  # the namespace-scoped ServiceAccount, not cluster-admin
    assert provider.inputs["namespace"] == "workloads"
    assert "kubeconfig" in provider.secret_inputs


def test_with_aws_integration_nginx_is_behind_a_load_balancer_and_serves_a_page_from_a_volume(deployed):
    run_, _ = deployed
    (provider,) = run_.of_type("pulumi:providers:kubernetes")
    (deployment,) = run_.of_type("kubernetes:apps/v1:Deployment")
    (service,) = run_.of_type("kubernetes:core/v1:Service")
    (claim,) = run_.of_type("kubernetes:core/v1:PersistentVolumeClaim")
    for resource in (deployment, service, claim):
        assert resource.provider == f"{provider.urn}::cluster-id"
    assert service.inputs["spec"]["type"] == "LoadBalancer"
    assert claim.inputs["spec"] == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    assert "storageClassName" not in claim.inputs["spec"]  # the cluster's default: encrypted gp3
    spec = deployment.inputs["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
    pod = spec["template"]["spec"]
    assert pod["volumes"] == [{"name": "pages", "persistentVolumeClaim": {"claimName": "nginx-pages"}}]
    (writer,) = pod["initContainers"]
    (nginx,) = pod["containers"]
    mount = [{"name": "pages", "mountPath": "/usr/share/nginx/html"}]
    assert writer["volumeMounts"] == nginx["volumeMounts"] == mount
    assert (
        writer["command"][:2] == ["sh", "-c"] and "[ -s /usr/share/nginx/html/index.html ] ||" in writer["command"][2]
    )
    assert run_.outputs["urls"] == [f"http://{LOAD_BALANCER}"]


def test_the_page_is_written_once_and_kept(tmp_path):
    from workload import WRITE_PAGE_ONCE

    html = tmp_path / "html"
    html.mkdir()
    command = WRITE_PAGE_ONCE.replace("/usr/share/nginx/html", str(html))
    subprocess.run(["sh", "-c", command], check=True, env={"PATH": "/usr/bin:/bin", "HOSTNAME": "nginx-abc"})
    first = (html / "index.html").read_text()
    assert "This page lives on an EBS volume" in first and "by nginx-abc" in first
    subprocess.run(["sh", "-c", command], check=True, env={"PATH": "/usr/bin:/bin", "HOSTNAME": "nginx-xyz"})
    assert (html / "index.html").read_text() == first


def test_without_aws_integration_nginx_is_on_a_node_port(without_aws):
    (deployment,) = without_aws.of_type("kubernetes:apps/v1:Deployment")
    (service,) = without_aws.of_type("kubernetes:core/v1:Service")
    assert without_aws.of_type("kubernetes:core/v1:PersistentVolumeClaim") == []
    spec = deployment.inputs["spec"]
    assert spec["replicas"] == 2
    (container,) = spec["template"]["spec"]["containers"]
    assert container["image"] == "nginx:1.27-alpine" and "volumeMounts" not in container
    assert (
        spec["selector"]["matchLabels"] == spec["template"]["metadata"]["labels"] == service.inputs["spec"]["selector"]
    )
    assert service.inputs["spec"]["type"] == "NodePort"
    assert service.inputs["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}]
    assert without_aws.outputs["urls"] == ["http://203.0.113.21:30080", "http://203.0.113.22:30080"]


def test_exports_where_to_reach_it(deployed):
    run_, _ = deployed
    assert run_.outputs["nodePort"] == 30080 and run_.outputs["serviceName"] == "nginx"
    assert not run_.secret_outputs


def test_single_node_cluster_is_reached_on_the_control_plane():
    run_ = run(ClusterStackMocks(workers=(), aws_integration=False), nodePort=31000, awsIntegration="false")
    assert run_.outputs["urls"] == ["http://198.51.100.10:31000"]
    (deployment,) = run_.of_type("kubernetes:apps/v1:Deployment")
    assert deployment.inputs["spec"]["replicas"] == 1


@pytest.mark.parametrize("cluster_has_it", [False, None])
def test_a_setting_the_cluster_stack_contradicts_fails_naming_the_key(cluster_has_it):
    run_ = run(ClusterStackMocks(aws_integration=cluster_has_it), expect_error=True)
    message = str(run_.error)
    assert "nginx-workload:awsIntegration = true is invalid" in message
    assert "has awsIntegration false; set it to the same" in message
    # The provider, and so every Kubernetes object, waits for the check.
    assert not [r for r in run_.resources if r.type.startswith("kubernetes:")]


@pytest.mark.parametrize(
    "settings, key",
    [
        ({"nodePort": "8080"}, "nodePort"),
        ({"replicas": "0"}, "replicas"),
        ({"replicas": "2"}, "replicas"),  # one EBS volume attaches to one node
        ({"clusterStack": "dev"}, "clusterStack"),
        ({"awsIntegration": "yes"}, "awsIntegration"),
    ],
)
def test_bad_settings_fail_before_any_resource(settings, key):
    run_ = run(expect_error=True, **settings)
    assert f"nginx-workload:{key}" in str(run_.error)
    assert run_.resources == []


# The README: every setting the program reads (with its default), every output it exports, and every
# output of the cluster stack it reads.

README = (EXAMPLE_DIR / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def _table_rows(title: str) -> dict[str, str]:
    """A README table's first column (one `name`, or several) to its second."""
    rows = {}
    for line in _section(title).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("`"):
            for name in re.findall(r"`([^`]+)`", cells[0]):
                rows[name] = cells[1]
    return rows


def _string_arguments(calls: set[str], *files: str) -> set[str]:
    """The string literals passed first to calls of these names (functions or methods) in these files."""
    found = set()
    for file in files:
        for node in ast.walk(ast.parse((EXAMPLE_DIR / file).read_text())):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in calls and isinstance(node.args[0].value, str):
                    found.add(node.args[0].value)
    return found


def _written(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_the_readme_names_every_setting_the_program_reads_with_its_default(deployed, without_aws):
    import settings

    prefix = f"{PROJECT}:"
    read = {
        key[len(prefix) :] for run_ in (deployed[0], without_aws) for key in run_.config_read if key.startswith(prefix)
    }
    declared = yaml.safe_load((EXAMPLE_DIR / "Pulumi.yaml").read_text())["config"]
    assert read == set(settings.DEFAULTS) == set(declared)
    # What the CLI applies from Pulumi.yaml is what the program falls back to.
    assert {key: _written(entry["default"]) for key, entry in declared.items()} == {
        key: _written(value) for key, value in settings.DEFAULTS.items()
    }
    documented = _table_rows("Settings")
    assert {key: documented.get(key) for key in read} == {key: f"`{_written(settings.DEFAULTS[key])}`" for key in read}


def test_the_readme_names_every_output_it_exports(deployed, without_aws):
    exported = set(deployed[0].outputs) | set(without_aws.outputs)
    assert exported == _string_arguments({"export"}, "__main__.py")
    assert exported <= set(_table_rows("Its outputs"))


def test_the_readme_names_every_cluster_output_it_reads():
    read = _string_arguments({"require_output", "get_output"}, "__main__.py", "settings.py", "workload.py")
    assert read == {
        "workloadKubeconfig",
        "workloadNamespace",
        "awsIntegration",
        "workerPublicIps",
        "controlPlanePublicIp",
    }
    assert read <= set(_table_rows("What it reads from the cluster stack"))
