"""The shell libraries (scripts/lib/): token redaction, shared by the scripts that show kubeadm's log; the
bounded wait every step uses."""

import hashlib

import pytest

from components.cluster import script_rendering
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


# wait_until (lib/wait.sh): the waits it counts bound it, and so does the clock. Here `sleep` is a
# function that returns at once, as the fresh-node harness's clock does, and the probe counts its calls.
WAIT = """
sleep() { :; }
calls=0
# A slow probe moves bash's clock (SECONDS) by SLOW seconds, as a probe of a silent address would.
probe() { calls=$((calls + 1)); SECONDS=$((SECONDS + ${SLOW:-0})); return 1; }
rc=0
wait_until "$LIMIT" 5 "the probe did not pass" probe || rc=$?
echo "rc=$rc calls=$calls"
"""


WAIT_FOR_NODE = dict.fromkeys(
    ("NODE_NAME", "TIMEOUT_SECONDS", "NODE_INSTANCE_ID", "CLUSTER_ID", "ADMIN_KUBECONFIG", "JOIN_TOKEN_DESCRIPTION"),
    "x",
)


@pytest.mark.parametrize(
    "limit, slow, most_calls",
    [
        ("30", "0", 7),  # 0, 5, … 30 seconds of waits: seven probes, then it gives up
        ("600", "100", 6),  # each probe takes 100 s: the clock ends it (its waits alone: 121 probes)
    ],
)
def test_wait_until_gives_up_by_its_waits_or_by_the_clock(limit, slow, most_calls):
    result = run_function("bootstrap/wait-for-node.sh", WAIT, LIMIT=limit, SLOW=slow, **WAIT_FOR_NODE)
    rc, calls = (int(part.split("=")[1]) for part in result.stdout.split())
    assert rc == 1 and "the probe did not pass within" in result.stderr
    assert calls == most_calls
