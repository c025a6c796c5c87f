"""The kubeadm bootstrap chain: its dependency graph, its secrets, the kubeadm configurations it
renders, the PKI and kubeconfig it builds, and the scripts it runs."""

import base64
import functools
import re
import subprocess

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from components import pki, versions
from tests.harness import run_program, stack_config
from tests.mocks import join_token_for
from tests.remote import COMMAND, script_of, variable
from tests.validators import shellcheck

CP = "kubeadm-lab-control-plane"


@functools.cache
def cluster(workers: int = 2, cni: str = "calico"):
    return run_program(stack_config(workerCount=workers, cni=cni, allowedCidrs=["203.0.113.7/32"]))


def commands(run):
    return {r.name: r for r in run.of_type(COMMAND)}


def depends_on(run, resource, name) -> bool:
    """Whether `resource` waits for the resource called `name`, directly or through others."""
    target = run.named(name).urn
    seen, stack = set(), [resource.urn]
    while stack:
        urn = stack.pop()
        for dependency in run.by_urn(urn).dependencies if any(r.urn == urn for r in run.resources) else ():
            if dependency == target:
                return True
            if dependency not in seen:
                seen.add(dependency)
                stack.append(dependency)
    return False


def chain_depth(run) -> int:
    """The longest path of command resources, each waiting for the one before it."""
    by_name = commands(run)

    @functools.cache
    def depth(name):
        before = [other for other in by_name if other != name and depends_on(run, by_name[name], other)]
        return 1 + max((depth(other) for other in before), default=0)

    return max(depth(name) for name in by_name)


# --- the dependency graph --------------------------------------------------------------------------


def test_every_node_first_waits_for_cloud_init():
    run = cluster()
    for node in [CP, "kubeadm-lab-worker-1", "kubeadm-lab-worker-2"]:
        wait = run.named(f"{node}-cloud-init")
        assert depends_on(run, wait, node)
        assert wait.inputs["triggers"] == [f"{node}-id"]


def test_init_runs_after_its_nodes_cloud_init_and_the_elastic_ip():
    run = cluster()
    init = run.named(f"{CP}-kubeadm-init")
    assert depends_on(run, init, f"{CP}-cloud-init")
    assert depends_on(run, init, "pki-ca") and depends_on(run, init, "pki-ca-key")
    association = next(r for r in run.of_type("aws:ec2/eipAssociation:EipAssociation"))
    assert association.urn in init.dependencies


@pytest.mark.parametrize("n", [1, 2])
def test_each_join_waits_for_its_own_token_and_its_own_node(n):
    run = cluster()
    join = run.named(f"kubeadm-lab-worker-{n}-join")
    other = 3 - n
    assert depends_on(run, join, f"kubeadm-lab-worker-{n}-join-token")
    assert depends_on(run, join, f"kubeadm-lab-worker-{n}-cloud-init")
    assert not depends_on(run, join, f"kubeadm-lab-worker-{other}-join-token")
    assert not depends_on(run, join, f"kubeadm-lab-worker-{other}-cloud-init")


def test_tokens_come_from_the_initialised_control_plane():
    run = cluster()
    for n in (1, 2):
        token = run.named(f"kubeadm-lab-worker-{n}-join-token")
        assert depends_on(run, token, f"{CP}-kubeadm-init")
        assert token.inputs["connection"]["host"] == "198.51.100.10"
        assert token.inputs["triggers"] == [f"kubeadm-lab-worker-{n}-id"]  # a new worker gets a new token


def test_joins_do_not_wait_for_each_other():
    run = cluster(workers=6)
    joins = [r for r in run.of_type(COMMAND) if r.name.endswith("-join")]
    assert len(joins) == 6
    for join in joins:
        for other in joins:
            if other is not join:
                assert not depends_on(run, join, other.name)
                assert not depends_on(run, join, f"{other.name}-token")


def test_cni_may_run_while_workers_join():
    run = cluster()
    cni = run.named(f"{CP}-cni-calico")
    assert depends_on(run, cni, f"{CP}-kubeadm-init")
    assert not any(depends_on(run, cni, f"kubeadm-lab-worker-{n}-join") for n in (1, 2))


