"""scripts/bootstrap/kubeadm-init.sh, run by bash: the keys it unpacks from stdin, how it decides a
node is already done (the cluster's CA, not a file), what it refuses on a live cluster, and that a
failed init resets the node. kubeadm and kubectl are stand-ins; the script's own decisions are real."""

import base64
import stat
import subprocess
from pathlib import Path

import pytest

from components.cluster import pki
from tests.shell import run_function, stand_in

SCRIPT = "bootstrap/kubeadm-init.sh"
ROOT_DIR = Path(__file__).resolve().parent.parent
CA = "-----BEGIN CERTIFICATE-----\nMIIB-the-stacks-ca\n-----END CERTIFICATE-----\n"


def variables(tmp_path: Path, **overrides) -> dict:
    return {
        "NODE_NAME": "lab-control-plane",
        "LOGIN_USER": "ubuntu",
        "KUBEADM_CONFIG": "kind: ClusterConfiguration\nkubernetesVersion: stable-1.36\n",
        "POD_CIDR": "10.244.0.0/16",
        "SERVICE_CIDR": "10.96.0.0/12",
        "CLOUD_PROVIDER": "none",
        "KUBELET_FLAGS_FILE": str(tmp_path / "kubeadm-flags.env"),
        "ADMIN_KUBECONFIG": str(tmp_path / "admin.conf"),
        "KUBERNETES_PKI_DIR": str(tmp_path / "pki"),
        "NODE_IP": "10.0.0.10",
        "BUCKET": "lab-etcd-backups",
        "PREFIX": "etcd",
        "AWS_REGION": "ap-south-1",
        "ETCD_DATA_DIR": str(tmp_path / "root" / "var" / "lib" / "etcd"),
        "ETCD_PEER_PORT": "2380",
        "ETCD_TOOLS_IMAGE": "quay.io/coreos/etcd:v3.6.14",
        "ETCD_TOOLS_VERSION": "3.6.14",
        "AWS_CLI_CHANNEL": "v2/stable",
        "NODE_ROOT": str(tmp_path / "root"),
        "LOG_FILE": str(tmp_path / "init.log"),
        "CALLS": str(tmp_path / "calls.log"),
        "AUDIT_POLICY": "kind: Policy\n",
        "ADMISSION_CONFIG": "kind: AdmissionConfiguration\n",
        "HARDENING_FLAGS": "encryption-provider-config=/p/e.yaml audit-log-maxage=30",
        "INIT_TOKEN_DESCRIPTION": "kubeadm-aws: kubeadm init's token",
        "ENCRYPTION_CONFIG_FILE": str(tmp_path / "pki" / "encryption-config.yaml"),
        "AUDIT_POLICY_FILE": str(tmp_path / "policies" / "audit-policy.yaml"),
        "ADMISSION_CONFIG_FILE": str(tmp_path / "policies" / "admission.yaml"),
        "AUDIT_LOG_DIR": str(tmp_path / "audit"),
        "SECRETS_KEY_FILE": str(tmp_path / "secrets-key"),
        "STATE_DIR": str(tmp_path / "state"),
        "API_SERVER_PORT": "6443",
        "OTHER_CONTROL_PLANE_IPS": "none",
        "ETCD_CLIENT_PORT": "2379",
        "REJOIN_CONFIG": "kind: JoinConfiguration\n",
        "REJOIN_TOKEN_DESCRIPTION": "kubeadm-aws join of lab-control-plane",
        "CRI_SOCKET": "unix:///run/containerd/containerd.sock",
        **overrides,
    }


def bundle(files: dict[str, tuple[str, str]]) -> str:
    return pki.pki_bundle(files)


KEYS = {
    "ca.crt": ("0644", CA),
    "ca.key": ("0600", "-----BEGIN RSA PRIVATE KEY-----\nca\n-----END RSA PRIVATE KEY-----\n"),
    "etcd/ca.key": ("0600", "etcd-ca-key\n"),
    "sa.pub": ("0644", "sa-pub\n"),
}


def run_with_stdin(call: str, stdin: str, **env) -> subprocess.CompletedProcess:
    encoded = base64.b64encode(stdin.encode()).decode()
    return run_function(SCRIPT, f"{{ {call}; }} < <(base64 -d <<<{encoded})", **env)


# --- the keys on stdin ---------------------------------------------------------------------------


