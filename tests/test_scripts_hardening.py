"""The hardening scripts' decisions, run by bash: the approver of kubelet serving certificates on real
certificate requests (openssl), the deletion of bootstrap tokens, the init script's refusal of a
rotation that would lose the Secrets' key and its look at the API server's flags, and a kubelet's
serving certificate checked against the cluster CA. kubectl is the stand-in API server."""

import base64
import ipaddress
import subprocess
from pathlib import Path

import pytest

from components.cluster import pki, script_rendering
from components.cluster.script_rendering import SCRIPTS_DIR
from tests.etcd import Etcd, make_etcd_pki, tool_path
from tests.kubectl_stand_in import FakeCluster
from tests.shell import run_function, stand_in
from tests.test_scripts_kubeadm_init import variables as init_variables

pytestmark = pytest.mark.needs("openssl")

APPROVER = "bootstrap/approve-kubelet-serving.sh"
NODE = "lab-worker-1"
ADDRESSES = ["10.0.0.5", "3.4.5.6", "ip-10-0-0-5.ap-south-1.compute.internal"]


def certificate_request(tmp_path: Path, subject: str, names: str) -> str:
    request = tmp_path / "request.pem"
    subprocess.run(
        ["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(tmp_path / "key.pem"), "-subj", subject, "-addext", f"subjectAltName={names}",
         "-out", str(request)],
        check=True, capture_output=True,
    )  # fmt: skip
    return base64.b64encode(request.read_bytes()).decode()


def csr(name: str, user: str, request: str, conditions=()) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {"signerName": "kubernetes.io/kubelet-serving", "username": user, "request": request},
        "status": {"conditions": [{"type": c} for c in conditions]} if conditions else {},
    }


def node(name: str, addresses: list[str]) -> dict:
    return {"metadata": {"name": name}, "status": {"addresses": [{"type": "X", "address": a} for a in addresses]}}


SERVICE_CIDR, POD_CIDR = "10.96.0.0/12", "192.168.0.0/16"
OTHER_NODE = node("lab-worker-2", ["10.0.0.6", "3.4.5.7", "ip-10-0-0-6.ap-south-1.compute.internal"])


def approve(
    tmp_path: Path, requests: list[dict], *args: str, addresses: list[str] = ADDRESSES, answers=()
) -> tuple[subprocess.CompletedProcess, FakeCluster]:
    """The rendered approver run once over `requests`; the node asking has `addresses` in its status."""
    nodes = [node(NODE, addresses), OTHER_NODE]
    cluster = FakeCluster(tmp_path, {"csr": requests, "nodes": nodes}, answers=answers)
    script = script_rendering.render(APPROVER, SERVICE_CIDR=SERVICE_CIDR, POD_CIDR=POD_CIDR)
    (tmp_path / "approver.sh").write_text(script)
    result = cluster.run(f'bash "{tmp_path}/approver.sh" {" ".join(args)}', ADMIN_KUBECONFIG="/dev/null")
    return result, cluster


GOOD_SUBJECT = f"/O=system:nodes/CN=system:node:{NODE}"
GOOD_NAMES = "DNS:ip-10-0-0-5.ap-south-1.compute.internal,IP:10.0.0.5,IP:3.4.5.6"


def test_a_nodes_request_for_its_own_addresses_is_approved(tmp_path):
    request = certificate_request(tmp_path, GOOD_SUBJECT, GOOD_NAMES)
    result, cluster = approve(tmp_path, [csr("csr-a", f"system:node:{NODE}", request)])
    assert result.returncode == 0, result.stderr
    assert "kubectl certificate approve csr-a" in cluster.calls()


def test_watching_approves_what_a_burst_of_changes_brings_in_one_pass(tmp_path):
    # The stand-in's watch lists the two requests and ends, as the API server ends a watch.
    requests = [csr(f"csr-{n}", f"system:node:{NODE}", certificate_request(tmp_path, GOOD_SUBJECT, GOOD_NAMES))
                for n in (1, 2)]  # fmt: skip
    result, cluster = approve(tmp_path, requests, "--watch")
    assert result.returncode == 0, result.stderr
    calls = cluster.calls()
    assert "kubectl get csr --watch -o name" in calls
    assert [c for c in calls if "approve" in c] == [f"kubectl certificate approve csr-{n}" for n in (1, 2)]
    assert len([c for c in calls if c.startswith("kubectl get csr -o jsonpath")]) == 1


