"""kubectl on a new machine: what the cluster's controllers and kubelets do with what the steps apply,
on top of tests/kubectl_stand_in.py (`kubectl-objects`, which answers get/delete/label/taint from the
stored objects and evaluates jsonpath with the real kubectl). As kubectl (v1.3x, kubectl/pkg/cmd):

- The API server away: every call fails with kubectl's "The connection to the server … was refused".
  A test may make a call fail (the `kubectl` fault "fail", or "pass" to let one through first).
- `apply -f FILE|-` and `apply -k DIR` (the kustomization built by the real kubectl's `kustomize`)
  store each object and print "KIND/NAME created|configured|unchanged" (apply.go's printer). The
  controllers act at once: a Deployment's replicas and a DaemonSet's pod on each node are scheduled
  where they fit (nodeSelector, taints tolerated, not cordoned) and are Ready with an IP; a Pod runs
  to Succeeded; a Secret of type kubernetes.io/service-account-token gets its token (the token
  controller, "Manually create a long-lived API token for a ServiceAccount").
- `get KIND NAME` without jsonpath fails with NotFound when there is no such object (get.go).
- `cordon`/`uncordon` set spec.unschedulable; `annotate node NAME K=V|K-`.
- `drain NODE --timeout=T` cordons, then evicts each pod bound to the node that no DaemonSet owns
  (drain.go, with --ignore-daemonsets). An eviction a PodDisruptionBudget does not allow (policy/v1:
  the pods its selector matches that are Ready, less minAvailable, or less the pods the owners' scale
  expects minus maxUnavailable) is refused with 429 and retried every 5 s until T has passed; then drain
  fails with "global timeout reached: T" (T as Go prints a duration, 5m0s). An evicted pod's controller
  makes a new one, which runs where it fits, or stays Pending.
- The scheduler keeps trying: before each call, pods still Pending are placed where they now fit.
- `delete namespace NS` deletes it with everything in it (the namespace controller).
- `wait --for=condition=Ready node/N`: Ready while its kubelet runs (tests/stand_ins/world.py);
  `rollout status` and `wait` on workloads: the controllers above have acted.
- A Secret is stored in etcd as the API server writes it: encrypted with the first key of its
  EncryptionConfiguration (/etc/kubernetes/pki/encryption-config.yaml on the node the step runs on,
  which the API server reloads: --encryption-provider-config-automatic-reload), or in plain text.
  `create … --dry-run=client -o yaml` is the real kubectl's (it needs no server).
- `exec POD -- wget … http://IP:PORT/` prints the name of the node whose pod has IP (the smoke test's
  web server answers with its node's name); `exec … nslookup` answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.stand_ins import world

KINDS = {"Deployment": "deployments", "DaemonSet": "daemonsets", "Pod": "pods", "Secret": "secrets",
         "PodDisruptionBudget": "poddisruptionbudgets", "Namespace": "namespaces", "ConfigMap": "configmaps",
         "ServiceAccount": "serviceaccounts", "PersistentVolumeClaim": "persistentvolumeclaims",
         "StorageClass": "storageclasses", "Service": "services"}  # fmt: skip
WORDS = {"daemonset": "daemonsets", "deployment": "deployments", "configmap": "configmaps", "secret": "secrets",
         "node": "nodes", "namespace": "namespaces", "pod": "pods", "storageclass": "storageclasses",
         "poddisruptionbudget": "poddisruptionbudgets", "pdb": "poddisruptionbudgets", "csr": "csrs",
         "persistentvolumeclaim": "persistentvolumeclaims", "serviceaccount": "serviceaccounts"}  # fmt: skip
CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane"


def kind_of(word: str) -> str:
    word = word.split("/")[0].split(".")[0].lower()
    return WORDS.get(word, WORDS.get(word.rstrip("s"), word))


def refuse(message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(1)


def documents_of(args: list[str]) -> list[dict]:
    if "-k" in args:
        built = subprocess.run([os.environ["REAL_KUBECTL"], "kustomize", args[args.index("-k") + 1]],
                               capture_output=True, text=True)  # fmt: skip
        if built.returncode:
            refuse(built.stderr)
        text = built.stdout
    else:
        source = args[args.index("-f") + 1]
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
    found = []
    for document in yaml.safe_load_all(text):
        if document and document.get("kind", "").endswith("List"):
            found += document.get("items", [])
        elif document:
            found.append(document)
    return found


def fits(pod_spec: dict, node: dict, cordoned_too: bool = False) -> bool:
    """Whether the scheduler would put a pod on the node: its nodeSelector, its tolerations of the node's
    NoSchedule taints, and the node not cordoned (a DaemonSet's pods tolerate that: cordoned_too)."""
    if node.get("spec", {}).get("unschedulable") and not cordoned_too:
        return False
    labels = node["metadata"].get("labels", {})
    if any(labels.get(k) != v for k, v in (pod_spec.get("nodeSelector") or {}).items()):
        return False
    tolerated = {t.get("key") for t in pod_spec.get("tolerations") or []}
    everything = any(t.get("operator") == "Exists" and not t.get("key") for t in pod_spec.get("tolerations") or [])
    return everything or all(t["key"] in tolerated for t in node.get("spec", {}).get("taints", []))


def pod_ip(node: str, index: int) -> str:
    names = [n["metadata"]["name"] for n in world.objects("nodes")]
    return f"10.244.{names.index(node) if node in names else 250}.{index % 250 + 2}"


def new_pod(owner: dict, node: str | None, index: int) -> dict:
    template = owner["spec"]["template"]
    meta = owner["metadata"]
    pod = {"metadata": {"name": f"{meta['name']}-{index}", "namespace": meta.get("namespace", "default"),
                        "labels": template["metadata"].get("labels", {}),
                        "ownerReferences": [{"kind": owner["kind"], "name": meta["name"]}]},
           "spec": {**template["spec"], "nodeName": node or ""},
           "status": {"phase": "Running" if node else "Pending"}}  # fmt: skip
    if node:
        pod["status"]["podIP"] = pod_ip(node, index)
        pod["status"]["containerStatuses"] = [{"ready": True}]
    return pod


def schedule(owner: dict, index: int, nodes: list[dict], skip: str = "") -> dict:
    spec = owner["spec"]["template"]["spec"]
    target = next((n["metadata"]["name"] for n in nodes if n["metadata"]["name"] != skip and fits(spec, n)), None)
    return new_pod(owner, target, index)


def controllers_act(documents: list[dict]) -> None:
    """What the controllers and kubelets make of the applied objects."""
    nodes = world.objects("nodes")
    pods = world.objects("pods")
    for document in documents:
        meta = document["metadata"]
        owner = {"kind": document["kind"], "name": meta["name"]}
        mine = [p for p in pods if owner in p["metadata"].get("ownerReferences", [])]
        if document["kind"] == "DaemonSet" and not mine:
            spec = document["spec"]["template"]["spec"]
            pods += [new_pod(document, n["metadata"]["name"], i) for i, n in enumerate(nodes) if fits(spec, n, True)]
        elif document["kind"] == "Deployment" and not mine:
            pods += [schedule(document, i, nodes) for i in range(document["spec"].get("replicas", 1))]
        elif document["kind"] == "Pod":
            document.setdefault("status", {})["phase"] = "Succeeded"
        elif document["kind"] == "Secret" and document.get("type") == "kubernetes.io/service-account-token":
            document.setdefault("data", {})["token"] = "ZXlKaGJHY2lPaUpTVXpJMU5pSjkudG9rZW4uc2ln"
    world.save("pods", pods)


ENCRYPTION_CONFIG = Path("/etc/kubernetes/pki/encryption-config.yaml")


def store_in_etcd(secret: dict) -> None:
    prefix = "k8s\x00"
    if ENCRYPTION_CONFIG.exists():
        config = yaml.safe_load(ENCRYPTION_CONFIG.read_text())
        provider = config["resources"][0]["providers"][0]
        kind, settings = next(iter(provider.items()))
        if kind != "identity":
            prefix = f"k8s:enc:{kind}:v1:{settings['keys'][0]['name']}:\x00"
    meta = secret["metadata"]
    values = world.read("etcd-values.json", {})
    values[f"/registry/secrets/{meta.get('namespace', 'default')}/{meta['name']}"] = prefix + "..."
    world.save("etcd-values", values)


def apply(args: list[str]) -> None:
    documents = documents_of(args)
    controllers_act(documents)
    for secret in (d for d in documents if d["kind"] == "Secret"):
        store_in_etcd(secret)
    for document in documents:
        kind = KINDS.get(document["kind"], document["kind"].lower() + "s")
        items = world.objects(kind)
        meta = document["metadata"]
        same = [o for o in items if o["metadata"]["name"] == meta["name"]
                and o["metadata"].get("namespace") == meta.get("namespace")]  # fmt: skip
        said = "created" if not same else ("unchanged" if same[0] == document else "configured")
        world.save(kind, [o for o in items if o not in same] + [document])
        print(f"{document['kind'].lower()}/{meta['name']} {said}")


def schedule_pending() -> None:
    pods, nodes = world.objects("pods"), world.objects("nodes")
    placed = False
    for pod in pods:
        if pod["status"].get("phase") == "Pending" and pod["metadata"].get("ownerReferences"):
            target = next((n["metadata"]["name"] for n in nodes if fits(pod["spec"], n)), None)
            if target:
                pod["spec"]["nodeName"] = target
                pod["status"] = {"phase": "Running", "podIP": pod_ip(target, len(pods)),
                                 "containerStatuses": [{"ready": True}]}  # fmt: skip
                placed = True
    if placed:  # every kubectl call passes here: the file is written only when a pod moved
        world.save("pods", pods)


def delete_namespace(name: str) -> None:
    for path in world.STATE.glob("*.json"):
        items = world.read(path.name, None)
        if isinstance(items, list) and all(isinstance(i, dict) and "metadata" in i for i in items):
            kept = [i for i in items if i["metadata"].get("namespace") != name
                    and not (path.stem == "namespaces" and i["metadata"]["name"] == name)]  # fmt: skip
            world.save(path.stem, kept)
    print(f'namespace "{name}" deleted')


def set_unschedulable(name: str, value: bool) -> None:
    if not world.change_node(name, lambda node: node.setdefault("spec", {}).update(unschedulable=value)):
        refuse(f'Error from server (NotFound): nodes "{name}" not found')
    print(f"node/{name} {'cordoned' if value else 'uncordoned'}")


def disruptions_allowed(budget: dict, pods: list[dict]) -> int:
    """pkg/controller/disruption: the matched pods that are Ready, less minAvailable; or less the pods the
    owning controllers' scale expects minus maxUnavailable (whole numbers only here)."""
    matched = [p for p in pods if selects(budget, p)]
    healthy = sum(1 for p in matched if any(c.get("ready") for c in p["status"].get("containerStatuses", [])))
    if "minAvailable" in budget["spec"]:
        return healthy - int(budget["spec"]["minAvailable"])
    owners = {(o["kind"], o["name"]) for p in matched for o in p["metadata"].get("ownerReferences", [])}
    expected = sum(o["spec"].get("replicas", 1) for kind, name in owners if kind in ("Deployment",)
                   for o in world.objects(KINDS[kind]) if o["metadata"]["name"] == name) or len(matched)  # fmt: skip
    return healthy - (expected - int(budget["spec"].get("maxUnavailable", 1)))


def selects(budget: dict, pod: dict) -> bool:
    labels = pod["metadata"].get("labels", {})
    selector = budget["spec"].get("selector", {}).get("matchLabels", {})
    same_namespace = budget["metadata"].get("namespace") == pod["metadata"].get("namespace")
    return same_namespace and all(labels.get(k) == v for k, v in selector.items())


def budgets_of(pod: dict) -> list[dict]:
    return [b for b in world.objects("poddisruptionbudgets") if selects(b, pod)]


def drain(name: str, timeout: float) -> None:
    set_unschedulable(name, True)
    deadline = world.now() + timeout
    while True:
        pods = world.objects("pods")
        bound = [p for p in pods if p["spec"].get("nodeName") == name
                 and all(o["kind"] != "DaemonSet" for o in p["metadata"].get("ownerReferences", []))]  # fmt: skip
        if not bound:
            print(f"node/{name} drained")
            return
        pod = bound[0]
        meta = pod["metadata"]
        if any(disruptions_allowed(b, pods) < 1 for b in budgets_of(pod)):
            evicting = f'pods/"{meta["name"]}" -n "{meta["namespace"]}"'
            print(f"error when evicting {evicting} (will retry after 5s): Cannot evict pod as it would violate the "
                  "pod's disruption budget.", file=sys.stderr)  # fmt: skip
            if world.now() + 5 > deadline:
                refuse(f'There are pending pods in node "{name}" when an error occurred: error when evicting '
                       f"{evicting}: global timeout reached: {go_duration(timeout)}")  # fmt: skip
            world.advance(5)
            continue
        owner = meta["ownerReferences"][0]
        controller = next(o for o in world.objects(KINDS[owner["kind"]]) if o["metadata"]["name"] == owner["name"])
        replacement = schedule(controller, len(pods) + 1, world.objects("nodes"))
        world.save("pods", [p for p in pods if p is not pod] + [replacement])
        print(f"evicting pod {meta['namespace']}/{meta['name']}")


def go_duration(seconds: float) -> str:
    """A duration as Go's time.Duration prints it (%v): 300 s is 5m0s."""
    whole = int(seconds)
    hours, minutes, rest = whole // 3600, whole % 3600 // 60, whole % 60
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "") + f"{rest}s"