def test_keys_are_unpacked_and_installed_with_their_modes(tmp_path):
    env = variables(tmp_path)
    call = f'd=$(mktemp -d) && unpack_pki_bundle "$d" && install_pki "$d" "{tmp_path}/pki"'
    result = run_with_stdin(call, bundle(KEYS), **env)
    assert result.returncode == 0, result.stderr
    for path, (mode, text) in KEYS.items():
        installed = tmp_path / "pki" / path
        assert installed.read_text() == text
        assert stat.S_IMODE(installed.stat().st_mode) == int(mode, 8), path


@pytest.mark.parametrize(
    "entry",
    ["../../etc/shadow 0600 eA==", "ca.key 0777 eA==", "admin.conf 0600 eA==", "ca.crt"],
    ids=["escape", "mode", "unknown-file", "no-mode"],
)
def test_an_unexpected_bundle_entry_is_refused(tmp_path, entry):
    result = run_with_stdin(
        'd=$(mktemp -d) && unpack_pki_bundle "$d"', bundle(KEYS) + entry + "\n", **variables(tmp_path)
    )
    assert result.returncode == 1 and "unexpected entry in the key bundle" in result.stderr


def test_a_bundle_without_the_cluster_ca_is_refused(tmp_path):
    result = run_with_stdin(
        'd=$(mktemp -d) && unpack_pki_bundle "$d"', bundle({"sa.pub": ("0644", "x")}), **variables(tmp_path)
    )
    assert result.returncode == 1 and "holds no cluster CA" in result.stderr


# --- already done is decided by the CA --------------------------------------------------------------


def state(tmp_path: Path) -> str:
    env = variables(tmp_path)
    desired = tmp_path / "desired-ca.crt"
    desired.write_text(CA)
    result = run_function(
        SCRIPT, f'cluster_state "{env["ADMIN_KUBECONFIG"]}" "{env["KUBERNETES_PKI_DIR"]}" "{desired}"', **env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_node_with_nothing_is_fresh(tmp_path):
    assert state(tmp_path) == "fresh"


def test_a_node_running_the_stacks_ca_is_ours_and_another_ca_is_foreign(tmp_path):
    (tmp_path / "admin.conf").write_text("kind: Config\n")
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "ca.crt").write_text(CA)
    assert state(tmp_path) == "ours"
    (tmp_path / "pki" / "ca.crt").write_text(CA.replace("the-stacks", "another"))
    assert state(tmp_path) == "foreign"


@pytest.mark.parametrize("leftover", ["etc/kubernetes/manifests/etcd.yaml", "var/lib/etcd/member/snap/db"])
def test_files_of_a_failed_attempt_without_an_admin_kubeconfig_are_leftovers(tmp_path, leftover):
    path = tmp_path / "root" / leftover
    path.parent.mkdir(parents=True)
    path.write_text("x")
    assert state(tmp_path) == "leftovers"


# --- what a live cluster refuses --------------------------------------------------------------------

LIVE = """apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.36.4
networking:
  dnsDomain: cluster.local
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/12
"""


def refuse(tmp_path: Path, **overrides) -> subprocess.CompletedProcess:
    path = stand_in(tmp_path / "bin", "kubectl", f"cat <<'EOF'\n{LIVE}EOF")
    return run_function(SCRIPT, "refuse_what_kubeadm_cannot_change", **variables(tmp_path, PATH=path, **overrides))


def test_the_same_ranges_and_minor_are_accepted(tmp_path):
    assert refuse(tmp_path).returncode == 0


@pytest.mark.parametrize(
    "overrides, said",
    [
        ({"POD_CIDR": "192.168.0.0/16"}, "kubeadm cannot change them to podCidr 192.168.0.0/16"),
        ({"SERVICE_CIDR": "10.128.0.0/16"}, "serviceCidr 10.128.0.0/16"),
    ],
)
def test_what_kubeadm_cannot_change_in_place_is_refused(tmp_path, overrides, said):
    result = refuse(tmp_path, **overrides)
    assert result.returncode == 1 and said in " ".join(result.stderr.split())


KUBELET_FLAGS = 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock{}"\n'


