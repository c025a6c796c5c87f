"""apt-get, apt-mark and gpg, as the upgrade steps use them to move a node's Kubernetes packages to
another minor (scripts/lib/kubernetes-packages.sh). pkgs.k8s.io keeps one repository per minor
(https://pkgs.k8s.io/core:/stable:/vMINOR/deb/), so `apt-get install -y -q PKG…` installs each package
at the minor of the repository /etc/apt/sources.list.d/kubernetes.list names (its newest patch, here
.0); `apt-get update` and `apt-mark hold|unhold` succeed. gpg: `--show-keys --with-colons FILE` prints
the fingerprint the downloaded key holds (as its "fpr" record: field 10) and `--dearmor -o OUT FILE`
writes the keyring. The key pkgs.k8s.io serves is the pinned one (tests/stand_ins/network.py); gpg
itself is tested for real on real keys in tests/test_scripts_apt_keys.py. The installed versions are
the cluster's record of each node (`installed`); `kubelet --version` and the Node's kubeletVersion
after a kubelet restart read them (tests/stand_ins/quiet.py)."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from tests.stand_ins import world

SOURCES = Path("/etc/apt/sources.list.d/kubernetes.list")


def installed(node: str) -> dict[str, str]:
    return world.read(f"packages-{node}.json", {})


def apt_get(args: list[str]) -> None:
    world.log("apt-get", args)
    if "install" in args:
        minor = re.search(r"/v(\d+\.\d+)/deb/", SOURCES.read_text()).group(1)
        packages = [a for a in args[args.index("install") + 1 :] if not a.startswith("-")]
        world.save(f"packages-{world.NODE}", {**installed(world.NODE), **{p: f"v{minor}.0" for p in packages}})


def apt_mark(args: list[str]) -> None:
    world.log("apt-mark", args)


def gpg(args: list[str]) -> None:
    world.log("gpg", args)
    if "--show-keys" in args:
        fingerprint = Path(args[-1]).read_text().split()[-1]
        print(f"pub:-:4096:1:{fingerprint[-16:]}:1:::-:::scESC::::::23::0:\nfpr:::::::::{fingerprint}:")
    elif "--dearmor" in args:
        shutil.copyfile(args[-1], args[args.index("-o") + 1])
    else:
        sys.exit(f"the gpg stand-in does not know: {' '.join(args)}")
