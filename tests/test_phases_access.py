"""Access from outside: the admin certificate's user is the only one the program binds to
cluster-admin, and consumer stacks get a ServiceAccount token that may manage workloads in one
namespace and nothing else (the workloadKubeconfig output, a secret)."""

import yaml

from components import versions
from components.cluster.phases import access
from tests.graph import CP, cluster, depends_on
from tests.k8s_schema import assert_valid
from tests.mocks import CLUSTER_ID, WORKLOAD_TOKEN
from tests.remote import script_of, variable
from tests.shell import run_function, stand_in


def test_both_steps_follow_init_and_come_before_the_kubeconfig():
    run = cluster()
    for name in (f"{CP}-admin-access", f"{CP}-workload-access"):
        step = run.named(name)
        assert depends_on(run, step, f"{CP}-kubeadm-init") and depends_on(run, run.named("kubeadm-lab-ready"), name)
        # Again on a new control plane, or a cluster built anew.
        assert step.inputs["triggers"] == [f"{CP}-id", CLUSTER_ID]


def test_the_workload_token_stays_secret():
    run = cluster()
    step = run.named(f"{CP}-workload-access")
    assert {"stdout", "stderr"} <= set(step.additional_secret_outputs) and step.inputs["logging"] == "none"
    assert "workloadKubeconfig" in run.secret_outputs
    config = yaml.safe_load(run.outputs["workloadKubeconfig"])
    (user,) = config["users"]
    assert user["user"] == {"token": WORKLOAD_TOKEN}
    (context,) = config["contexts"]
    assert context["context"]["namespace"] == run.outputs["workloadNamespace"] == "workloads"
    assert config["clusters"][0]["cluster"]["server"] == run.outputs["apiServerEndpoint"]


def test_the_service_account_may_manage_workloads_in_its_namespace_and_nothing_else():
    documents = list(yaml.safe_load_all(access.workload_access_manifest()))
    assert_valid(documents, versions.DEFAULT_KUBERNETES_MINOR)
    kinds = [d["kind"] for d in documents]
    assert kinds == ["Namespace", "ServiceAccount", "Role", "RoleBinding", "Secret"]  # no cluster-wide grant
    role = documents[2]
    resources = {r for rule in role["rules"] for r in rule["resources"]}
    assert "secrets" not in resources and "*" not in resources
    assert all("*" not in rule["verbs"] and "*" not in rule["apiGroups"] for rule in role["rules"])
    writable = {r for rule in role["rules"] if "create" in rule["verbs"] for r in rule["resources"]}
    assert writable == {"services", "persistentvolumeclaims", "configmaps", "deployments", "statefulsets"}


def test_the_token_step_prints_only_the_token_once_kubernetes_has_written_it(tmp_path):
    script = script_of(cluster().named(f"{CP}-workload-access").inputs["create"])
    assert variable(script, "NAMESPACE") == "workloads"
    # kubectl: the Secret's token appears on the second look.
    kubectl = (
        'case "$*" in *"get secret"*) n=$(cat "$(dirname "$CALLS")/looks" 2>/dev/null || echo 0); '
        'echo $((n + 1)) >"$(dirname "$CALLS")/looks"; '
        '[ "$n" -ge 1 ] && printf %s "$(printf the-token | base64)" ;; *) cat >/dev/null ;; esac'
    )
    path = stand_in(tmp_path / "bin", "kubectl", kubectl)
    stand_in(tmp_path / "bin", "sleep", "true")
    result = run_function(
        "bootstrap/workload-access.sh",
        "main",
        NAMESPACE="workloads",
        SERVICE_ACCOUNT="deployer",
        MANIFEST="kind: Namespace",
        PATH=path,
        CALLS=str(tmp_path / "calls.log"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "the-token"


def test_the_admin_binding_names_the_certificates_user():
    binding = yaml.safe_load(access.admin_binding("kubeadm-aws-admin-1"))
    assert_valid([binding], versions.DEFAULT_KUBERNETES_MINOR)
    assert binding["metadata"]["name"] == access.ADMIN_BINDING