@pytest.mark.parametrize(
    "flags, wanted, built_with",
    [
        ("", "external", "false"),
        (" --cloud-provider=external --provider-id=aws:///ap-south-1a/i-0abc", "none", "true"),
    ],
)
def test_the_cloud_provider_of_a_live_cluster_is_not_changed(tmp_path, flags, wanted, built_with):
    (tmp_path / "kubeadm-flags.env").write_text(KUBELET_FLAGS.format(flags))
    result = refuse(tmp_path, CLOUD_PROVIDER=wanted)
    assert result.returncode == 1
    assert f"Set awsIntegration {built_with}, or build a new cluster" in " ".join(result.stderr.split())


def test_a_kubelet_started_for_the_cloud_controller_is_accepted_with_it(tmp_path):
    (tmp_path / "kubeadm-flags.env").write_text(KUBELET_FLAGS.format(" --cloud-provider=external"))
    assert refuse(tmp_path, CLOUD_PROVIDER="external").returncode == 0


# --- running kubeadm init -------------------------------------------------------------------------


def test_init_config_is_pinned_to_the_installed_kubeadm(tmp_path):
    config = tmp_path / "state" / "kubeadm-config.yaml"
    path = stand_in(tmp_path / "bin", "kubeadm", '[ "$*" = "version -o short" ] && echo v1.36.4')
    result = run_function(SCRIPT, f'write_config "{config}"', **variables(tmp_path, PATH=path))
    assert result.returncode == 0, result.stderr
    assert config.read_text().splitlines()[1] == "kubernetesVersion: v1.36.4"


def test_a_failed_init_resets_the_node_so_the_next_run_retries(tmp_path):
    leftovers = tmp_path / "root" / "etc" / "cni" / "net.d"
    leftovers.mkdir(parents=True)
    kubeadm = (
        'case "$1" in init) echo "[bootstrap-token] Using token: 7f3k2a.0123456789abcdef"; '
        'echo "error: preflight"; exit 1 ;; esac'
    )
    env = variables(tmp_path, PATH=stand_in(tmp_path / "bin", "kubeadm", kubeadm))
    result = run_function(SCRIPT, "run_kubeadm_init no", **env)
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "kubeadm init failed on lab-control-plane; the node was reset so that the next pulumi up retries" in message
    assert "error: preflight" in message and "0123456789abcdef" not in message
    assert "kubeadm reset --force" in (tmp_path / "calls.log").read_text()
    assert not leftovers.exists()


def test_the_cluster_identity_is_the_only_line_on_stdout(tmp_path):
    path = stand_in(tmp_path / "bin", "kubectl", "echo 3f1c2a9e-6b1d-4c55-9f0e-2d7a51c0b8aa")
    result = run_function(SCRIPT, "print_cluster_id", **variables(tmp_path, PATH=path))
    assert result.stdout == "cluster-id=3f1c2a9e-6b1d-4c55-9f0e-2d7a51c0b8aa\n"


@pytest.mark.parametrize(
    "told, snapshot, decided",
    [
        ("10.0.1.8:answers 10.0.2.9:silent", "unknown", "rejoin"),  # one answers: a cluster runs there
        ("10.0.1.8:refused 10.0.2.9:answers", "unknown", "rejoin"),
        ("10.0.1.8:refused 10.0.2.9:refused", "none", "init"),  # up, serving nothing, never ran: first build
        ("10.0.1.8:refused 10.0.2.9:refused", "present", "refused"),  # the cluster ran: they are down
        ("10.0.1.8:silent 10.0.2.9:refused", "unknown", "refused"),  # stopped or gone: not proven
        ("10.0.1.8:silent 10.0.2.9:silent", "unknown", "refused"),
    ],
)
def test_a_first_control_plane_among_others_decides_on_evidence(tmp_path, told, snapshot, decided):
    result = run_function(SCRIPT, f'first_control_plane_decision "{told}" {snapshot}', **variables(tmp_path))
    if decided == "refused":
        assert result.returncode == 1 and result.stdout == "" and "Nothing was changed" in result.stderr
    else:
        assert result.returncode == 0 and result.stdout.strip() == decided


# What curl does (curl 7.88, --verbose): a refused connection and no route to the host both exit 7,
# told apart by the trace; 28 timed out, 22 an HTTP error, 35 or 56 a TLS alert (etcd wants a client
# certificate).
CURL = {
    "refused": 'echo "* connect to 10.0.1.8 port $port failed: Connection refused" >&2; exit 7',
    "no-route": 'echo "* Immediate connect fail for 10.0.1.8: No route to host" >&2; exit 7',
    "timeout": "exit 28",
    "ok": "exit 0",
    "http-error": "exit 22",
    "tls-alert": "exit 56",
}


