"""The CIS control-plane items kubeadm leaves open, as the program renders them: Secrets encrypted with
keys from the stack, the audit policy, Pod Security Admission, kubelet serving certificates verified,
no kubeadm init token left behind; each kubeadm and API server document checked against the fields of
its API (tests/kubeadm_fields.py)."""

import base64

import pytest
import yaml

from components.cluster import hardening
from tests.graph import CP, cluster, depends_on
from tests.harness import run_program, stack_config
from tests.kubeadm_fields import assert_known_fields
from tests.remote import script_of, variable
from tests.test_ha_control_plane import ha
from tests.test_kubeadm_config import init_documents
from tests.test_phases_control_plane import bundle_of
from tests.validators import systemd_units


def encryption_config(run) -> dict:
    bundle = bundle_of(run.named(f"{CP}-kubeadm-init").inputs["stdin"])
    mode, text = bundle["encryption-config.yaml"]
    assert mode == "0600"
    return yaml.safe_load(text)


def init_script(run) -> str:
    return script_of(run.named(f"{CP}-kubeadm-init").inputs["create"])


def test_secrets_are_encrypted_with_a_key_derived_from_the_stacks_own_random_key():
    run = cluster()
    config = encryption_config(run)
    assert_known_fields(config)
    (resource,) = config["resources"]
    assert resource["resources"] == ["secrets"]
    secretbox, identity = resource["providers"]
    assert identity == {"identity": {}}  # reads what was stored before encryption, until the rewrite
    (key,) = secretbox["secretbox"]["keys"]
    source = run.named("pki-secrets-key-1").state["privateKeyPem"]
    assert key == {"name": "key-1", "secret": hardening.derive_encryption_secret(source)}
    assert len(base64.b64decode(key["secret"])) == 32  # secretbox's key size
    assert source not in run.named(f"{CP}-kubeadm-init").inputs["create"]


def test_a_rotation_writes_with_the_new_key_and_still_reads_the_one_before():
    run = run_program(stack_config(secretsKeyGeneration=3))
    (secretbox, _) = encryption_config(run)["resources"][0]["providers"]
    assert [k["name"] for k in secretbox["secretbox"]["keys"]] == ["key-3", "key-2"]
    sources = sorted(r.name for r in run.of_type("tls:index/privateKey:PrivateKey") if "secrets-key" in r.name)
    assert sources == ["pki-secrets-key-2", "pki-secrets-key-3"]  # generation 1's key goes
    secrets = {k["name"]: k["secret"] for k in secretbox["secretbox"]["keys"]}
    assert secrets["key-3"] != secrets["key-2"]
    step = script_of(run.named(f"{CP}-secrets-encryption").inputs["create"])
    assert variable(step, "KEY_NAME") == "key-3"


def keys_of(text: str) -> list[str]:
    (secretbox, _) = yaml.safe_load(text)["resources"][0]["providers"]
    return [k["name"] for k in secretbox["secretbox"]["keys"]]


def test_a_rotation_reaches_every_control_plane_as_a_reading_key_before_any_writes_with_it():
    run = run_program(stack_config(secretsKeyGeneration=2, controlPlaneCount=3, allowedCidrs=["203.0.113.7/32"]))
    names = [CP, f"{CP}-2", f"{CP}-3"]
    # Every control plane's init or join gets both: the one that only reads key-2, and the one it writes.
    for step in (f"{CP}-kubeadm-init", f"{CP}-2-join", f"{CP}-3-join"):
        bundle = bundle_of(run.named(step).inputs["stdin"])
        assert keys_of(bundle["encryption-config-read.yaml"][1]) == ["key-1", "key-2"]
        assert keys_of(bundle["encryption-config.yaml"][1]) == ["key-2", "key-1"]
    # Each is given the writing one only after every control plane's step has run, and the Secrets are
    # rewritten only after every one has been given it.
    rewrite = run.named(f"{CP}-secrets-encryption")
    for name in names:
        writing = run.named(f"{name}-secrets-write-key")
        assert keys_of(writing.inputs["stdin"]) == ["key-2", "key-1"] and "stdin" in writing.secret_inputs
        assert variable(script_of(writing.inputs["create"]), "KEY_NAME") == "key-2"
        for other in names[1:]:
            assert depends_on(run, writing, f"{other}-join")
        assert depends_on(run, writing, f"{CP}-kubeadm-init") and depends_on(run, rewrite, writing.name)


