"""kubeadm, as far as the node steps rely on it (kubernetes/kubernetes cmd/kubeadm, v1.3x):

- `reset --force` (app/cmd/phases/reset/cleanupnode.go, resetConfigDir): stops the kubelet, deletes the
  contents of /etc/kubernetes/manifests, /var/lib/kubelet and the certificate directory
  /etc/kubernetes/pki, and the files admin.conf, super-admin.conf, kubelet.conf, bootstrap-kubelet.conf,
  controller-manager.conf and scheduler.conf; on a control plane (an etcd manifest) it first removes
  the node's etcd member when the API server answers, and the etcd data directory
  (phases/reset/removeetcdmember.go); where the node was etcd's only member, etcd goes with it.
- `join --config FILE` runs the preflight checks first (app/preflight/checks.go, RunJoinNodeChecks):
  /etc/kubernetes/manifests must be empty, kubelet.conf and bootstrap-kubelet.conf must not exist, and
  on a worker /etc/kubernetes/pki/ca.crt must not exist either; a control-plane join without a
  certificate key needs the shared certificates in place (app/cmd/phases/join/preflight.go:
  SharedCertificateExists: ca, sa, front-proxy-ca, etcd/ca). Discovery then reaches the API server and
  accepts its CA only if it matches a pinned hash, and the token must be one the cluster holds. On
  success the kubelet's kubeconfig is written (and on a control plane admin.conf, the static pod
  manifests and an etcd member) and the Node registers.
- A join goes through kubeadm's phases in order (app/cmd/join.go): control-plane-prepare (on a control
  plane: admin.conf and the static pods but etcd's), kubelet-start (refused while a Ready Node of the
  name exists, app/cmd/phases/join/kubelet.go; then the kubelet's kubeconfigs, its TLS bootstrap and
  its Node), control-plane-join (etcd's member, then its static pod). A Node stays Ready for
  NODE_GRACE_SECONDS after its kubelet stops (the node lifecycle controller's grace period).
- A test may make a join fail halfway (the `kubeadm` fault "kubelet-bootstrap"): it fails in
  kubelet-start after writing the kubelet's kubeconfigs, as kubeadm does when the kubelet does not come
  up ("timed out waiting for the condition"). With "connection-lost" the step's shell is killed once
  the Node is registered, before control-plane-join, as when the SSH session drops.
- `init --config FILE` (kubeadm init: app/cmd/init.go phases) needs the CA and the other shared keys
  in the certificate directory when they are given (the stack's), writes admin.conf, the static pod
  manifests, etcd's data and the kubelet's kubeconfig, registers the Node and its etcd member, and
  makes the kube-system namespace (the cluster's identity) and its own bootstrap token; its phase
  mark-control-plane (below) runs unless --skip-phases names it.
- Both write the kubelet's extra arguments to /var/lib/kubelet/kubeadm-flags.env, and the kubelet then
  registers its Node; a Node of that name that exists already is adopted as it is, with its provider id
  and addresses (the kubelet: pkg/kubelet/kubelet_node_status.go). `init` refuses a non-empty
  /var/lib/etcd unless DirAvailable--var-lib-etcd is ignored, and a restored one keeps its objects.
- `init phase mark-control-plane` labels the Node a control plane (node-role.kubernetes.io/control-plane)
  kept out of external load balancers (node.kubernetes.io/exclude-from-external-load-balancers) and
  gives it the control plane's NoSchedule taint (app/phases/markcontrolplane: the nodeRegistration's
  taints, that one by default).
- `init phase kubeconfig admin --kubeconfig-dir DIR` writes DIR/admin.conf signed by the CA in the
  certificate directory; `init phase certs etcd-healthcheck-client` writes that client certificate,
  signed by etcd's CA there (app/phases/kubeconfig, app/phases/certs: both need the CA's key).
- `token create --description D` (app/cmd/token.go) makes a bootstrap token through the API server,
  kept as the Secret bootstrap-token-<id> in kube-system, and prints it.
- `version -o short` prints VERSION.
- `init` uploads its configuration (app/cmd/phases/init/uploadconfig.go): the ClusterConfiguration
  into the kube-system ConfigMap kubeadm-config (key ClusterConfiguration) and the
  KubeletConfiguration into kubelet-config (key kubelet), which it also writes to
  /var/lib/kubelet/config.yaml; `join` and `upgrade node phase kubelet-config` write that file from the
  ConfigMap (app/phases/kubelet/config.go). It keeps the CA's key for the controller manager, which
  signs the kubelets' approved serving certificates (tests/stand_ins/quiet.py).
- `init` and `init phase control-plane apiserver` write the API server's static pod manifest with the
  ClusterConfiguration's apiServer.extraArgs as its flags, and so do a control-plane `join` and
  `upgrade node phase control-plane` from the ClusterConfiguration the cluster stores
  (app/phases/controlplane/manifests.go, getAPIServerCommand); the kubelet then starts a new
  kube-apiserver (tests/stand_ins/quiet.py: its process id changes).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import sys
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.stand_ins import world

VERSION = world.KUBERNETES_VERSION
KUBERNETES = Path("/etc/kubernetes")
PKI = KUBERNETES / "pki"
MANIFESTS = KUBERNETES / "manifests"
KUBELET_DIR = Path("/var/lib/kubelet")
ETCD_DIR = Path("/var/lib/etcd")
KUBECONFIGS = ("admin.conf", "super-admin.conf", "kubelet.conf", "bootstrap-kubelet.conf",
               "controller-manager.conf", "scheduler.conf")  # fmt: skip
SHARED_CERTIFICATES = ("ca.crt", "ca.key", "sa.key", "sa.pub", "front-proxy-ca.crt", "front-proxy-ca.key",
                       "etcd/ca.crt", "etcd/ca.key")  # fmt: skip


def fail(message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(1)


def clean_dir(path: Path) -> None:
    if path.is_dir():
        for child in path.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()


def reset() -> None:
    world.kubelet_stopped(world.NODE)
    # The member of the node it runs on, found through its etcd manifest, removed through the API server
    # (phases/reset/removeetcdmember.go: a member added before etcd.yaml was written is not found, and one
    # that cannot be reached stays, with a warning).
    members = world.objects("etcd-members")
    if (MANIFESTS / "etcd.yaml").exists() and [m["name"] for m in members] == [world.NODE]:
        world.save("etcd-members", [])  # the data directory it deletes held the whole of a one-member etcd
    elif (MANIFESTS / "etcd.yaml").exists():
        if world.api_answers():
            world.save("etcd-members", [m for m in world.objects("etcd-members") if m["name"] != world.NODE])
        else:
            print("[reset] Failed to remove etcd member: the API server did not answer", file=sys.stderr)
        shutil.rmtree(ETCD_DIR, ignore_errors=True)
    for directory in (MANIFESTS, KUBELET_DIR, PKI):
        clean_dir(directory)
    for name in KUBECONFIGS:
        (KUBERNETES / name).unlink(missing_ok=True)
    print("[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]")


def discovery_hash(ca_pem: str) -> str:
    key = x509.load_pem_x509_certificate(ca_pem.encode()).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def kubeconfig(ca_pem: str, server: str, user: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "kubernetes",
                    "cluster": {
                        "server": f"https://{server}",
                        "certificate-authority-data": base64.b64encode(ca_pem.encode()).decode(),
                    },
                }  # fmt: skip
            ],
            "users": [{"name": user, "user": {"client-certificate-data": "Y2VydA==", "client-key-data": "a2V5"}}],
        }
    )


def write(path: Path, text: str, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def preflight(control_plane: bool) -> None:
    errors = []
    if MANIFESTS.is_dir() and any(MANIFESTS.iterdir()):
        errors.append(f"[ERROR DirAvailable--etc-kubernetes-manifests]: {MANIFESTS} is not empty")
    for name in ("kubelet.conf", "bootstrap-kubelet.conf"):
        if (KUBERNETES / name).exists():
            errors.append(f"[ERROR FileAvailable--etc-kubernetes-{name.replace('.', '-')}]: "
                          f"{KUBERNETES / name} already exists")  # fmt: skip
    if not control_plane and (PKI / "ca.crt").exists():
        errors.append(f"[ERROR FileAvailable--etc-kubernetes-pki-ca.crt]: {PKI / 'ca.crt'} already exists")
    if errors:
        fail("error execution phase preflight: [preflight] Some fatal errors occurred:\n\t" + "\n\t".join(errors))
    if control_plane:
        missing = [name for name in SHARED_CERTIFICATES if not (PKI / name).is_file()]
        if missing:
            fail("error execution phase preflight: One or more conditions for hosting a new control plane instance "
                 f"is not satisfied.\n\nfailure loading certificate for {missing[0]}: couldn't load the certificate "
                 f"file {PKI / missing[0]}: open {PKI / missing[0]}: no such file or directory")  # fmt: skip


def join(config_file: str) -> None:
    config = yaml.safe_load(Path(config_file).read_text())
    token = config["discovery"]["bootstrapToken"]
    name = config["nodeRegistration"]["name"]
    control_plane = "controlPlane" in config
    preflight(control_plane)
    endpoint = token["apiServerEndpoint"]
    if not world.api_answers():
        fail(f"error execution phase preflight: couldn't validate the identity of the API Server: Get "
             f'"https://{endpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info": dial tcp {endpoint}: '
             "connect: connection refused")  # fmt: skip
    ca = world.cluster_ca()
    if (pin := discovery_hash(ca)) not in token["caCertHashes"]:
        fail("error execution phase preflight: couldn't validate the identity of the API Server: cluster CA "
             f'found in cluster-info ConfigMap is invalid: none of the public keys "{pin}" are pinned')  # fmt: skip
    if token["token"] not in world.objects("tokens"):
        fail(f"error execution phase preflight: couldn't validate the identity of the API Server: token id "
             f"\"{token['token'].split('.')[0]}\" is invalid for this cluster or it has expired")  # fmt: skip
    fault = world.take_fault("kubeadm")
    # control-plane-prepare: the control plane's kubeconfigs and its static pods but etcd's.
    if control_plane:
        write(KUBERNETES / "admin.conf", kubeconfig(ca, endpoint, "kubernetes-admin"))
        for manifest in ("kube-controller-manager", "kube-scheduler"):
            write(MANIFESTS / f"{manifest}.yaml", f"kind: Pod\nmetadata:\n  name: {manifest}-{name}\n")
        write_api_server_manifest({"ClusterConfiguration": stored_cluster_configuration()}, name)
    else:
        write(PKI / "ca.crt", ca, 0o644)
    # kubelet-start: refused while a Ready Node of the name exists; the kubelet's kubeconfigs, then its
    # TLS bootstrap, then its Node.
    if world.node_ready(name):
        fail(f'error execution phase kubelet-start: a Node with name "{name}" and status "Ready" already '
             "exists in the cluster. You must delete the existing Node or change the name of this new joining "
             "Node")  # fmt: skip
    write(KUBERNETES / "bootstrap-kubelet.conf", kubeconfig(ca, endpoint, "tls-bootstrap-token-user"))
    write(KUBERNETES / "kubelet.conf", kubeconfig(ca, endpoint, f"system:node:{name}"))
    write_kubelet_config()
    if fault == "kubelet-bootstrap":
        fail("error execution phase kubelet-start: timed out waiting for the condition")
    register(name, kubelet_flags(config["nodeRegistration"]), control_plane=False)
    if fault == "connection-lost":  # the SSH session drops here: the Node is registered, nothing more
        os.kill(os.getppid(), signal.SIGKILL)
        os._exit(137)
    # control-plane-join: etcd's member, then its static pod.
    if control_plane:
        register(name, {"node-ip": config["controlPlane"]["localAPIEndpoint"]["advertiseAddress"]}, True)
        (ETCD_DIR / "member").mkdir(parents=True, exist_ok=True)
        write(MANIFESTS / "etcd.yaml", f"kind: Pod\nmetadata:\n  name: etcd-{name}\n")
    print("This node has joined the cluster")


def write_api_server_manifest(documents: dict[str, dict], node: str) -> None:
    extra = documents["ClusterConfiguration"].get("apiServer", {}).get("extraArgs", [])
    flags = "".join(f"    - --{arg['name']}={arg['value']}\n" for arg in extra)
    write(MANIFESTS / "kube-apiserver.yaml", f"kind: Pod\nmetadata:\n  name: kube-apiserver-{node}\nspec:\n"
          f"  containers:\n  - command:\n    - kube-apiserver\n{flags}")  # fmt: skip
    world.api_server_started(node)


def stored_cluster_configuration() -> dict:
    found = [m for m in world.objects("configmaps") if m["metadata"]["name"] == "kubeadm-config"]
    if not found:
        fail('error execution phase control-plane: configmaps "kubeadm-config" not found')
    return yaml.safe_load(found[0]["data"]["ClusterConfiguration"])


def upload_config(documents: dict[str, dict]) -> None:
    maps = [m for m in world.objects("configmaps") if m["metadata"]["name"] not in ("kubeadm-config", "kubelet-config")]
    cluster = {"kubernetesVersion": VERSION, **documents["ClusterConfiguration"]}
    for name, key, document in (("kubeadm-config", "ClusterConfiguration", cluster),
                                ("kubelet-config", "kubelet", documents.get("KubeletConfiguration", {}))):  # fmt: skip
        maps.append({"metadata": {"name": name, "namespace": "kube-system"}, "data": {key: yaml.safe_dump(document)}})
    world.save("configmaps", maps)


def write_kubelet_config() -> None:
    """The cluster's KubeletConfiguration, from the kubelet-config ConfigMap, into the kubelet's file."""
    found = [m for m in world.objects("configmaps") if m["metadata"]["name"] == "kubelet-config"]
    if not found:
        fail('error execution phase kubelet-config: configmaps "kubelet-config" not found')
    write(KUBELET_DIR / "config.yaml", found[0]["data"]["kubelet"], 0o644)


def option(args: list[str], flag: str) -> str | None:
    return args[args.index(flag) + 1] if flag in args else None


def config_documents(config_file: str) -> dict[str, dict]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all(Path(config_file).read_text()) if doc}


def needs_keys(*names: str) -> None:
    for name in names:
        if not (PKI / name).is_file():
            fail(f"couldn't load the certificate authority {PKI / name}: open {PKI / name}: no such file or directory")


def new_token(description: str) -> str:
    if not world.api_answers():
        fail("failed to create or update bootstrap token: Post \"https://10.0.0.10:6443/api/v1/namespaces/kube-system/"
             'secrets": dial tcp 10.0.0.10:6443: connect: connection refused')  # fmt: skip
    token = hashlib.sha256(f"{description}{len(world.objects('tokens'))}".encode()).hexdigest()
    token = f"{token[:6]}.{token[6:22]}"
    world.save("tokens", [*world.objects("tokens"), token])
    secret = {"metadata": {"namespace": "kube-system", "name": f"bootstrap-token-{token[:6]}"},
              "type": "bootstrap.kubernetes.io/token",
              "data": {"description": base64.b64encode(description.encode()).decode()}}  # fmt: skip
    world.save("secrets", [*world.objects("secrets"), secret])
    return token


def kubelet_flags(registration: dict) -> dict[str, str]:
    """The kubelet's extra arguments, which kubeadm writes to /var/lib/kubelet/kubeadm-flags.env."""
    flags = {arg["name"]: arg["value"] for arg in registration.get("kubeletExtraArgs", [])}
    text = " ".join(f"--{name}={value}" for name, value in flags.items())
    write(KUBELET_DIR / "kubeadm-flags.env", f'KUBELET_KUBEADM_ARGS="{text}"\n', 0o644)
    return flags