@pytest.mark.parametrize(
    "api, etcd, said",
    [("ok", "tls-alert", "answers"), ("refused", "tls-alert", "answers"), ("http-error", "refused", "answers"),
     ("refused", "refused", "refused"), ("timeout", "refused", "refused"), ("timeout", "timeout", "silent"),
     ("no-route", "no-route", "silent"), ("no-route", "timeout", "silent")],
)  # fmt: skip
def test_each_other_control_plane_is_asked_directly_on_the_api_and_the_etcd_port(tmp_path, api, etcd, said):
    body = f'port=${{*##*:}}; port=${{port%%/*}}; case "$*" in *:6443/*) {CURL[api]} ;; *:2379/*) {CURL[etcd]} ;; esac'
    path = stand_in(tmp_path / "bin", "curl", body)
    result = run_function(SCRIPT, "probe_control_plane 10.0.1.8", **variables(tmp_path, PATH=path))
    assert result.stdout.strip() == said
    asked = (tmp_path / "calls.log").read_text()
    assert "https://10.0.1.8:6443/" in asked and "https://10.0.1.8:2379/" in asked and "elb" not in asked


def test_the_others_are_asked_again_for_minutes_while_one_says_nothing(tmp_path):
    # 10.0.2.9 is starting: silent for its first four probes, then it answers.
    counter = tmp_path / "probes"
    curl = (f'echo x >>"{counter}"; case "$*" in *10.0.1.8*) {CURL["refused"]} ;; esac; '
            f'[ "$(wc -l <"{counter}")" -gt 8 ] && exit 0 || exit 28')  # fmt: skip
    stand_in(tmp_path / "bin", "curl", curl)
    path = stand_in(tmp_path / "bin", "sleep", "true")
    env = variables(tmp_path, PATH=path, OTHER_CONTROL_PLANE_IPS="10.0.1.8 10.0.2.9")
    result = run_function(SCRIPT, "probe_others_until_told", **env)
    assert result.stdout.strip() == "10.0.1.8:refused 10.0.2.9:answers"
    slept = [c for c in (tmp_path / "calls.log").read_text().splitlines() if c.startswith("sleep")]
    assert slept == ["sleep 15"] * 2
    # Silent for longer than PROBE_SECONDS: what they said is reported, and the decision refuses.
    stand_in(tmp_path / "bin", "curl", "exit 28")
    told = run_function(SCRIPT, "probe_others_until_told", **{**env, "PROBE_SECONDS": "30"}).stdout.strip()
    assert told == "10.0.1.8:silent 10.0.2.9:silent"


def test_a_single_control_plane_asks_no_other_only_the_bucket(tmp_path):
    stand_in(tmp_path / "bin", "curl", "exit 0")
    path = stand_in(tmp_path / "bin", "aws", "echo None")  # no snapshot
    result = run_function(SCRIPT, "first_control_plane_path", **variables(tmp_path, PATH=path))
    assert result.stdout.strip() == "new", result.stderr
    assert "curl" not in (tmp_path / "calls.log").read_text()


REJOIN_CONFIG = """apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: internal-api.elb.amazonaws.com:6443
    token: REJOIN-TOKEN
"""


def rejoin(tmp_path: Path, join_body: str = "true"):
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "kubectl", "true")
    stand_in(bin_dir, "curl", "exit 0")
    stand_in(bin_dir, "etcdutl", 'echo "etcdutl version: 3.6.14"')
    # Logged, so that a test sees every command line the rejoin ran (the token must be on none).
    for tool in ("sed", "awk", "grep", "tr", "cut"):
        stand_in(bin_dir, tool, f'exec /usr/bin/{tool} "$@"')
    stand_in(
        bin_dir,
        "etcdctl",
        'case "$*" in *"member list"*) echo "old1, started, lab-control-plane, https://10.0.0.7:2380, '
        'https://10.0.0.7:2379, false"; echo "m2, started, lab-control-plane-2, https://10.0.1.8:2380, '
        'https://10.0.1.8:2379, false" ;; esac',
    )
    path = stand_in(
        bin_dir,
        "kubeadm",
        'case "$1 $2" in "token create") echo abcdef.0123456789abcdef ;; "join --config") '
        f'cp "$3" "$(dirname "$CALLS")/joined-with.yaml"; {join_body} ;; esac',
    )
    env = variables(
        tmp_path,
        OTHER_CONTROL_PLANE_IPS="10.0.1.8 10.0.2.9",
        REJOIN_CONFIG=REJOIN_CONFIG,
        TOOLS_BIN_DIR=str(bin_dir),
        PATH=path,
    )
    (tmp_path / "pki").mkdir(exist_ok=True)
    return run_function(SCRIPT, f'rejoin_other_control_planes "{tmp_path}/work"', **env)


