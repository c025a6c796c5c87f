"""Secrets in the remote steps: what carries a token or a key takes it on stdin, logs nothing and keeps
its output secret; nothing secret appears in a plain input or output."""

import re

import yaml

from tests.graph import CP, cluster, plain_strings
from tests.mocks import join_token_for
from tests.remote import COMMAND, script_of
from tests.validators import shellcheck

TOKEN_PATTERN = re.compile(r"[a-z0-9]{6}\.[a-z0-9]{16}")


def test_token_commands_keep_their_output_secret_and_off_the_console():
    run = cluster()
    for n in (1, 2):
        token = run.named(f"kubeadm-lab-worker-{n}-join-token")
        assert {"stdout", "stderr"} <= set(token.additional_secret_outputs)
        assert token.inputs["logging"] == "none"


def test_commands_fed_secrets_keep_them_secret():
    run = cluster()
    fed = [r for r in run.of_type(COMMAND) if "stdin" in r.inputs]
    assert sorted(r.name for r in fed) == sorted(
        [f"{CP}-kubeadm-init", f"{CP}-secrets-write-key"]
        + [f"kubeadm-lab-worker-{n}-{step}" for n in (1, 2) for step in ("join-token", "join", "registered")]
    )
    for command in fed:
        assert "stdin" in command.secret_inputs, command.name
        assert {"stdout", "stderr"} <= set(command.additional_secret_outputs)
        assert command.inputs["logging"] == "none"


def test_each_worker_joins_with_its_own_token_on_stdin():
    run = cluster()
    for n in (1, 2):
        join = run.named(f"kubeadm-lab-worker-{n}-join")
        config = yaml.safe_load(join.inputs["stdin"])
        assert config["discovery"]["bootstrapToken"]["token"] == join_token_for(f"kubeadm-lab-worker-{n}-join-token")


def test_no_token_or_private_key_in_any_plain_input_or_output():
    run = cluster()
    for resource in run.resources:
        for key, value in resource.inputs.items():
            if key in resource.secret_inputs:
                continue
            for text in plain_strings(value):
                assert "PRIVATE KEY" not in text, (resource.name, key)
                assert not TOKEN_PATTERN.search(text), (resource.name, key)
    for name, value in run.outputs.items():
        if name not in run.secret_outputs:
            for text in plain_strings(value):
                assert "PRIVATE KEY" not in text and not TOKEN_PATTERN.search(text), name


def test_kubeconfig_and_ssh_key_outputs_are_secret():
    assert {"kubeconfig", "sshPrivateKey"} <= cluster().secret_outputs


def test_skipping_ca_verification_never_appears():
    run = cluster()
    for command in run.of_type(COMMAND):
        for text in plain_strings(command.inputs):
            assert "unsafe-skip-ca-verification" not in text


def test_every_rendered_remote_script_is_shellcheck_clean():
    checked = set()
    for run in (cluster(), cluster(workers=0), cluster(cni="flannel")):
        for command in run.of_type(COMMAND):
            for phase in ("create", "delete"):
                if phase in command.inputs:
                    script = script_of(command.inputs[phase])
                    if script not in checked:
                        checked.add(script)
                        assert shellcheck(script) == "", (command.name, phase)
    assert len(checked) >= 10
