"""The consumer stack under the mock engine: the cluster stack is a mocked StackReference."""

from pathlib import Path

import pulumi
import pytest

from tests.envelope import secret
from tests.harness import run_program, stack_config

EXAMPLE_DIR = Path(__file__).resolve().parent.parent

PROJECT = "nginx-workload"
KUBECONFIG = (
    "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    server: https://198.51.100.10:6443\n"
)


class ClusterStackMocks(pulumi.runtime.Mocks):
    """Answers for the cluster stack's outputs; Kubernetes objects echo their inputs."""

    def __init__(self, workers=("203.0.113.21", "203.0.113.22")):
        self.workers = list(workers)
        self.referenced: list[str] = []

    def new_resource(self, args):
        if args.typ == "pulumi:pulumi:StackReference":
            self.referenced.append(args.inputs["name"])
            outputs = {
                "kubeconfig": secret(KUBECONFIG),
                "workerPublicIps": self.workers,
                "controlPlanePublicIp": "198.51.100.10",
            }
            return args.name, {"name": args.inputs["name"], "outputs": outputs, "secretOutputNames": ["kubeconfig"]}
        return f"{args.name}-id", args.inputs

    def call(self, args):
        raise NotImplementedError(args.token)


def run(mocks=None, expect_error=False, **settings):
    return run_program(
        stack_config(PROJECT, **settings),
        expect_error=expect_error,
        program=EXAMPLE_DIR / "__main__.py",
        project=PROJECT,
        mocks=mocks or ClusterStackMocks(),
    )


@pytest.fixture(scope="module")
def deployed():
    mocks = ClusterStackMocks()
    return run(mocks, clusterStack="organization/kubeadm-aws/dev"), mocks


def test_reads_the_named_cluster_stack(deployed):
    _, mocks = deployed
    assert mocks.referenced == ["organization/kubeadm-aws/dev"]


def test_provider_gets_the_kubeconfig_and_it_stays_secret(deployed):
    run_, _ = deployed
    (provider,) = run_.of_type("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == KUBECONFIG
    assert "kubeconfig" in provider.secret_inputs


def test_workload_is_declared_on_that_provider(deployed):
    run_, _ = deployed
    (provider,) = run_.of_type("pulumi:providers:kubernetes")
    (deployment,) = run_.of_type("kubernetes:apps/v1:Deployment")
    (service,) = run_.of_type("kubernetes:core/v1:Service")
    for resource in (deployment, service):
        assert resource.provider == f"{provider.urn}::cluster-id"
    spec = deployment.inputs["spec"]
    assert spec["replicas"] == 2
    (container,) = spec["template"]["spec"]["containers"]
    assert container["image"] == "nginx:1.27-alpine"
    assert (
        spec["selector"]["matchLabels"] == spec["template"]["metadata"]["labels"] == service.inputs["spec"]["selector"]
    )
    assert service.inputs["spec"]["type"] == "NodePort"
    assert service.inputs["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}]


def test_exports_where_to_reach_it(deployed):
    run_, _ = deployed
    assert run_.outputs["urls"] == ["http://203.0.113.21:30080", "http://203.0.113.22:30080"]
    assert run_.outputs["nodePort"] == 30080 and run_.outputs["serviceName"] == "nginx"
    assert not run_.secret_outputs


def test_single_node_cluster_is_reached_on_the_control_plane():
    run_ = run(ClusterStackMocks(workers=()), nodePort=31000, replicas=1)
    assert run_.outputs["urls"] == ["http://198.51.100.10:31000"]
    (deployment,) = run_.of_type("kubernetes:apps/v1:Deployment")
    assert deployment.inputs["spec"]["replicas"] == 1


@pytest.mark.parametrize(
    "settings, key",
    [({"nodePort": "8080"}, "nodePort"), ({"replicas": "0"}, "replicas"), ({"clusterStack": "dev"}, "clusterStack")],
)
def test_bad_settings_fail_before_any_resource(settings, key):
    run_ = run(expect_error=True, **settings)
    assert f"nginx-workload:{key}" in str(run_.error)
    assert run_.resources == []