def test_a_replaced_first_control_plane_joins_the_others_after_removing_its_old_machine(tmp_path):
    result = rejoin(tmp_path)
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls.log").read_text().splitlines()
    order = [
        next(i for i, c in enumerate(calls) if c.startswith(prefix))
        for prefix in (
            f"kubeadm init phase kubeconfig admin --config {tmp_path}/state/kubeadm-config.yaml",
            "kubectl delete node lab-control-plane",
            "etcdctl --endpoints=https://10.0.1.8:2379",
            "kubeadm token create",
            "kubeadm join --config",
        )
    ]
    assert order == sorted(order)
    assert any(c.endswith("member remove old1") for c in calls)  # the old machine's member, at 10.0.0.7
    assert not any(c.endswith("member remove m2") for c in calls)
    joined = (tmp_path / "joined-with.yaml").read_text()
    assert "token: abcdef.0123456789abcdef" in joined and "REJOIN-TOKEN" not in joined
    assert not [c for c in calls if "0123456789abcdef" in c]  # on no command line
    assert "joined the other control planes" in result.stderr


def test_a_failed_rejoin_resets_the_node_so_the_next_run_retries(tmp_path):
    result = rejoin(tmp_path, join_body="echo 'error execution phase control-plane-join' >&2; exit 1")
    assert result.returncode != 0
    assert "failed; the node was reset" in result.stderr
    assert "kubeadm reset" in (tmp_path / "calls.log").read_text()


def test_the_placeholder_is_the_one_the_program_renders():
    from components.cluster import kubeadm_config

    library = (ROOT_DIR / "scripts" / "lib" / "rejoin-control-plane.sh").read_text()
    assert f"readonly REJOIN_TOKEN_PLACEHOLDER={kubeadm_config.REJOIN_TOKEN_PLACEHOLDER}\n" in library


# --- which API server runs without the hardening: flag and value, as its manifest holds them -------------

MANIFEST = """apiVersion: v1
kind: Pod
spec:
  containers:
  - command:
    - kube-apiserver
    - --advertise-address=10.0.0.10
{flags}    image: registry.k8s.io/kube-apiserver:v1.36.2
"""


ENCRYPTION = "--encryption-provider-config=/p/e.yaml"
PLUGINS = "--enable-admission-plugins=NodeRestriction"


@pytest.mark.parametrize(
    "flags, lacks",
    [
        ([ENCRYPTION, "--audit-log-maxage=30"], True),  # a flag is missing
        ([ENCRYPTION, "--audit-log-maxage=300", PLUGINS], True),
        ([ENCRYPTION, "--audit-log-maxage=30", PLUGINS], True),
        ([ENCRYPTION, "--audit-log-maxage=30", f"{PLUGINS},DenyServiceExternalIPs"], False),
    ],
    ids=["missing", "another-value", "kubeadms-default-plugins", "hardened"],
)  # fmt: skip
def test_an_api_server_lacks_the_hardening_unless_it_runs_each_flag_with_its_value(tmp_path, flags, lacks):
    env = variables(tmp_path, HARDENING_FLAGS="encryption-provider-config=/p/e.yaml audit-log-maxage=30 "
                    "enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs")  # fmt: skip
    manifest = tmp_path / "root" / "etc" / "kubernetes" / "manifests" / "kube-apiserver.yaml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(MANIFEST.format(flags="".join(f"    - {flag}\n" for flag in flags)))
    result = run_function(SCRIPT, "api_server_lacks_hardening", **env)
    assert result.returncode == (0 if lacks else 1), result.stderr
