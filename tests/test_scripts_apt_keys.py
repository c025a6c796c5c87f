"""The apt signing keys: a node installs a repository's key only if the one key in the download is the
one pinned in components/versions.py. Checked with real gpg on keys made for the test."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from components import versions
from components.cluster import cloud_init
from components.facts import WORKER
from tests.shell import run_function

pytestmark = pytest.mark.needs("gpg")


def gpg(home: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, "GNUPGHOME": str(home)},
        check=True,
    )
    return result.stdout


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """Two signing keys, each exported alone (armored), and their fingerprints."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    made = {}
    for name in ("repository", "stranger"):
        gpg(home, "--quick-gen-key", f"{name} <{name}@example.org>", "ed25519", "sign", "0")
        listing = gpg(home, "--with-colons", "--list-keys", f"{name}@example.org")
        fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))
        made[name] = (gpg(home, "--armor", "--export", fingerprint), fingerprint)
    yield made
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env={**os.environ, "GNUPGHOME": str(home)}, check=False)


def verify(tmp_path: Path, key_text: str, pinned: str) -> subprocess.CompletedProcess:
    key_file = tmp_path / "Release.key"
    key_file.write_text(key_text)
    home = tmp_path / "verify-home"
    home.mkdir(mode=0o700)
    call = f'verify_key_fingerprint "{key_file}" {pinned} https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key'
    return run_function("node-prep/install-kubernetes.sh", call, GNUPGHOME=str(home), KUBERNETES_MINOR="1.36")


def test_the_pinned_key_is_accepted(tmp_path, keys):
    text, fingerprint = keys["repository"]
    assert verify(tmp_path, text, fingerprint).returncode == 0


def test_another_key_is_refused_naming_both_fingerprints(tmp_path, keys):
    (_, pinned), (text, other) = keys["repository"], keys["stranger"]
    result = verify(tmp_path, text, pinned)
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert (
        f"refusing the apt key from https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key: it holds {other}"
        in message
    )
    assert f"not the pinned {pinned}" in message and "nothing was installed" in message


def test_the_pinned_key_with_another_beside_it_is_refused(tmp_path, keys):
    (text, pinned), (stranger, _) = keys["repository"], keys["stranger"]
    assert verify(tmp_path, text + stranger, pinned).returncode == 1


def test_a_download_that_is_no_key_is_refused(tmp_path, keys):
    _, pinned = keys["repository"]
    result = verify(tmp_path, "<html>503 Service Unavailable</html>\n", pinned)
    assert result.returncode == 1 and "it holds no key" in result.stderr


def test_the_nodes_get_the_pinned_fingerprints():
    document = yaml.safe_load(cloud_init.render_user_data(WORKER, "1.36", "lab"))
    scripts = {entry["path"].rsplit("/", 1)[1]: entry["content"] for entry in document["write_files"]}
    assert f"\nDOCKER_KEY_FINGERPRINT={versions.DOCKER_APT_KEY.fingerprint}\n" in scripts["install-containerd.sh"]
    assert (
        f"\nKUBERNETES_KEY_FINGERPRINT={versions.KUBERNETES_APT_KEY.fingerprint}\n" in scripts["install-kubernetes.sh"]
    )
    for key in (versions.DOCKER_APT_KEY, versions.KUBERNETES_APT_KEY):
        assert len(key.fingerprint) == 40 and int(key.fingerprint, 16) >= 0 and key.fingerprint.isupper()