def test_readiness_gate_waits_for_the_cni_and_every_worker():
    run = cluster()
    gate = run.named("kubeadm-lab-ready")
    assert depends_on(run, gate, f"{CP}-cni-calico")
    for n in (1, 2):
        assert depends_on(run, gate, f"kubeadm-lab-worker-{n}-registered")
    assert variable(script_of(gate.inputs["create"]), "NODE_NAMES") == f"{CP} kubeadm-lab-worker-1 kubeadm-lab-worker-2"
    assert gate.inputs["triggers"] == [CP, "kubeadm-lab-worker-1", "kubeadm-lab-worker-2"]


def test_chain_depth_does_not_grow_with_workers():
    assert chain_depth(cluster(workers=1)) == chain_depth(cluster(workers=6)) == 6


def test_kubeconfig_output_waits_for_the_readiness_gate():
    # The kubeconfig is resolved from the gate's id: a consumer never gets it before the cluster is Ready.
    run = cluster()
    assert run.outputs["kubeconfig"]
    assert "kubeadm-lab-ready" in commands(run)


# --- single node and scale-down --------------------------------------------------------------------


def test_single_node_cluster_untaints_the_control_plane_and_restores_it_on_delete():
    run = cluster(workers=0)
    names = set(commands(run))
    assert not [n for n in names if "worker" in n]
    untaint = run.named(f"{CP}-schedulable")
    assert variable(script_of(untaint.inputs["create"]), "TAINT_ACTION") == "remove"
    assert variable(script_of(untaint.inputs["delete"]), "TAINT_ACTION") == "restore"
    assert depends_on(run, run.named("kubeadm-lab-ready"), f"{CP}-schedulable")
    assert f"{CP}-schedulable" not in commands(cluster(workers=2))


def test_removed_worker_is_drained_then_reset_before_its_instance_goes():
    run = cluster()
    control_plane_instance = run.named(CP).urn
    registered = run.named("kubeadm-lab-worker-1-registered")
    join = run.named("kubeadm-lab-worker-1-join")
    # Pulumi deletes dependents first: registered (drain and delete, on the control plane), then the
    # join (kubeadm reset, on the worker), then the instance.
    assert depends_on(run, registered, join.name) and depends_on(run, join, "kubeadm-lab-worker-1")
    assert registered.inputs["connection"]["host"] == "198.51.100.10"
    assert "kubectl drain" in script_of(registered.inputs["delete"])
    assert variable(script_of(registered.inputs["delete"]), "NODE_NAME") == "kubeadm-lab-worker-1"
    assert "kubeadm reset --force" in script_of(join.inputs["delete"])
    assert join.inputs["connection"]["host"] == run.named("kubeadm-lab-worker-1").state["publicIp"]
    for command in (registered, join):
        assert command.delete_before_replace
        # `pulumi destroy` removes the control plane too, so these deletes are skipped: it need not
        # reach hosts that may already be gone.
        assert command.deleted_with == control_plane_instance


def test_commands_without_a_delete_are_not_tied_to_the_cluster():
    run = cluster()
    for command in run.of_type(COMMAND):
        if "delete" not in command.inputs:
            assert not command.deleted_with and not command.delete_before_replace, command.name


# --- connections -----------------------------------------------------------------------------------


def test_commands_log_in_as_ubuntu_with_the_generated_key():
    run = cluster()
    key = run.named("ssh-key").state["privateKeyOpenssh"]
    for command in run.of_type(COMMAND):
        connection = command.inputs["connection"]
        assert connection["user"] == "ubuntu"
        assert connection["privateKey"] == key
        assert "connection" in command.secret_inputs
        assert command.inputs["addPreviousOutputInEnv"] is False


def test_first_command_of_a_node_tolerates_a_booting_node():
    run = cluster()
    for command in run.of_type(COMMAND):
        connection = command.inputs["connection"]
        if command.name.endswith("-cloud-init"):
            assert connection["dialErrorLimit"] >= 120
            assert command.custom_timeouts.create == "30m"
        else:
            assert 0 < connection["dialErrorLimit"] < 120
        assert connection["perDialTimeout"] > 0


# --- secrets ---------------------------------------------------------------------------------------

TOKEN_PATTERN = re.compile(r"[a-z0-9]{6}\.[a-z0-9]{16}")


def test_token_commands_keep_their_output_secret_and_off_the_console():
    run = cluster()
    for n in (1, 2):
        token = run.named(f"kubeadm-lab-worker-{n}-join-token")
        assert {"stdout", "stderr"} <= set(token.additional_secret_outputs)
        assert token.inputs["logging"] == "none"


