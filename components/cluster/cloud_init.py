"""The cloud-init user data that prepares a node for kubeadm.

cloud-init writes the kernel configuration files and the scripts from scripts/node-prep/, then runs
the scripts in order. A failing script stops the chain and marks cloud-init as failed, which the
bootstrap's first command reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from components import versions
from components.cluster.script_rendering import render
from components.facts import CONTROL_PLANE, NODE_PREP_DIR, ROLES

EC2_USER_DATA_LIMIT_BYTES = 16 * 1024

KERNEL_MODULES = ("overlay", "br_netfilter")
SYSCTL_SETTINGS = {
    "net.bridge.bridge-nf-call-iptables": 1,
    "net.bridge.bridge-nf-call-ip6tables": 1,
    "net.ipv4.ip_forward": 1,
}


class _LiteralStr(str):
    """A string YAML writes as a literal block, so scripts stay readable in the user data."""


def _literal_representer(dumper: yaml.SafeDumper, text: _LiteralStr) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(text), style="|")


# libyaml's emitter when PyYAML has it (its wheels do): the same text, several times faster.
class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    pass


_Dumper.add_representer(_LiteralStr, _literal_representer)


def preparation_steps(role: str, kubernetes_minor: str) -> list[tuple[str, str]]:
    """(script name, rendered text) of each preparation step for a role, in the order they run."""
    steps = [
        ("prepare-node.sh", render("node-prep/prepare-node.sh")),
        ("install-containerd.sh", render("node-prep/install-containerd.sh", CONTAINERD_LINE=versions.CONTAINERD_LINE)),
        ("install-kubernetes.sh", render("node-prep/install-kubernetes.sh", KUBERNETES_MINOR=kubernetes_minor)),
    ]
    if role == CONTROL_PLANE:
        steps.append(("prepull-images.sh", render("node-prep/prepull-images.sh")))
    return steps


@dataclass(frozen=True)
class HostKey:
    """The node's SSH host key (ED25519, OpenSSH formats), from the stack."""

    private_openssh: str
    public_openssh: str


def render_user_data(role: str, kubernetes_minor: str, cluster_name: str, host_key: HostKey | None = None) -> str:
    """The `#cloud-config` document for a node of `role`; with `host_key`, sshd serves that key alone, so
    the bootstrap can pin it. The document then holds a private key: keep it secret."""
    if role not in ROLES:
        raise ValueError(f"unknown node role {role!r}; expected one of {ROLES}")
    steps = preparation_steps(role, kubernetes_minor)
    document = {
        "write_files": [
            _file("/etc/modules-load.d/kubernetes.conf", "".join(f"{m}\n" for m in KERNEL_MODULES)),
            _file("/etc/sysctl.d/99-kubernetes.conf", "".join(f"{k} = {v}\n" for k, v in SYSCTL_SETTINGS.items())),
            *(_file(f"{NODE_PREP_DIR}/{name}", text, permissions="0755") for name, text in steps),
        ],
        # One command, so that the first failing step stops the rest and fails cloud-init.
        "runcmd": [" && ".join(f"{NODE_PREP_DIR}/{name}" for name, _ in steps)],
    }
    if host_key is not None:
        document |= {
            "ssh_deletekeys": True,
            "ssh_genkeytypes": ["ed25519"],  # given, so none is generated: sshd serves this key alone
            "ssh_keys": {
                "ed25519_private": _LiteralStr(host_key.private_openssh),
                "ed25519_public": host_key.public_openssh.strip(),
            },
        }
    header = f"#cloud-config\n# {cluster_name} {role}: node preparation for kubeadm (Kubernetes {kubernetes_minor})\n"
    user_data = header + to_yaml(document)
    if len(user_data.encode()) > EC2_USER_DATA_LIMIT_BYTES:
        raise ValueError(f"{role} user data is {len(user_data.encode())} bytes, over EC2's 16 KiB limit")
    return user_data


def to_yaml(document: dict, dumper: type[yaml.SafeDumper] = _Dumper) -> str:
    """The user data's YAML: scripts as literal blocks, keys in their order, no line folded."""
    return yaml.dump(document, Dumper=dumper, sort_keys=False, width=1000)


def _file(path: str, content: str, permissions: str = "0644") -> dict[str, str]:
    return {"path": path, "owner": "root:root", "permissions": permissions, "content": _LiteralStr(content)}