def test_without_a_rotation_there_is_no_reading_configuration():
    assert "encryption-config-read.yaml" not in bundle_of(cluster().named(f"{CP}-kubeadm-init").inputs["stdin"])


def test_the_encryption_step_runs_after_init_and_before_the_readiness_gate():
    run = cluster()
    step = run.named(f"{CP}-secrets-encryption")
    assert depends_on(run, step, f"{CP}-kubeadm-init")
    assert depends_on(run, run.named("kubeadm-lab-ready"), step.name)
    assert variable(script_of(step.inputs["create"]), "KEY_NAME") == "key-1"


def test_the_api_server_starts_with_every_hardening_flag_and_mounts_its_files():
    docs = init_documents(cluster())
    for doc in docs.values():
        assert_known_fields(doc)
    api_server = docs["ClusterConfiguration"]["apiServer"]
    args = {a["name"]: a["value"] for a in api_server["extraArgs"]}
    assert args["encryption-provider-config"] == "/etc/kubernetes/pki/encryption-config.yaml"
    assert args["audit-policy-file"] == "/etc/kubernetes/policies/audit-policy.yaml"
    assert args["audit-log-path"] == "/var/log/kubernetes/audit/audit.log"
    assert (args["audit-log-maxage"], args["audit-log-maxbackup"], args["audit-log-maxsize"]) == ("30", "10", "100")
    assert args["admission-control-config-file"] == "/etc/kubernetes/policies/admission.yaml"
    assert args["kubelet-certificate-authority"] == "/etc/kubernetes/pki/ca.crt"
    mounts = {v["hostPath"]: v for v in api_server["extraVolumes"]}
    for path in (args["audit-policy-file"], args["admission-control-config-file"]):
        assert mounts["/etc/kubernetes/policies"]["readOnly"] and path.startswith("/etc/kubernetes/policies/")
    assert mounts["/var/log/kubernetes/audit"]["readOnly"] is False
    # The PKI directory, which kubeadm mounts already, holds the encryption configuration.
    assert args["encryption-provider-config"].startswith("/etc/kubernetes/pki/")
    # Services may not take external IPs (CVE-2020-8554); kubeadm's NodeRestriction stays.
    assert args["enable-admission-plugins"].split(",") == ["NodeRestriction", "DenyServiceExternalIPs"]
    # Every control plane compares its manifest with these, flag and value.
    flags = [f"{name}={value}" for name, value in args.items()]
    assert variable(init_script(cluster()), "HARDENING_FLAGS").split() == flags
    join = script_of(ha().named(f"{CP}-2-join").inputs["create"])
    assert variable(join, "HARDENING_FLAGS").split() == flags


def test_kubelets_ask_for_serving_certificates_of_the_cluster_ca():
    assert init_documents(cluster())["KubeletConfiguration"]["serverTLSBootstrap"] is True


def test_kubeadm_inits_token_is_described_short_lived_and_deleted_by_the_init_script():
    (token,) = init_documents(cluster())["InitConfiguration"]["bootstrapTokens"]
    assert token["ttl"] == "15m" and "token" not in token  # kubeadm makes the secret part
    script = init_script(cluster())
    assert variable(script, "INIT_TOKEN_DESCRIPTION") == token["description"]