def test_commands_fed_secrets_keep_them_secret():
    run = cluster()
    fed = [r for r in run.of_type(COMMAND) if "stdin" in r.inputs]
    assert sorted(r.name for r in fed) == sorted(
        [f"{CP}-kubeadm-init", "kubeadm-lab-worker-1-join", "kubeadm-lab-worker-2-join"]
    )
    for command in fed:
        assert "stdin" in command.secret_inputs, command.name
        assert {"stdout", "stderr"} <= set(command.additional_secret_outputs)
        assert command.inputs["logging"] == "none"


def test_each_worker_joins_with_its_own_token_on_stdin():
    run = cluster()
    for n in (1, 2):
        join = run.named(f"kubeadm-lab-worker-{n}-join")
        config = yaml.safe_load(join.inputs["stdin"])
        assert config["discovery"]["bootstrapToken"]["token"] == join_token_for(f"kubeadm-lab-worker-{n}-join-token")


def plain_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from plain_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from plain_strings(item)


def test_no_token_or_private_key_in_any_plain_input_or_output():
    run = cluster()
    for resource in run.resources:
        for key, value in resource.inputs.items():
            if key in resource.secret_inputs:
                continue
            for text in plain_strings(value):
                assert "PRIVATE KEY" not in text, (resource.name, key)
                assert not TOKEN_PATTERN.search(text), (resource.name, key)
    for name, value in run.outputs.items():
        if name not in run.secret_outputs:
            for text in plain_strings(value):
                assert "PRIVATE KEY" not in text and not TOKEN_PATTERN.search(text), name


def test_kubeconfig_and_ssh_key_outputs_are_secret():
    assert {"kubeconfig", "sshPrivateKey"} <= cluster().secret_outputs


def test_skipping_ca_verification_never_appears():
    run = cluster()
    for command in run.of_type(COMMAND):
        for text in plain_strings(command.inputs):
            assert "unsafe-skip-ca-verification" not in text


# --- kubeadm configuration -------------------------------------------------------------------------


def init_documents(run):
    script = script_of(run.named(f"{CP}-kubeadm-init").inputs["create"])
    return {doc["kind"]: doc for doc in yaml.safe_load_all(variable(script, "KUBEADM_CONFIG"))}