@pytest.mark.parametrize(
    "user, subject, names, reason",
    [
        (f"system:node:{NODE}", GOOD_SUBJECT, "IP:10.0.0.5,IP:10.0.0.99", "asks for 10.0.0.99"),
        (f"system:node:{NODE}", GOOD_SUBJECT, "DNS:kubernetes.default,IP:10.0.0.5", "asks for kubernetes.default"),
        ("system:serviceaccount:default:x", GOOD_SUBJECT, GOOD_NAMES, "not by a node"),
        (f"system:node:{NODE}", "/O=system:masters/CN=system:node:lab-worker-1", GOOD_NAMES, "its subject is"),
        ("system:node:lab-worker-9", "/O=system:nodes/CN=system:node:lab-worker-9", GOOD_NAMES, "not registered"),
    ],
    ids=["foreign-ip", "foreign-name", "not-a-node", "wrong-group", "unknown-node"],
)
def test_a_request_it_cannot_vouch_for_stays_pending(tmp_path, user, subject, names, reason):
    request = certificate_request(tmp_path, subject, names)
    result, cluster = approve(tmp_path, [csr("csr-b", user, request)])
    assert result.returncode == 0, result.stderr
    assert not [c for c in cluster.calls() if "approve" in c]
    assert "left csr-b pending" in result.stderr and reason in result.stderr


def test_requests_already_decided_are_left_alone(tmp_path):
    request = certificate_request(tmp_path, GOOD_SUBJECT, GOOD_NAMES)
    result, cluster = approve(tmp_path, [csr("csr-c", f"system:node:{NODE}", request, conditions=["Denied"])])
    assert result.returncode == 0 and not [c for c in cluster.calls() if "approve" in c]


# --- crafted requests (read with the approver's DER parser, lib/csr.sh) ---------------------------------