def test_the_audit_policy_never_logs_the_bodies_of_secrets_or_tokens():
    policy = yaml.safe_load(variable(init_script(cluster()), "AUDIT_POLICY"))
    assert_known_fields(policy)
    assert policy["omitStages"] == ["RequestReceived"]
    rules = policy["rules"]
    sensitive = next(r for r in rules if any("secrets" in g["resources"] for g in r.get("resources", [])))
    assert sensitive["level"] == "Metadata"
    # It comes before the catch-all that logs request bodies, which would otherwise apply first.
    assert rules.index(sensitive) < rules.index({"level": "Request"}) == len(rules) - 1


@pytest.mark.parametrize("level", ["baseline", "restricted", "privileged"])
def test_pod_security_enforces_the_setting_and_exempts_only_kube_system(level):
    run = cluster() if level == "baseline" else run_program(stack_config(podSecurity=level))
    config = yaml.safe_load(variable(init_script(run), "ADMISSION_CONFIG"))
    assert_known_fields(config)
    (plugin,) = config["plugins"]
    assert plugin["name"] == "PodSecurity"
    defaults = plugin["configuration"]["defaults"]
    assert (defaults["enforce"], defaults["audit"], defaults["warn"]) == (level, "restricted", "restricted")
    assert plugin["configuration"]["exemptions"]["namespaces"] == ["kube-system"]


def test_an_unknown_pod_security_level_is_refused_by_key_before_any_resource():
    run = run_program(stack_config(podSecurity="strict"), expect_error=True)
    assert "kubeadm-aws:podSecurity" in str(run.error) and "baseline" in str(run.error)
    assert run.resources == []


def test_every_node_proves_its_serving_certificate_before_the_readiness_gate():
    run = cluster(workers=2)
    approver = f"{CP}-kubelet-serving-approver"
    assert depends_on(run, run.named(approver), f"{CP}-kubeadm-init")
    for node in (CP, "kubeadm-lab-worker-1", "kubeadm-lab-worker-2"):
        step = run.named(f"{node}-serving-certificate")
        assert depends_on(run, step, approver)
        assert depends_on(run, run.named("kubeadm-lab-ready"), step.name)
        script = script_of(step.inputs["create"])
        assert variable(script, "NODE_NAME") == node and variable(script, "NODE_INSTANCE_ID") == f"{node}-id"
    assert depends_on(run, run.named("kubeadm-lab-worker-1-serving-certificate"), "kubeadm-lab-worker-1-registered")


@pytest.mark.needs("systemd-analyze")
def test_the_approver_is_installed_as_a_service_that_watches_with_the_rendered_approver(tmp_path):
    script = script_of(cluster().named(f"{CP}-kubelet-serving-approver").inputs["create"])
    approver = variable(script, "APPROVER_SCRIPT")
    assert "kubernetes.io/kubelet-serving" in approver and "certificate approve" in approver
    assert variable(script, "UNIT") == "kubeadm-aws-kubelet-serving"
    units = systemd_units(script, "write_unit", "kubeadm-aws-kubelet-serving", tmp_path)
    assert [u.suffix for u in units] == [".service"]  # no timer: nothing waits for one
    service = units[0].read_text()
    assert f"ExecStart={tmp_path}/job.sh --watch\n" in service and "Restart=always" in service


def test_the_join_configuration_has_only_v1beta4_fields():
    assert_known_fields(yaml.safe_load(cluster().named("kubeadm-lab-worker-1-join").inputs["stdin"]))


@pytest.mark.parametrize(
    "document",
    [
        {"apiVersion": "kubeadm.k8s.io/v1beta4", "kind": "ClusterConfiguration", "apiServer": {"extraArg": []}},
        {"apiVersion": "kubeadm.k8s.io/v1beta4", "kind": "ClusterConfiguration", "apiServer": {"extraArgs": {}}},
        {"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration", "serverTlsBootstrap": True},
        {"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": "Everything"}]},
    ],
    ids=["misspelt", "v1beta3-map", "wrong-case", "unknown-level"],
)
def test_the_field_check_catches_what_kubeadm_would_reject(document):
    with pytest.raises(AssertionError):
        assert_known_fields(document)