def register(name: str, flags: dict[str, str], control_plane: bool) -> None:
    """The kubelet registers its Node; one of that name that exists already is kept as it is (the kubelet
    adopts it: pkg/kubelet/kubelet_node_status.go, tryRegisterWithAPIServer)."""
    world.register_node(name, flags)
    if control_plane:
        members = [m for m in world.objects("etcd-members") if m["name"] != name]
        world.save("etcd-members", [*members, {"id": f"m-{name}", "name": name, "ip": flags.get("node-ip", "")}])


def mark_control_plane(name: str, registration: dict) -> None:
    """The control plane's labels, and its taints: the nodeRegistration's, or the NoSchedule one."""
    world.label_node(name, "node-role.kubernetes.io/control-plane", "")
    world.label_node(name, "node.kubernetes.io/exclude-from-external-load-balancers", "")
    taints = registration.get("taints", [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}])
    for taint in taints:
        world.taint_node(name, {"value": "", **taint})


def init(config_file: str, ignored: str) -> None:
    documents = config_documents(config_file)
    registration = documents["InitConfiguration"]["nodeRegistration"]
    node = registration["name"]
    ip = documents["InitConfiguration"]["localAPIEndpoint"]["advertiseAddress"]
    endpoint = documents["ClusterConfiguration"].get("controlPlaneEndpoint", f"{ip}:6443")
    if MANIFESTS.is_dir() and any(MANIFESTS.iterdir()):
        fail("[ERROR DirAvailable--etc-kubernetes-manifests]: /etc/kubernetes/manifests is not empty")
    if ETCD_DIR.is_dir() and any(ETCD_DIR.iterdir()) and "DirAvailable--var-lib-etcd" not in ignored:
        fail("[ERROR DirAvailable--var-lib-etcd]: /var/lib/etcd is not empty")
    needs_keys("ca.crt", "ca.key")
    ca = (PKI / "ca.crt").read_text()
    (world.STATE / "ca.crt").write_text(ca)
    (world.STATE / "ca.key").write_text((PKI / "ca.key").read_text())
    for manifest in ("etcd", "kube-controller-manager", "kube-scheduler"):
        write(MANIFESTS / f"{manifest}.yaml", f"kind: Pod\nmetadata:\n  name: {manifest}-{node}\n")
    write_api_server_manifest(documents, node)
    write(KUBERNETES / "admin.conf", kubeconfig(ca, endpoint, "kubernetes-admin"))
    write(KUBERNETES / "kubelet.conf", kubeconfig(ca, endpoint, f"system:node:{node}"))
    write(PKI / "apiserver.crt", "apiserver\n", 0o644)
    restored = (ETCD_DIR / "member").is_dir()  # a restored data directory holds the cluster's objects
    (ETCD_DIR / "member").mkdir(parents=True, exist_ok=True)
    upload_config(documents)
    write_kubelet_config()
    register(node, kubelet_flags(registration), control_plane=True)
    if "mark-control-plane" not in ignored:
        mark_control_plane(node, registration)
    if not restored:
        world.save("namespaces", [{"metadata": {"name": "kube-system", "uid": "3f1c2a9e-6b1d-4c55-9f0e-2d7a51c0b8aa"}}])
    print(f"Your Kubernetes control-plane has initialized successfully! ({new_token('kubeadm init')[:6]}...)")


