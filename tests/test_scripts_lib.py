"""The shell libraries (scripts/lib/): token redaction, shared by the scripts that show kubeadm's log."""

import hashlib

import pytest

from components import script_rendering
from tests.shell import run_function

LOG = "[bootstrap-token] Using token: 7f3k2a.0123456789abcdef\nkubeadm join x:6443 --token 7f3k2a.0123456789abcdef\n"


@pytest.mark.parametrize("script", ["bootstrap/kubeadm-init.sh", "bootstrap/kubeadm-join.sh"])
def test_kubeadm_output_is_shown_with_tokens_redacted(script):
    variables = {name: "x" for name in script_rendering.required_variables(script)}
    result = run_function(script, f"printf '%s' {LOG!r} | redact_tokens", **variables)
    assert result.returncode == 0, result.stderr
    assert "0123456789abcdef" not in result.stdout
    assert result.stdout.count("<redacted-token>") == 2


def test_redaction_has_one_home():
    for script in ("bootstrap/kubeadm-init.sh", "bootstrap/kubeadm-join.sh"):
        text = script_rendering.script_text(script)
        assert "redact_tokens() {" not in text and "lib/redact-tokens.sh" in text


def test_a_file_with_the_pinned_hash_passes_and_a_tampered_one_is_refused(tmp_path):
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("kind: DaemonSet\n")
    pinned = hashlib.sha256(manifest.read_bytes()).hexdigest()
    env = {"CNI": "calico", "MANIFEST_URL": "u", "MANIFEST_SHA256": pinned, "POD_CIDR": "p", "ADMIN_KUBECONFIG": "k"}
    call = f'verify_sha256 "{manifest}" {pinned} https://example.org/manifest.yaml'
    assert run_function("bootstrap/install-cni.sh", call, **env).returncode == 0
    manifest.write_text("kind: DaemonSet\nhostPID: true\n")
    refused = run_function("bootstrap/install-cni.sh", call, **env)
    assert refused.returncode == 1
    actual = hashlib.sha256(manifest.read_bytes()).hexdigest()
    assert f"refusing https://example.org/manifest.yaml: its sha256 is {actual}, not the pinned {pinned}" in " ".join(
        refused.stderr.split()
    )