def test_init_configuration_parses_and_carries_the_clusters_settings():
    run = cluster()
    docs = init_documents(run)
    eip, eip_dns = run.outputs["controlPlanePublicIp"], run.outputs["controlPlanePublicDns"]
    private_ip = run.outputs["controlPlanePrivateIp"]
    init, cluster_config = docs["InitConfiguration"], docs["ClusterConfiguration"]
    assert init["apiVersion"] == cluster_config["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert init["localAPIEndpoint"]["advertiseAddress"] == private_ip
    assert init["nodeRegistration"]["criSocket"] == "unix:///run/containerd/containerd.sock"
    assert init["nodeRegistration"]["name"] == CP
    assert init["nodeRegistration"]["kubeletExtraArgs"] == [{"name": "node-ip", "value": private_ip}]
    assert {eip, eip_dns, private_ip} <= set(cluster_config["apiServer"]["certSANs"])
    assert cluster_config["controlPlaneEndpoint"] == f"{eip_dns}:6443"
    assert cluster_config["networking"] == {"podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12"}
    assert cluster_config["kubernetesVersion"] == f"stable-{versions.DEFAULT_KUBERNETES_MINOR}"
    assert docs["KubeletConfiguration"]["cgroupDriver"] == "systemd"


def test_init_configuration_follows_the_config():
    run = run_program(
        stack_config(workerCount=0, podCidr="192.168.0.0/16", serviceCidr="10.128.0.0/16", kubernetesVersion="1.35")
    )
    cluster_config = init_documents(run)["ClusterConfiguration"]
    assert cluster_config["networking"] == {"podSubnet": "192.168.0.0/16", "serviceSubnet": "10.128.0.0/16"}
    assert cluster_config["kubernetesVersion"] == "stable-1.35"


def test_init_installs_the_programs_ca_and_pins_the_installed_kubeadm_version():
    run = cluster()
    init = run.named(f"{CP}-kubeadm-init")
    script = script_of(init.inputs["create"])
    assert variable(script, "CA_CERT") == run.named("pki-ca").state["certPem"]
    assert init.inputs["stdin"] == run.named("pki-ca-key").state["privateKeyPem"]
    assert "kubernetesVersion: $(kubeadm version -o short)" in script
    assert variable(script, "LOGIN_USER") == "ubuntu"


def test_join_configuration_pins_the_ca_and_uses_the_private_endpoint():
    run = cluster()
    config = yaml.safe_load(run.named("kubeadm-lab-worker-1-join").inputs["stdin"])
    assert config["apiVersion"] == "kubeadm.k8s.io/v1beta4" and config["kind"] == "JoinConfiguration"
    discovery = config["discovery"]["bootstrapToken"]
    assert discovery["apiServerEndpoint"] == f"{run.outputs['controlPlanePublicDns']}:6443"
    assert discovery["caCertHashes"] == [pki.discovery_hash(run.named("pki-ca").state["certPem"])]
    registration = config["nodeRegistration"]
    assert registration["name"] == "kubeadm-lab-worker-1"
    assert registration["criSocket"] == "unix:///run/containerd/containerd.sock"
    assert registration["kubeletExtraArgs"] == [{"name": "node-ip", "value": run.outputs["workerPrivateIps"][0]}]


# --- PKI and kubeconfig ----------------------------------------------------------------------------


def test_discovery_hash_matches_openssl(tmp_path):
    ca_pem = cluster().named("pki-ca").state["certPem"]
    (tmp_path / "ca.crt").write_text(ca_pem)
    pipeline = (
        f"openssl x509 -pubkey -noout -in {tmp_path / 'ca.crt'} | openssl pkey -pubin -outform der | "
        "sha256sum | cut -d' ' -f1"
    )
    expected = subprocess.run(["bash", "-c", pipeline], capture_output=True, text=True, check=True).stdout.strip()
    assert len(expected) == 64
    assert pki.discovery_hash(ca_pem) == f"sha256:{expected}"


def test_ca_is_a_ca():
    run = cluster()
    ca = run.named("pki-ca")
    assert ca.inputs["isCaCertificate"] is True
    assert "cert_signing" in ca.inputs["allowedUses"]
    assert "pki-ca-key" in {r.name for r in run.of_type("tls:index/privateKey:PrivateKey")}


def test_kubeconfig_parses_and_points_at_the_elastic_ip():
    run = cluster()
    config = yaml.safe_load(run.outputs["kubeconfig"])
    (entry,) = config["clusters"]
    assert entry["cluster"]["server"] == "https://198.51.100.10:6443" == run.outputs["apiServerEndpoint"]
    ca_pem = base64.b64decode(entry["cluster"]["certificate-authority-data"]).decode()
    assert ca_pem == run.named("pki-ca").state["certPem"]
    (user,) = config["users"]
    client = x509.load_pem_x509_certificate(base64.b64decode(user["user"]["client-certificate-data"]))
    client.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_pem.encode()))
    assert client.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "kubeadm:cluster-admins"
    assert base64.b64decode(user["user"]["client-key-data"]).decode().startswith("-----BEGIN PRIVATE KEY-----")
    assert config["current-context"] == config["contexts"][0]["name"]


def test_stack_outputs_of_the_cluster():
    run = cluster()
    assert run.outputs["clusterName"] == "kubeadm-lab"
    assert run.outputs["kubernetesVersion"] == versions.DEFAULT_KUBERNETES_MINOR
    assert run.outputs["cni"] == "calico"
    assert run.outputs["nodeNames"] == [CP, "kubeadm-lab-worker-1", "kubeadm-lab-worker-2"]


# --- CNI and scripts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cni, url", [("calico", versions.CALICO_MANIFEST_URL), ("flannel", versions.FLANNEL_MANIFEST_URL)]
)
def test_cni_is_applied_from_its_pinned_manifest(cni, url):
    run = cluster(cni=cni)
    script = script_of(run.named(f"{CP}-cni-{cni}").inputs["create"])
    assert variable(script, "MANIFEST_URL") == url
    assert variable(script, "POD_CIDR") == "10.244.0.0/16"


def test_every_rendered_remote_script_is_shellcheck_clean():
    checked = set()
    for run in (cluster(), cluster(workers=0), cluster(cni="flannel")):
        for command in run.of_type(COMMAND):
            for phase in ("create", "delete"):
                if phase in command.inputs:
                    script = script_of(command.inputs[phase])
                    if script not in checked:
                        checked.add(script)
                        assert shellcheck(script) == "", (command.name, phase)
    assert len(checked) >= 10