def init_phase(args: list[str]) -> None:
    if args[:2] == ["kubeconfig", "admin"]:
        needs_keys("ca.crt", "ca.key")
        directory = Path(option(args, "--kubeconfig-dir") or KUBERNETES)
        endpoint = config_documents(option(args, "--config"))["ClusterConfiguration"].get("controlPlaneEndpoint", "")
        write(directory / "admin.conf", kubeconfig((PKI / "ca.crt").read_text(), endpoint, "kubernetes-admin"))
    elif args[:2] == ["certs", "etcd-healthcheck-client"]:
        needs_keys("etcd/ca.crt", "etcd/ca.key")
        write(PKI / "etcd/healthcheck-client.crt", "healthcheck-client\n", 0o644)
        write(PKI / "etcd/healthcheck-client.key", "healthcheck-client-key\n")
    elif args[:1] == ["mark-control-plane"]:
        registration = config_documents(option(args, "--config"))["InitConfiguration"]["nodeRegistration"]
        mark_control_plane(registration["name"], registration)
    elif args[:1] == ["upload-config"]:
        upload_config(config_documents(option(args, "--config")))
    elif args[:2] == ["control-plane", "apiserver"]:
        documents = config_documents(option(args, "--config"))
        write_api_server_manifest(documents, documents["InitConfiguration"]["nodeRegistration"]["name"])
    else:
        fail(f"the kubeadm stand-in does not know: init phase {' '.join(args)}")


def main(args: list[str]) -> None:
    world.log("kubeadm", args)
    if args[:1] == ["version"]:
        print(VERSION)
    elif args[:1] == ["reset"]:
        reset()
    elif args[:1] == ["join"]:
        join(option(args, "--config"))
    elif args[:2] == ["init", "phase"]:
        init_phase(args[2:])
    elif args[:1] == ["init"]:
        init(
            option(args, "--config"), " ".join(a for a in args if a.startswith(("--ignore-preflight", "--skip-phases")))
        )
    elif args[:4] == ["upgrade", "node", "phase", "control-plane"]:  # the manifests from the stored configuration
        write_api_server_manifest({"ClusterConfiguration": stored_cluster_configuration()}, world.NODE)
    elif args[:4] == ["upgrade", "node", "phase", "kubelet-config"]:
        write_kubelet_config()
    elif args[:2] == ["token", "create"]:
        print(new_token(option(args, "--description") or ""))
    else:
        fail(f"the kubeadm stand-in does not know: {' '.join(args)}")