def seconds(value: str | None, default: float = 30) -> float:
    if not value:
        return default
    value = value.split("=", 1)[-1]
    units = {"s": 1, "m": 60, "h": 3600}
    return float(value[:-1]) * units[value[-1]] if value[-1] in units else float(value)


def option(args: list[str], flag: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def exec_in_pod(command: list[str]) -> None:
    if command[:1] == ["wget"]:
        address = command[-1].split("//")[1].split(":")[0]
        for pod in world.objects("pods"):
            if pod["status"].get("podIP") == address:
                print(pod["spec"]["nodeName"], end="")
                return
        sys.exit(1)


VALUED = ("--server", "-n", "--namespace", "--kubeconfig", "-l", "-o", "--for", "--timeout", "-f", "-k", "--type", "-p")


def main(args: list[str]) -> None:
    words = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] not in VALUED)]
    verb = words[0] if words else ""
    handled = {"apply", "cordon", "uncordon", "drain", "annotate", "exec", "rollout", "wait"}
    if verb == "delete" and kind_of(words[1]) == "namespaces":
        handled.add("delete")
    if world.api_answers():
        schedule_pending()
    if verb == "create" and "--dry-run=client" in args:
        os.execv(os.environ["REAL_KUBECTL"], ["kubectl", *args])
    if world.take_fault("kubectl") == "fail":
        world.log("kubectl", args)
        refuse(
            'Error from server (InternalError): an error on the server ("") has prevented the request from succeeding'
        )
    existence = verb == "get" and len(words) > 1 and not option(args, "-o")
    if verb not in handled and not existence:
        os.execv(world.BIN + "/kubectl-objects", ["kubectl", *args])
    world.log("kubectl", args)
    if not world.api_answers():
        refuse("The connection to the server 10.0.0.10:6443 was refused - did you specify the right host or port?")
    if verb == "get":  # the object exists (get.go prints it) or NotFound
        kind, name = kind_of(words[1]), words[2] if len(words) > 2 else None
        namespace = option(args, "-n")
        found = [o for o in world.objects(kind) if name is None or (o["metadata"]["name"] == name
                 and (namespace is None or o["metadata"].get("namespace") == namespace))]  # fmt: skip
        if name and not found:
            refuse(f'Error from server (NotFound): {kind} "{name}" not found')
        print("\n".join(o["metadata"]["name"] for o in found))
    elif verb == "apply":
        apply(args)
    elif verb == "delete":
        delete_namespace(words[2])
    elif verb in ("cordon", "uncordon"):  # NAME or node/NAME (the resource builder's ResourceNames)
        for name in words[1:]:
            set_unschedulable(name.removeprefix("node/").removeprefix("nodes/"), verb == "cordon")
    elif verb == "drain":
        drain(words[1], seconds(option(args, "--timeout"), 3600))
    elif verb == "annotate":
        name, spec = words[2], words[3]
        key, _, value = spec.partition("=")

        def annotate(node: dict) -> None:
            annotations = node["metadata"].setdefault("annotations", {})
            annotations.pop(key.rstrip("-"), None) if spec.endswith("-") else annotations.update({key: value})

        world.change_node(name, annotate)
    elif verb == "wait" and any(w.startswith("node/") for w in words):
        name = next(w for w in words if w.startswith("node/"))[len("node/") :]
        if not world.node_ready(name):
            world.advance(seconds(option(args, "--timeout")))
            refuse(f"error: timed out waiting for the condition on nodes/{name}")
    elif verb == "exec":
        exec_in_pod(args[args.index("--") + 1 :])