def der(tag: int, content: bytes) -> bytes:
    size = len(content)
    length = (
        bytes([size])
        if size < 0x80
        else bytes([0x80 | ((size.bit_length() + 7) // 8)]) + size.to_bytes((size.bit_length() + 7) // 8, "big")
    )
    return bytes([tag]) + length + content


def der_elements(data: bytes) -> list[bytes]:
    """The whole DER elements (tag, length and value) in `data`."""
    found, at = [], 0
    while at < len(data):
        size, start = data[at + 1], at + 2
        if size & 0x80:
            count = size & 0x7F
            size, start = int.from_bytes(data[start : start + count], "big"), start + count
        found.append(data[at : start + size])
        at = start + size
    return found


def der_value(element: bytes) -> bytes:
    """The content of one DER element."""
    return element[2 + (element[1] & 0x7F if element[1] & 0x80 else 0) :]


def crafted_request(names: list, *, second_names: list | None = None) -> str:
    """A request signed by its own key, as a node would send it, for `names` (cryptography GeneralNames);
    with `second_names`, a second extension-request attribute asks for those too. Base64, as the API
    holds it in .spec.request."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:nodes"),
         x509.NameAttribute(NameOID.COMMON_NAME, f"system:node:{NODE}")]
    )  # fmt: skip

    def request(alt_names) -> bytes:
        builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    body = request(names)
    if second_names is not None:
        info, algorithm, _ = der_elements(der_value(body))
        version, name, spki, attributes = der_elements(der_value(info))
        other_attributes = der_elements(der_value(der_elements(der_value(request(second_names)))[0]))[3]
        info = der(0x30, version + name + spki + der(0xA0, der_value(attributes) + der_value(other_attributes)))
        signature = key.sign(info, ec.ECDSA(hashes.SHA256()))
        body = der(0x30, info + algorithm + der(0x03, b"\x00" + signature))
    pem = b"-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(body) + b"-----END CERTIFICATE REQUEST-----\n"
    return base64.b64encode(pem).decode()


def good_names():
    from cryptography import x509

    return [x509.DNSName("ip-10-0-0-5.ap-south-1.compute.internal"), x509.IPAddress(ipaddress.ip_address("10.0.0.5"))]


def crafted_cases():
    from cryptography import x509

    ip = lambda text: x509.IPAddress(ipaddress.ip_address(text))  # noqa: E731
    return {
        "newline-in-a-dns-name": (
            dict(
                names=[x509.DNSName("ip-10-0-0-5.ap-south-1.compute.internal\nkubernetes.default.svc"), ip("10.0.0.5")]
            ),
            "which is not a plain host name",
        ),
        "second-extension-request": (
            dict(names=good_names(), second_names=[x509.DNSName("kubernetes.default.svc")]),
            "more than one attribute",
        ),
        "in-cluster-name": (dict(names=[x509.DNSName("kubernetes.default.svc"), ip("10.0.0.5")]), "inside the cluster"),
        "service-address": (dict(names=[ip("10.96.0.1"), ip("10.0.0.5")]), "in the cluster's service range"),
        "pod-address": (dict(names=[ip("192.168.3.4")]), "in the cluster's pod range"),
        "uri": (dict(names=[x509.UniformResourceIdentifier("spiffe://cluster/x"), ip("10.0.0.5")]), "neither a DNS"),
        "email": (dict(names=[x509.RFC822Name("root@example.com"), ip("10.0.0.5")]), "neither a DNS"),
        "loopback": (dict(names=[ip("127.0.0.1")]), "no node's address"),
        # The node put another node's address into its own status (a node may update its own).
        "another-nodes-address": (dict(names=[ip("10.0.0.6")]), "an address of another node"),
    }


@pytest.mark.parametrize("case", list(crafted_cases()))
def test_a_crafted_request_is_refused(tmp_path, case):
    arguments, reason = crafted_cases()[case]
    request = crafted_request(**arguments)
    # The compromised node also claims another node's address in its status.
    result, cluster = approve(
        tmp_path, [csr("csr-x", f"system:node:{NODE}", request)], addresses=[*ADDRESSES, "10.0.0.6"]
    )
    assert result.returncode == 0, result.stderr
    assert not [c for c in cluster.calls() if "approve" in c]
    assert "left csr-x pending" in result.stderr and reason in result.stderr, result.stderr


def test_a_request_is_left_pending_when_the_other_nodes_cannot_be_read(tmp_path):
    requests = [csr("csr-z", f"system:node:{NODE}", crafted_request(good_names()))]
    # The API away for that one call.
    result, cluster = approve(tmp_path, requests, answers=[(r"^get nodes -o jsonpath", 1, "")])
    assert not [c for c in cluster.calls() if "approve" in c]
    assert "left csr-z pending: the other nodes' addresses cannot be read" in result.stderr


def test_a_crafted_request_for_its_own_addresses_only_is_approved(tmp_path):
    # The same crafting, with nothing hidden: the parser reads what it should.
    result, cluster = approve(tmp_path, [csr("csr-y", f"system:node:{NODE}", crafted_request(good_names()))])
    assert result.returncode == 0, result.stderr
    assert "kubectl certificate approve csr-y" in cluster.calls()


def install_content(tmp_path: Path, target: Path, content: str, bin_dir: Path | None = None):
    """lib/api-server-policies.sh's install_content, with /tmp at tmp_path/tmp (TMPDIR)."""
    (tmp_path / "tmp").mkdir(exist_ok=True)
    path = f"{bin_dir}:/usr/bin:/bin" if bin_dir else "/usr/bin:/bin"
    library = SCRIPTS_DIR / "lib" / "api-server-policies.sh"
    call = f'set -euo pipefail; source "{library}"; printf %s {content!r} | install_content "{target}" 0600'
    return subprocess.run(
        ["bash", "-c", call], capture_output=True, text=True, env={"TMPDIR": str(tmp_path / "tmp"), "PATH": path}
    )


def test_a_key_is_installed_without_ever_waiting_in_tmp(tmp_path):
    target = tmp_path / "etc" / "encryption-config.yaml"
    first = install_content(tmp_path, target, "key: secret")
    again = install_content(tmp_path, target, "key: secret")
    assert (first.stdout, again.stdout) == ("changed\n", "unchanged\n"), first.stderr + again.stderr
    assert target.read_text() == "key: secret" and oct(target.stat().st_mode & 0o777) == "0o600"
    assert list((tmp_path / "tmp").iterdir()) == [] and list(target.parent.iterdir()) == [target]


def test_a_failed_install_leaves_the_key_nowhere(tmp_path):
    target = tmp_path / "etc" / "encryption-config.yaml"
    stand_in(tmp_path / "bin", "mv", "exit 1")
    result = install_content(tmp_path, target, "key: secret", bin_dir=tmp_path / "bin")
    assert result.returncode != 0 and result.stdout == ""
    assert list((tmp_path / "tmp").iterdir()) == [] and list(target.parent.iterdir()) == []


def token_secret(token_id: str, description: str) -> dict:
    return {
        "metadata": {"name": f"bootstrap-token-{token_id}", "namespace": "kube-system"},
        "type": "bootstrap.kubernetes.io/token",
        "data": {"description": base64.b64encode(description.encode()).decode()},
    }


def test_only_the_tokens_of_the_given_description_are_deleted(tmp_path):
    secrets = [
        token_secret("abc123", "kubeadm-aws: kubeadm init's token"),
        token_secret("def456", "kubeadm-aws join of lab-worker-1"),
        {"metadata": {"name": "other", "namespace": "kube-system"}, "type": "Opaque", "data": {}},
    ]
    cluster = FakeCluster(tmp_path, {"secrets": secrets})
    library = (Path(__file__).parent.parent / "scripts" / "lib" / "bootstrap-tokens.sh").read_text()
    call = 'delete_bootstrap_tokens_described "kubeadm-aws: kubeadm init\'s token"'
    result = cluster.run(f"set -euo pipefail\n{library}\n{call}")
    assert result.returncode == 0, result.stderr
    assert cluster.names("secrets") == ["bootstrap-token-def456", "other"]
    assert "deleted bootstrap token abc123" in result.stderr


ENCRYPTION = "resources:\n- providers:\n  - secretbox:\n      keys:\n      - name: {new}\n        secret: x\n{old}"


def encryption_file(tmp_path: Path, new: str, old: str | None) -> Path:
    path = tmp_path / "new-encryption.yaml"
    previous = f"      - name: {old}\n        secret: y\n" if old else ""
    path.write_text(ENCRYPTION.format(new=new, old=previous))
    return path


@pytest.mark.parametrize(
    "in_use, new, old, refused",
    [(None, "key-1", None, False), ("key-1", "key-2", "key-1", False), ("key-2", "key-2", "key-1", False),
     ("key-1", "key-3", "key-2", True), ("key-3", "key-1", None, True)],
    ids=["first", "rotation", "after-rotation", "skipped-one", "went-back"],
)  # fmt: skip
def test_a_new_encryption_configuration_must_keep_the_key_secrets_use(tmp_path, in_use, new, old, refused):
    env = init_variables(tmp_path)
    if in_use:
        Path(env["SECRETS_KEY_FILE"]).write_text(in_use + "\n")
    config = encryption_file(tmp_path, new, old)
    result = run_function("bootstrap/kubeadm-init.sh", f'refuse_losing_the_secrets_key "{config}"', **env)
    assert (result.returncode != 0) == refused, result.stderr
    if refused:
        assert f"encrypted with {in_use}" in result.stderr and "secretsKeyGeneration" in result.stderr


def test_policies_are_written_private_and_only_a_change_counts(tmp_path):
    env = init_variables(tmp_path)
    first = run_function("bootstrap/kubeadm-init.sh", "write_api_server_policies", **env)
    assert first.stdout.strip() == "changed", first.stderr
    assert oct(Path(env["AUDIT_POLICY_FILE"]).stat().st_mode & 0o777) == "0o600"
    assert Path(env["ADMISSION_CONFIG_FILE"]).read_text().rstrip() == env["ADMISSION_CONFIG"].rstrip()
    again = run_function("bootstrap/kubeadm-init.sh", "write_api_server_policies", **env)
    assert again.stdout.strip() == "unchanged"
    env["ADMISSION_CONFIG"] = "kind: AdmissionConfiguration\nplugins: []\n"
    assert run_function("bootstrap/kubeadm-init.sh", "write_api_server_policies", **env).stdout.strip() == "changed"


def make_ca_and_leaf(tmp_path: Path, name: str) -> tuple[Path, Path]:
    ca_key, ca, leaf = tmp_path / f"{name}-ca.key", tmp_path / f"{name}-ca.crt", tmp_path / f"{name}-leaf.pem"
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
        str(ca_key), "-subj", f"/CN={name}-ca", "-days", "1", "-out", str(ca))  # fmt: skip
    leaf_key, leaf_request = tmp_path / "leaf.key", tmp_path / "leaf.csr"
    run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
        str(leaf_key), "-subj", "/CN=system:node:lab-worker-1", "-out", str(leaf_request))  # fmt: skip
    run("x509", "-req", "-in", str(leaf_request), "-CA", str(ca), "-CAkey", str(ca_key), "-days", "1",
        "-out", str(leaf))  # fmt: skip
    return ca, leaf


@pytest.mark.parametrize("signed_by, serves", [("cluster", True), ("self", False)])
def test_a_kubelet_serves_with_a_cluster_certificate_only_when_the_ca_signed_it(tmp_path, signed_by, serves):
    cluster_ca, _ = make_ca_and_leaf(tmp_path, "cluster")
    _, leaf = make_ca_and_leaf(tmp_path, signed_by) if signed_by != "cluster" else (None, tmp_path / "cluster-leaf.pem")
    pki = tmp_path / "pki"
    pki.mkdir()
    (pki / "ca.crt").write_bytes(cluster_ca.read_bytes())
    env = {
        "NODE_NAME": NODE, "TIMEOUT_SECONDS": "1", "KUBERNETES_PKI_DIR": str(pki), "NODE_INSTANCE_ID": "i-1",
        "CLUSTER_ID": "uid", "SERVING_CERT": str(leaf), "KUBELET_CONFIG": str(tmp_path / "config.yaml"),
    }  # fmt: skip
    result = run_function("bootstrap/kubelet-serving-certificate.sh", "serves_with_cluster_certificate", **env)
    assert (result.returncode == 0) == serves


@pytest.mark.parametrize("config, asks", [("serverTLSBootstrap: true\n", True), ("cgroupDriver: systemd\n", False)])
def test_a_kubelet_configured_before_serving_certificates_is_found(tmp_path, config, asks):
    (tmp_path / "config.yaml").write_text(f"apiVersion: kubelet.config.k8s.io/v1beta1\n{config}")
    env = {
        "NODE_NAME": NODE, "TIMEOUT_SECONDS": "1", "KUBERNETES_PKI_DIR": str(tmp_path), "NODE_INSTANCE_ID": "i-1",
        "CLUSTER_ID": "uid", "KUBELET_CONFIG": str(tmp_path / "config.yaml"),
    }  # fmt: skip
    result = run_function("bootstrap/kubelet-serving-certificate.sh", "asks_for_serving_certificate", **env)
    assert (result.returncode == 0) == asks


def test_a_registered_worker_loses_its_join_token_and_others_keep_theirs(tmp_path):
    secrets = [token_secret("aaa111", "kubeadm-aws join of lab-worker-1"),
               token_secret("bbb222", "kubeadm-aws join of lab-worker-2")]  # fmt: skip
    cluster = FakeCluster(tmp_path, {"secrets": secrets, "nodes": [node(NODE, ADDRESSES)]})
    script = script_rendering.with_libraries(script_rendering.script_text("bootstrap/wait-for-node.sh"))
    (tmp_path / "wait.sh").write_text(script)
    result = cluster.run(
        f'bash "{tmp_path}/wait.sh"',
        NODE_NAME=NODE, TIMEOUT_SECONDS="5", NODE_INSTANCE_ID="i-1", CLUSTER_ID="uid", ADMIN_KUBECONFIG="/dev/null",
        JOIN_TOKEN_DESCRIPTION="kubeadm-aws join of lab-worker-1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert cluster.names("secrets") == ["bootstrap-token-bbb222"]


@pytest.mark.slow  # needs Debian's etcd packages (a download)
@pytest.mark.parametrize(
    "stored, prefix",
    [
        (b"k8s:enc:secretbox:v1:key-2:\x8f\x00\x13\xfe\xaa", "k8s:enc:secretbox:v1:key-2"),
        (b"k8s\x00\n\x0c\n\x02v1\x12\x06Secret", ""),  # plain text: the protobuf of a Secret
    ],
    ids=["encrypted", "plain-text"],
)
def test_how_etcd_holds_a_secret_is_read_from_a_real_etcd(tmp_path, stored, prefix):
    pki = tmp_path / "pki"
    make_etcd_pki(pki)
    etcd = Etcd(tmp_path / "data", pki)
    try:
        put = [str(etcd.bin / "etcdctl"), f"--endpoints={etcd.endpoint}", f"--cacert={pki / 'etcd' / 'ca.crt'}",
               f"--cert={pki / 'etcd' / 'healthcheck-client.crt'}", f"--key={pki / 'etcd' / 'healthcheck-client.key'}",
               "put", "/registry/secrets/kube-system/kubeadm-aws-encryption-probe"]  # fmt: skip
        subprocess.run(put, input=stored, check=True, capture_output=True)
        env = {
            "KEY_NAME": "key-2", "ADMIN_KUBECONFIG": "/dev/null", "KUBERNETES_PKI_DIR": str(pki),
            "API_SERVERS": "10.0.0.10", "API_SERVER_PORT": "6443",
            "ETCD_ENDPOINT": etcd.endpoint, "ETCD_TOOLS_IMAGE": "i", "ETCD_TOOLS_VERSION": "v", "CLUSTER_ID": "uid",
            "PATH": tool_path(), "TMPDIR": str(tmp_path),
        }  # fmt: skip
        result = run_function(
            "bootstrap/encrypt-secrets.sh", "stored_prefix kube-system kubeadm-aws-encryption-probe", **env
        )
    finally:
        etcd.stop()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == prefix


def join_control_plane_env(tmp_path: Path) -> dict:
    return {
        "NODE_NAME": "lab-control-plane-2", "ATTEMPTS": "1", "LOGIN_USER": "ubuntu",
        "KUBELET_KUBECONFIG": str(tmp_path / "kubelet.conf"), "ADMIN_KUBECONFIG": str(tmp_path / "admin.conf"),
        "KUBERNETES_PKI_DIR": str(tmp_path / "pki"), "AUDIT_POLICY": "kind: Policy\n",
        "ADMISSION_CONFIG": "kind: AdmissionConfiguration\n", "AUDIT_POLICY_FILE": str(tmp_path / "p" / "a.yaml"),
        "ADMISSION_CONFIG_FILE": str(tmp_path / "p" / "b.yaml"), "AUDIT_LOG_DIR": str(tmp_path / "audit"),
        "ENCRYPTION_CONFIG_FILE": str(tmp_path / "pki" / "encryption-config.yaml"), "CRI_SOCKET": "unix:///x",
        "NODE_INSTANCE_ID": "i-2", "CLUSTER_ID": "uid", "LOG_FILE": str(tmp_path / "join.log"),
        "HARDENING_FLAGS": "audit-log-maxage=30",
    }  # fmt: skip


@pytest.mark.parametrize("with_join_config", [True, False])
def test_a_joining_control_plane_takes_its_join_configuration_out_of_the_key_bundle(tmp_path, with_join_config):
    files = {"ca.crt": ("0644", "ca\n"), "ca.key": ("0600", "key\n")}
    if with_join_config:
        files["kubeadm-join.yaml"] = ("0600", "kind: JoinConfiguration\n")
    bundle = base64.b64encode(pki.pki_bundle(files).encode()).decode()
    keys = tmp_path / "keys"
    keys.mkdir()
    call = f'unpack_pki_bundle "{keys}" < <(base64 -d <<<{bundle}) && take_join_config "{keys}"'
    env = {**join_control_plane_env(tmp_path), "CONFIG_FILE": str(tmp_path / "join.yaml")}
    result = run_function("bootstrap/kubeadm-join-control-plane.sh", call, **env)
    if with_join_config:
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "join.yaml").read_text() == "kind: JoinConfiguration\n"
        assert oct((tmp_path / "join.yaml").stat().st_mode & 0o777) == "0o600"
        assert sorted(p.name for p in keys.iterdir()) == ["ca.crt", "ca.key"]  # only keys go on to the PKI
    else:
        assert result.returncode != 0 and "holds no kubeadm-join.yaml" in result.stderr


# --- a rotation in two phases (scripts/lib/secrets-encryption.sh) ---------------------------------------

WRITE_KEY = "bootstrap/secrets-write-key.sh"
# The other variables kubeadm-join-control-plane.sh declares, for running its functions.
JOIN_VARIABLES = ("NODE_NAME", "ATTEMPTS", "LOGIN_USER", "AUDIT_POLICY", "ADMISSION_CONFIG", "NODE_INSTANCE_ID",
                  "CLUSTER_ID", "HARDENING_FLAGS")  # fmt: skip
WRITE_KEY_VARIABLES = {"NODE_NAME": "lab-cp-2", "KEY_NAME": "key-2", "NODE_INSTANCE_ID": "i-0", "CLUSTER_ID": "c"}


@pytest.mark.parametrize(
    "wanted, writing_with, rotating, phase",
    [
        ("auto", "", "yes", "read"),  # a control plane new to a rotation reads the new key first
        ("auto", "key-1", "yes", "read"),
        ("auto", "key-2", "yes", "write"),  # it was given the writing one already: it keeps it
        ("auto", "", "no", "write"),  # one key, no rotation
        ("write", "", "yes", "write"),  # kubeadm init of a cluster alone, or the step that gives it
    ],
)
def test_which_configuration_a_control_plane_takes(wanted, writing_with, rotating, phase):
    call = f'encryption_config_phase {wanted} key-2 "{writing_with}" {rotating}'
    result = run_function(WRITE_KEY, call, **WRITE_KEY_VARIABLES)
    assert result.stdout.strip() == phase, result.stderr


def rotation_keys(directory: Path) -> Path:
    directory.mkdir()
    for name, keys in (
        ("encryption-config.yaml", ["key-2", "key-1"]),
        ("encryption-config-read.yaml", ["key-1", "key-2"]),
    ):
        listed = "".join(f"      - name: {key}\n        secret: c2VjcmV0\n" for key in keys)
        (directory / name).write_text(
            f"kind: EncryptionConfiguration\nresources:\n- providers:\n  - secretbox:\n    keys:\n{listed}"
        )
    return directory


def test_a_control_plane_reads_first_then_writes_once_given_the_key(tmp_path):
    keys = rotation_keys(tmp_path / "bundle")
    pki = tmp_path / "pki"
    env = {**WRITE_KEY_VARIABLES, "ENCRYPTION_CONFIG_FILE": str(pki / "encryption-config.yaml"),
           "SECRETS_WRITE_KEY_FILE": str(tmp_path / "state" / "secrets-write-key")}  # fmt: skip
    # As a joining control plane does it: the keys first, then the configuration it takes.
    join = "bootstrap/kubeadm-join-control-plane.sh"
    call = f"install_pki {keys} {pki} && install_encryption_config {keys} auto"
    first = run_function(join, call, **{**{k: "x" for k in JOIN_VARIABLES}, **env, "KUBERNETES_PKI_DIR": str(pki)})
    assert first.stdout.strip() == "changed", first.stderr
    assert (pki / "encryption-config.yaml").read_text() == (keys / "encryption-config-read.yaml").read_text()
    assert not (pki / "encryption-config-read.yaml").exists()
    assert (tmp_path / "state" / "secrets-write-key").read_text().strip() == "key-1"
    # The step that gives it the writing key: on standard input, as the program sends it.
    given = run_function(WRITE_KEY, f"main <{keys}/encryption-config.yaml", **env)
    assert given.returncode == 0 and "writes Secrets with key-2 once it reloads" in given.stdout
    assert (pki / "encryption-config.yaml").read_text() == (keys / "encryption-config.yaml").read_text()
    assert (tmp_path / "state" / "secrets-write-key").read_text().strip() == "key-2"
    # A later run of its join (a re-run, or any change) keeps the writing one.
    again = run_function(WRITE_KEY, f"install_encryption_config {keys} auto", **env)
    assert again.stdout.strip() == "unchanged"


def test_a_control_plane_set_up_before_the_two_phases_keeps_the_key_it_writes_with(tmp_path):
    # It runs with the configuration where the newest key writes, and has no record: nothing changes, so
    # no API server goes back to writing with the key before.
    keys = rotation_keys(tmp_path / "bundle")
    (tmp_path / "encryption-config.yaml").write_text((keys / "encryption-config.yaml").read_text())
    env = {**WRITE_KEY_VARIABLES, "ENCRYPTION_CONFIG_FILE": str(tmp_path / "encryption-config.yaml"),
           "SECRETS_WRITE_KEY_FILE": str(tmp_path / "secrets-write-key")}  # fmt: skip
    result = run_function(WRITE_KEY, f"install_encryption_config {keys} auto", **env)
    assert result.stdout.strip() == "unchanged", result.stderr
    assert (tmp_path / "secrets-write-key").read_text().strip() == "key-2"


def test_the_step_refuses_a_configuration_that_writes_with_another_key(tmp_path):
    keys = rotation_keys(tmp_path / "bundle")
    env = {**WRITE_KEY_VARIABLES, "ENCRYPTION_CONFIG_FILE": str(tmp_path / "encryption-config.yaml"),
           "SECRETS_WRITE_KEY_FILE": str(tmp_path / "secrets-write-key")}  # fmt: skip
    result = run_function(WRITE_KEY, f"main <{keys}/encryption-config-read.yaml", **env)
    assert result.returncode == 1 and "does not write with key-2" in result.stderr
    assert not (tmp_path / "encryption-config.yaml").exists()
