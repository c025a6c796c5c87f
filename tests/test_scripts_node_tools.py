"""The control plane's tools for backups (scripts/lib/node-tools.sh): etcdctl and etcdutl are copied out
of the pinned image only when the pinned version is not already there. ctr and snap are stand-ins."""

from pathlib import Path

from tests.shell import run_function, stand_in

SCRIPT = "bootstrap/install-etcd-backups.sh"
VARIABLES = {
    "BACKUP_SCRIPT": "x",
    "INTERVAL_HOURS": "6",
    "UNIT": "u",
    "TOOLS_DIR": "t",
    "ETCD_TOOLS_IMAGE": "quay.io/coreos/etcd:v3.6.14",
    "ETCD_TOOLS_VERSION": "3.6.14",
    "AWS_CLI_CHANNEL": "v2/stable",
}


def fake_etcdutl(version: str) -> str:
    return f'#!/bin/sh\n[ "$1" = version ] && printf "etcdutl version: {version}\\nAPI version: 3.6\\n"\n'


def ctr_with_image(tmp_path: Path, version: str) -> str:
    """A ctr whose image holds etcdctl and an etcdutl of `version`. As containerd's ctr does
    (cmd/ctr/commands/images/mount.go and unmount.go), `images mount` takes a lease named after the target
    and prepares a snapshot of that name, and `images unmount` unmounts, removing the lease and the
    snapshot only with --rm; what is left is in ctr-state/."""
    image_root = tmp_path / "image" / "usr" / "local" / "bin"
    image_root.mkdir(parents=True)
    (image_root / "etcdutl").write_text(fake_etcdutl(version))
    (image_root / "etcdctl").write_text("#!/bin/sh\n")
    state = tmp_path / "ctr-state"
    state.mkdir()
    body = f"""target="${{@: -1}}" held="{state}/$(basename "${{@: -1}}")"
case "$3 $4" in
  "images mount") cp -r "{tmp_path}/image/." "$target" && touch "$held.lease" "$held.snapshot" ;;
  "images unmount") rm -rf "${{target:?}}"/* && if [[ " $* " == *" --rm "* ]]; then rm -f "$held".*; fi ;;
esac"""
    return stand_in(tmp_path / "bin", "ctr", body)


def ensure(tmp_path: Path, installed: str | None, in_image: str):
    """ensure_etcd_tools with an etcdutl of `installed` (None: none) and an image holding `in_image`."""
    bin_dir = tmp_path / "tools"
    bin_dir.mkdir()
    if installed:
        (bin_dir / "etcdutl").write_text(fake_etcdutl(installed))
        (bin_dir / "etcdutl").chmod(0o755)
    path = ctr_with_image(tmp_path, in_image)
    call = f'ensure_etcd_tools quay.io/coreos/etcd:v3.6.14 3.6.14 "{bin_dir}"'
    result = run_function(SCRIPT, call, **VARIABLES, PATH=path, CALLS=str(tmp_path / "calls"))
    calls = (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() else []
    return result, calls, bin_dir


def test_tools_of_the_pinned_version_already_there_are_kept(tmp_path):
    result, calls, _ = ensure(tmp_path, installed="3.6.14", in_image="3.6.14")
    assert result.returncode == 0, result.stderr
    assert calls == []


def test_missing_or_older_tools_are_copied_out_of_the_pinned_image(tmp_path):
    result, calls, bin_dir = ensure(tmp_path, installed="3.5.16", in_image="3.6.14")
    assert result.returncode == 0, result.stderr
    assert calls[0] == "ctr -n k8s.io images pull quay.io/coreos/etcd:v3.6.14"
    assert calls[-1].startswith("ctr -n k8s.io images unmount")
    assert (bin_dir / "etcdctl").exists() and "3.6.14" in (bin_dir / "etcdutl").read_text()
    # containerd keeps no lease or snapshot of the copy, and the mount point is gone.
    assert list((tmp_path / "ctr-state").iterdir()) == []


def test_an_image_without_the_pinned_version_is_refused(tmp_path):
    result, _, _ = ensure(tmp_path, installed=None, in_image="3.6.13")
    assert result.returncode == 1 and "holds no etcdutl 3.6.14" in result.stderr
