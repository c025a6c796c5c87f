"""etcdctl and etcdutl, as the steps use them on the cluster's stacked etcd (etcd-io/etcd etcdctl/ctlv3):
`member list -w simple` prints "ID, STATUS, NAME, PEER ADDRS, CLIENT ADDRS, IS LEARNER" a member a line,
`member remove ID` removes one; `etcdutl version` prints "etcdutl version: X", `etcdutl snapshot
restore FILE --data-dir DIR` makes DIR a data directory (DIR/member). The members are the
cluster's (tests/fresh_node.py Cluster.etcd_members), with their peer addresses. `endpoint health
--cluster` prints "URL is healthy: successfully committed proposal" for each member; `get KEY
--print-value-only` prints the value the API server stored (tests/stand_ins/kubectl.py: a Secret
under /registry/secrets/NS/NAME, prefixed k8s:enc:secretbox:v1:KEY: when it was written encrypted)."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.stand_ins import world

VERSION = "3.6.14"


def etcdctl(args: list[str]) -> None:
    world.log("etcdctl", args)
    words = [a for a in args if not a.startswith("--")]
    members = world.objects("etcd-members")
    if words[:2] == ["member", "list"]:
        for member in members:
            ip = member.get("ip", "10.0.9.9")
            print(f"{member['id']}, started, {member['name']}, https://{ip}:2380, https://{ip}:2379, false")
    elif words[:2] == ["endpoint", "health"]:
        for member in members:
            print(f"https://{member.get('ip', '10.0.9.9')}:2379 is healthy: successfully committed proposal")
    elif words[:1] == ["get"]:
        sys.stdout.write(world.read("etcd-values.json", {}).get(words[1], ""))
    elif words[:2] == ["member", "remove"]:
        world.save("etcd-members", [m for m in members if m["id"] != words[2]])
        print(f"Member {words[2]} removed from cluster")
    else:
        sys.exit(f"the etcdctl stand-in does not know: {' '.join(args)}")


def etcdutl(args: list[str]) -> None:
    world.log("etcdutl", args)
    if args[:1] == ["version"]:
        print(f"etcdutl version: {VERSION}\nAPI version: 3.6")
    elif args[:2] == ["snapshot", "restore"]:  # a data directory holding the snapshot's objects
        (Path(args[args.index("--data-dir") + 1]) / "member").mkdir(parents=True)
    else:
        sys.exit(f"the etcdutl stand-in does not know: {' '.join(args)}")
