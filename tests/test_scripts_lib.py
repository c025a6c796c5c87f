"""The shell libraries (scripts/lib/): token redaction, shared by the scripts that show kubeadm's log."""

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
