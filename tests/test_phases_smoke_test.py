"""The smoke test step: after the readiness gate, on the control plane, run again with it; its
manifests valid for every offered minor; a volume only with AWS integration; off with smokeTest false."""

import pytest
import yaml

from components import versions
from components.cluster.phases import smoke_test
from tests.graph import CP, cluster, depends_on
from tests.harness import run_program, stack_config
from tests.k8s_schema import assert_valid
from tests.remote import script_of, variable

STEP = "kubeadm-lab-smoke-test"


def test_it_runs_after_the_readiness_gate_on_the_control_plane_and_again_with_it():
    run = cluster()
    step = run.named(STEP)
    assert depends_on(run, step, "kubeadm-lab-ready")
    assert step.inputs["triggers"] == ["kubeadm-lab-ready-id"]
    assert step.inputs["connection"]["host"] == run.outputs["controlPlanePublicIp"]
    script = script_of(step.inputs["create"])
    assert variable(script, "NODE_NAMES") == f"{CP} kubeadm-lab-worker-1 kubeadm-lab-worker-2"
    assert variable(script, "WORKLOAD") == smoke_test.workload()
    assert variable(script, "VOLUME_CHECK") == smoke_test.volume_check()


def test_without_aws_integration_no_volume_is_checked():
    script = script_of(run_program(stack_config(awsIntegration=False)).named(STEP).inputs["create"])
    assert variable(script, "VOLUME_CHECK") == "none"


def test_smoke_test_false_leaves_it_out():
    run = run_program(stack_config(smokeTest=False))
    assert STEP not in {r.name for r in run.resources}
    assert "kubeconfig" in run.outputs


@pytest.mark.parametrize("minor", versions.SUPPORTED_KUBERNETES_MINORS)
def test_the_manifests_are_valid_for_every_offered_minor(minor):
    documents = [*yaml.safe_load_all(smoke_test.workload()), *yaml.safe_load_all(smoke_test.volume_check())]
    assert [d["kind"] for d in documents] == ["Namespace", "DaemonSet", "PersistentVolumeClaim", "Pod"]
    assert_valid(documents, minor)


def test_the_test_pods_run_unprivileged_everywhere():
    daemon_set = list(yaml.safe_load_all(smoke_test.workload()))[1]
    pod_spec = daemon_set["spec"]["template"]["spec"]
    assert pod_spec["tolerations"] == [{"operator": "Exists"}]  # the control plane too
    volume_pod = list(yaml.safe_load_all(smoke_test.volume_check()))[1]["spec"]
    for container in [*pod_spec["containers"], *volume_pod["containers"]]:
        context = container["securityContext"]
        assert context["runAsNonRoot"] and context["runAsUser"] != 0 and not context["allowPrivilegeEscalation"]
        assert container["image"] == versions.SMOKE_TEST_IMAGE and "@sha256:" in container["image"]
