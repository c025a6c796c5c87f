"""The scripts make runs on your machine (scripts/local/), run for real with bash and Python. A
stand-in `pulumi` records what it is asked and answers as the CLI would; a local HTTP server stands
in for AWS STS and for the public-address service. Nothing else is faked."""

from __future__ import annotations

import http.server
import json
import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.harness import ROOT

LOCAL = ROOT / "scripts" / "local"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def fake_command(bin_dir: Path, name: str, body: str) -> None:
    """A command on PATH that logs its arguments to $LOG and runs `body` (a bash case on "$*")."""
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text(f'#!/usr/bin/env bash\necho "{name} $*" >>"$LOG"\n{body}\n')
    path.chmod(0o755)


def run(script: str, *args: str, cwd: Path, bin_dir: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {"PATH": f"{bin_dir}:{SYSTEM_PATH}", "LOG": str(cwd / "calls.log"), "HOME": str(cwd), **(env or {})}
    command = [sys.executable, str(LOCAL / script)] if script.endswith(".py") else ["bash", str(LOCAL / script)]
    return subprocess.run([*command, *args], capture_output=True, text=True, cwd=cwd, env=environment)


def calls(cwd: Path) -> list[str]:
    log = cwd / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


class Answer(http.server.BaseHTTPRequestHandler):
    """Answers every request with the server's `status` and `body`."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.server.requests.append(self.rfile.read(length).decode())
        self.send_response(self.server.status)
        self.send_header("Content-Type", "text/xml")
        self.end_headers()
        self.wfile.write(self.server.body.encode())

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    servers = []

    def start(body: str, status: int = 200) -> str:
        server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
        server.body, server.status, server.requests = body, status, []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- check-tools.sh ----------------------------------------------------------------------------------


def test_missing_pulumi_cli_is_named_with_how_to_get_it(tmp_path):
    bin_dir = tmp_path / "bin"
    fake_command(bin_dir, "python3", f'exec {sys.executable} "$@"')
    result = subprocess.run(
        ["bash", str(LOCAL / "check-tools.sh")], capture_output=True, text=True, env={"PATH": f"{bin_dir}:/bin"}
    )
    assert result.returncode == 1
    assert "missing: the Pulumi CLI, 3.200.0 or newer: curl -fsSL https://get.pulumi.com | sh" in result.stderr
    assert "Nothing was created" in result.stderr


@pytest.mark.parametrize("version, ok", [("v3.150.2", False), ("v3.200.0", True), ("v3.272.0", True), ("", False)])
def test_pulumi_cli_older_than_the_sdk_is_refused(tmp_path, version, ok):
    bin_dir = tmp_path / "bin"
    fake_command(bin_dir, "pulumi", f'echo "{version}"')
    result = run("check-tools.sh", cwd=tmp_path, bin_dir=bin_dir, env={"PYTHON": sys.executable})
    assert (result.returncode == 0) is ok, result.stderr
    if not ok:
        assert "a Pulumi CLI 3.200.0 or newer" in result.stderr and "pulumi self-update" in result.stderr


def test_python_too_old_or_without_venv_is_named(tmp_path):
    bin_dir = tmp_path / "bin"
    fake_command(bin_dir, "pulumi", 'echo "v3.272.0"')
    fake_command(bin_dir, "oldpython", 'case "$*" in -V) echo "Python 3.8.10" ;; *) exit 1 ;; esac')
    result = run("check-tools.sh", cwd=tmp_path, bin_dir=bin_dir, env={"PYTHON": "oldpython"})
    assert result.returncode == 1 and "Python 3.10 or newer; oldpython is Python 3.8.10" in result.stderr
    fake_command(bin_dir, "novenv", 'case "$*" in *ensurepip*) exit 1 ;; *) exit 0 ;; esac')
    result = run("check-tools.sh", cwd=tmp_path, bin_dir=bin_dir, env={"PYTHON": "novenv"})
    assert result.returncode == 1 and "apt install python3-venv" in result.stderr


def test_the_minimum_cli_is_the_sdk_line_of_requirements():
    minimum = re.search(r"MIN_PULUMI_VERSION=(\S+)", (LOCAL / "check-tools.sh").read_text()).group(1)
    sdk = re.search(r"^pulumi>=([\d.]+)", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert minimum == f"{sdk}.0"


# --- check-aws.py ------------------------------------------------------------------------------------

IDENTITY = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
    "<Arn>arn:aws:iam::123456789012:user/lab</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>"
    "</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>"
)
REFUSED = (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    "<Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message>"
    "</Error><RequestId>1</RequestId></ErrorResponse>"
)
KEYS = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example"}


def check_aws(tmp_path: Path, stack_region: str | None = "ap-south-1", **env: str) -> subprocess.CompletedProcess:
    """check-aws.py in an environment with no AWS configuration but what the test gives."""
    if stack_region:
        (tmp_path / "Pulumi.dev.yaml").write_text(f"config:\n  aws:region: {stack_region}\n")
    no_configuration = {
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return run(
        "check-aws.py", "Pulumi.dev.yaml", cwd=tmp_path, bin_dir=tmp_path / "bin", env={**no_configuration, **env}
    )


def test_working_credentials_name_the_account_and_the_stacks_region(tmp_path, http_server):
    result = check_aws(tmp_path, AWS_ENDPOINT_URL_STS=http_server(IDENTITY), **KEYS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "AWS account 123456789012 as arn:aws:iam::123456789012:user/lab; "
        "the stack builds in ap-south-1 (aws:region in Pulumi.dev.yaml)."
    )


def test_without_a_stack_region_the_environments_is_used(tmp_path, http_server):
    result = check_aws(tmp_path, None, AWS_REGION="eu-west-1", AWS_ENDPOINT_URL_STS=http_server(IDENTITY), **KEYS)
    assert "builds in eu-west-1 (your AWS environment or profile)" in result.stdout


def test_no_credentials_says_how_to_provide_them(tmp_path):
    result = check_aws(tmp_path)
    assert result.returncode == 1
    assert "No AWS credentials found. Set AWS_PROFILE" in result.stderr and "Nothing was created." in result.stderr


def test_refused_credentials_show_awss_reason(tmp_path, http_server):
    result = check_aws(tmp_path, AWS_ENDPOINT_URL_STS=http_server(REFUSED, status=403), **KEYS)
    assert result.returncode == 1
    assert "AWS refused the credentials: InvalidClientTokenId: The security token" in result.stderr


def test_unreachable_sts_is_reported_as_a_network_problem(tmp_path):
    result = check_aws(tmp_path, AWS_ENDPOINT_URL_STS=closed_port_url(), **KEYS)
    assert result.returncode == 1 and "Could not reach AWS STS" in result.stderr


def test_no_region_anywhere_names_the_command_for_that_stack(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  kubeadm-aws:workerCount: 2\n")
    result = check_aws(tmp_path, None, **KEYS)
    assert result.returncode == 1
    assert "Set the stack's (any region): pulumi config set aws:region ap-south-1 --stack dev; then make up" in (
        result.stderr
    )


def test_no_region_for_a_stack_not_created_yet_says_to_create_it_first(tmp_path):
    result = check_aws(tmp_path, None, **KEYS)
    assert result.returncode == 1
    assert (
        "pulumi stack init dev --secrets-provider passphrase && pulumi config set aws:region ap-south-1 --stack dev"
        "; then make up STACK=dev" in result.stderr
    )


def test_an_unknown_profile_is_named(tmp_path):
    result = check_aws(tmp_path, AWS_PROFILE="nosuchprofile")
    assert result.returncode == 1 and "nosuchprofile" in result.stderr and "AWS_PROFILE" in result.stderr


# --- allowed-cidrs.sh --------------------------------------------------------------------------------


def allowed_cidrs(tmp_path: Path, service: str, *args: str) -> subprocess.CompletedProcess:
    fake_command(tmp_path / "bin", "pulumi", "true")
    environment = {"ADDRESS_SERVICE": service}
    return run("allowed-cidrs.sh", "dev", *args, cwd=tmp_path, bin_dir=tmp_path / "bin", env=environment)


def test_first_run_sets_this_machines_address(tmp_path, http_server):
    result = allowed_cidrs(tmp_path, http_server("203.0.113.7\n"))
    assert result.returncode == 0, result.stderr
    assert calls(tmp_path) == ["pulumi config set --path allowedCidrs[0] 203.0.113.7/32 --stack dev"]


@pytest.mark.parametrize("answer", ["<html>Proxy login</html>", "203.0.113.256", "", "2001:db8::1"])
def test_an_answer_that_is_not_an_address_stops_without_writing(tmp_path, http_server, answer):
    result = allowed_cidrs(tmp_path, http_server(answer))
    assert result.returncode == 1
    assert "not an IPv4 address" in result.stderr and "pulumi config set --path 'allowedCidrs[0]'" in result.stderr
    assert calls(tmp_path) == []


def test_no_route_to_the_address_service_stops_without_writing(tmp_path):
    result = allowed_cidrs(tmp_path, closed_port_url())
    assert result.returncode == 1 and "could not ask" in result.stderr and "nothing was changed" in result.stderr
    assert calls(tmp_path) == []


def test_a_value_already_set_is_kept_unless_replaced(tmp_path, http_server):
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  kubeadm-aws:allowedCidrs:\n    - 198.51.100.0/24\n")
    service = http_server("203.0.113.9")
    assert allowed_cidrs(tmp_path, service).returncode == 0 and calls(tmp_path) == []
    assert allowed_cidrs(tmp_path, service, "--replace").returncode == 0
    assert calls(tmp_path) == ["pulumi config set --path allowedCidrs[0] 203.0.113.9/32 --stack dev"]


# --- select-stack.sh ---------------------------------------------------------------------------------


def test_a_new_stack_leaves_the_tracked_sample_clean(tmp_path):
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: ap-south-1\n")
    subprocess.run([*git, "add", "Pulumi.dev.yaml"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "sample"], cwd=tmp_path, check=True)
    pulumi = (
        'case "$*" in "stack select"*) exit 255 ;; '
        '"stack init"*) echo "encryptionsalt: v1:abc" >>Pulumi.dev.yaml ;; esac'
    )
    fake_command(tmp_path / "bin", "pulumi", pulumi)
    result = run("select-stack.sh", "dev", cwd=tmp_path, bin_dir=tmp_path / "bin")
    assert result.returncode == 0, result.stderr
    assert calls(tmp_path) == ["pulumi stack select dev", "pulumi stack init dev --secrets-provider passphrase"]
    assert "encryptionsalt" in (tmp_path / "Pulumi.dev.yaml").read_text()
    status = ["git", "status", "--porcelain", "--", "Pulumi.dev.yaml"]
    assert subprocess.run(status, cwd=tmp_path, capture_output=True, text=True).stdout == ""
    assert "--no-skip-worktree" in result.stdout


# --- kubeconfig.sh, ssh-node.sh, rerun-step.sh -------------------------------------------------------


def test_kubeconfig_is_written_for_the_user_alone(tmp_path):
    fake_command(tmp_path / "bin", "pulumi", 'printf "apiVersion: v1\\nkind: Config\\n"')
    result = run("kubeconfig.sh", "dev", cwd=tmp_path, bin_dir=tmp_path / "bin")
    assert result.returncode == 0, result.stderr
    written = tmp_path / "kubeconfig"
    assert result.stdout == f"export KUBECONFIG={written}\n"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600 and written.read_text().startswith("apiVersion: v1")
    assert calls(tmp_path) == ["pulumi stack output kubeconfig --show-secrets --stack dev"]


# What the Pulumi CLI prints when it cannot answer (pkg/cmd/pulumi/stack/stack_output.go; the passphrase
# secrets manager, pkg/secrets/passphrase/manager.go, without a terminal to ask on).
NO_OUTPUT = "error: current stack does not have output property '{}'"
NO_PASSPHRASE = (
    "error: getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
    "PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
)
NO_STACK = "error: no stack named 'dev' found"


def failing_pulumi(bin_dir: Path, message: str) -> Path:
    fake_command(bin_dir, "pulumi", f"echo {shlex.quote(message)} >&2; exit 255")
    return bin_dir


@pytest.mark.parametrize(
    "message, told",
    [
        (NO_OUTPUT.format("kubeconfig"), "stack dev has no kubeconfig output yet: run make up STACK=dev"),
        (NO_PASSPHRASE, "cannot decrypt stack dev: set PULUMI_CONFIG_PASSPHRASE"),
        (NO_STACK, "there is no stack dev here: make up STACK=dev creates it"),
        ("error: could not read the state: EOF", "error: could not read the state: EOF"),
    ],
    ids=["no-output", "no-passphrase", "no-stack", "other"],
)
def test_no_kubeconfig_says_why_and_leaves_no_file(tmp_path, message, told):
    result = run("kubeconfig.sh", "dev", cwd=tmp_path, bin_dir=failing_pulumi(tmp_path / "bin", message))
    assert result.returncode == 1 and told in result.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("kubeconfig")] == []


@pytest.mark.parametrize(
    "script, args, message, told",
    [
        ("ssh-node.sh", ["kubeadm-lab-worker-1"], NO_OUTPUT.format("sshCommands"), "has no sshCommands output yet"),
        ("ssh-node.sh", [], NO_PASSPHRASE, "set PULUMI_CONFIG_PASSPHRASE"),
        ("replace.sh", ["step", "x"], NO_STACK, "there is no stack dev here"),
        ("replace.sh", ["node", "x"], NO_PASSPHRASE, "set PULUMI_CONFIG_PASSPHRASE"),
        ("before-destroy.sh", [], NO_STACK, "there is no stack dev here"),
    ],
)
def test_a_stack_pulumi_cannot_read_is_explained_without_a_traceback(tmp_path, script, args, message, told):
    result = run(script, "dev", *args, cwd=tmp_path, bin_dir=failing_pulumi(tmp_path / "bin", message))
    assert result.returncode != 0 and told in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / ".cache").exists()


@pytest.mark.parametrize("kind", ["step", "node"])
def test_replace_on_a_stack_with_nothing_built_says_to_run_make_up(tmp_path, kind):
    fake_command(tmp_path / "bin", "pulumi", """echo '{"deployment": {"resources": null}}'""")
    result = run("replace.sh", "dev", kind, "x", cwd=tmp_path, bin_dir=tmp_path / "bin")
    assert result.returncode == 1 and f"stack dev has no {kind}s yet: run make up STACK=dev" in result.stderr


SSH_OPTIONS = "-i .cache/ssh/dev.pem -o IdentitiesOnly=yes -o UserKnownHostsFile=.cache/ssh/known_hosts-dev"
SSH_COMMANDS = {
    "kubeadm-lab-control-plane": f"ssh {SSH_OPTIONS} ubuntu@198.51.100.10",
    "kubeadm-lab-worker-1": f"ssh {SSH_OPTIONS} -o ProxyCommand='ssh {SSH_OPTIONS} -W %h:%p "
    "ubuntu@198.51.100.10' ubuntu@10.0.0.21",
}


CP_NAME = "kubeadm-lab-control-plane"
CONTROL_PLANE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAcontrolplanekeyAAAAAAAAAAAAAAAAAAAAAAA"
WORKER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAworkerkeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
HOST_KEYS = {"kubeadm-lab-control-plane": CONTROL_PLANE_KEY, "kubeadm-lab-worker-1": WORKER_KEY}


def ssh_setup(tmp_path: Path, host_keys: dict = HOST_KEYS) -> Path:
    bin_dir = tmp_path / "bin"
    pulumi = f"""case "$*" in
  *sshCommands*) echo {shlex.quote(json.dumps(SSH_COMMANDS))} ;;
  *sshHostKeys*) echo {shlex.quote(json.dumps(host_keys))} ;;
  *sshPrivateKey*) echo "-----BEGIN OPENSSH PRIVATE KEY-----" ;;
esac"""
    fake_command(bin_dir, "pulumi", pulumi)
    fake_command(bin_dir, "ssh", "true")
    return bin_dir


def test_ssh_uses_the_stacks_key_with_mode_600_and_accepts_the_host_key_once(tmp_path):
    result = run("ssh-node.sh", "dev", "kubeadm-lab-worker-1", cwd=tmp_path, bin_dir=ssh_setup(tmp_path))
    assert result.returncode == 0, result.stderr
    key = tmp_path / ".cache" / "ssh" / "dev.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    line = calls(tmp_path)[-1]
    ssh_call = line.split()
    assert ssh_call[0] == "ssh" and ssh_call[-1] == "ubuntu@10.0.0.21"
    assert "StrictHostKeyChecking=accept-new" in ssh_call
    assert "UserKnownHostsFile=.cache/ssh/known_hosts-dev" in ssh_call
    assert ssh_call[ssh_call.index("-i") + 1] == ".cache/ssh/dev.pem"
    # The worker is reached through the control plane, with the same key and known hosts.
    options = "-i .cache/ssh/dev.pem -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new"
    assert (
        f"ProxyCommand=ssh {options} -o UserKnownHostsFile=.cache/ssh/known_hosts-dev -W %h:%p ubuntu@198.51.100.10"
        in line
    )


def test_the_stacks_ssh_commands_use_the_files_make_ssh_writes(tmp_path):
    from tests.graph import cluster

    commands = cluster().outputs["sshCommands"]
    assert set(commands) >= set(SSH_COMMANDS) and commands["kubeadm-lab-control-plane"] == SSH_COMMANDS[CP_NAME]
    result = run("ssh-node.sh", "dev", CP_NAME, cwd=tmp_path, bin_dir=ssh_setup(tmp_path))
    assert result.returncode == 0, result.stderr
    for command in commands.values():
        words = shlex.split(command)
        key = words[words.index("-i") + 1]
        (known_hosts,) = [w.split("=", 1)[1] for w in words if w.startswith("UserKnownHostsFile=")]
        assert (tmp_path / key).is_file() and (tmp_path / known_hosts).is_file(), command


def test_ssh_trusts_the_host_keys_the_stack_gave_the_nodes(tmp_path):
    known_hosts = tmp_path / ".cache" / "ssh" / "known_hosts-dev"
    known_hosts.parent.mkdir(parents=True)
    # A key from an earlier machine at the worker's address, and another host's line, which stays.
    known_hosts.write_text("10.0.0.21 ssh-ed25519 AAAAold\n198.51.100.99 ssh-ed25519 AAAAother\n")
    result = run("ssh-node.sh", "dev", "kubeadm-lab-worker-1", cwd=tmp_path, bin_dir=ssh_setup(tmp_path))
    assert result.returncode == 0, result.stderr
    assert known_hosts.read_text().splitlines() == [
        "198.51.100.99 ssh-ed25519 AAAAother",
        f"198.51.100.10 {CONTROL_PLANE_KEY}",
        f"10.0.0.21 {WORKER_KEY}",
    ]


def test_a_node_built_before_host_keys_is_not_pinned(tmp_path):
    keys = {"kubeadm-lab-control-plane": CONTROL_PLANE_KEY, "kubeadm-lab-worker-1": None}
    result = run("ssh-node.sh", "dev", "kubeadm-lab-worker-1", cwd=tmp_path, bin_dir=ssh_setup(tmp_path, keys))
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / ".cache" / "ssh" / "known_hosts-dev").read_text().splitlines()
    assert lines == [f"198.51.100.10 {CONTROL_PLANE_KEY}"]


def test_ssh_to_the_control_plane_needs_no_proxy(tmp_path):
    result = run("ssh-node.sh", "dev", "kubeadm-lab-control-plane", cwd=tmp_path, bin_dir=ssh_setup(tmp_path))
    assert result.returncode == 0, result.stderr
    line = calls(tmp_path)[-1]
    assert line.endswith("ubuntu@198.51.100.10") and "ProxyCommand" not in line


def test_ssh_to_an_unknown_node_lists_the_nodes(tmp_path):
    result = run("ssh-node.sh", "dev", "worker-9", cwd=tmp_path, bin_dir=ssh_setup(tmp_path))
    assert result.returncode == 1
    assert "make ssh NODE=<name>, one of: kubeadm-lab-control-plane kubeadm-lab-worker-1" in result.stderr
    assert not (tmp_path / ".cache" / "ssh" / "dev.pem").exists()


PREFIX = "urn:pulumi:dev::kubeadm-aws::kubeadm-aws:index:"
RESOURCES = [
    {
        "urn": f"{PREFIX}KubeadmBootstrap$command:remote:Command::kubeadm-lab-worker-1-join",
        "type": "command:remote:Command",
    },
    {
        "urn": f"{PREFIX}KubeadmBootstrap$command:remote:Command::kubeadm-lab-worker-1-join-token",
        "type": "command:remote:Command",
    },
    {
        "urn": f"{PREFIX}ClusterNodes$aws:ec2/instance:Instance::kubeadm-lab-worker-1",
        "type": "aws:ec2/instance:Instance",
    },
]


@pytest.mark.parametrize(
    "kind, name, urn",
    [("step", "kubeadm-lab-worker-1-join", RESOURCES[0]["urn"]), ("node", "kubeadm-lab-worker-1", RESOURCES[2]["urn"])],
)
def test_replace_acts_on_exactly_the_named_resource(tmp_path, kind, name, urn):
    state = json.dumps({"deployment": {"resources": RESOURCES}})
    body = f"""case "$*" in
  "stack export"*) echo '{state}' ;;
  "up "*) echo "  replacing: ${{KUBEADM_AWS_REPLACING:-none}}" >>"$LOG" ;;
esac"""
    fake_command(tmp_path / "bin", "pulumi", body)
    result = run("replace.sh", "dev", kind, name, cwd=tmp_path, bin_dir=tmp_path / "bin")
    assert result.returncode == 0, result.stderr
    # A node's new instance takes the program's values of what a running node keeps (components/aws/nodes.py).
    assert calls(tmp_path)[-2:] == [
        f"pulumi up --stack dev --replace {urn}",
        f"  replacing: {name if kind == 'node' else 'none'}",
    ]


def test_nothing_is_replaced_on_a_paused_cluster(tmp_path):
    state = json.dumps({"deployment": {"resources": RESOURCES}})
    body = f"""case "$*" in "stack export"*) echo '{state}' ;; "config get paused"*) echo true ;; esac"""
    fake_command(tmp_path / "bin", "pulumi", body)
    result = run("replace.sh", "dev", "node", "kubeadm-lab-worker-1", cwd=tmp_path, bin_dir=tmp_path / "bin")
    assert result.returncode == 1 and "Run make resume first" in result.stderr
    assert not [line for line in calls(tmp_path) if line.startswith("pulumi up")]


def test_replace_of_an_unknown_name_lists_the_names_of_that_kind(tmp_path):
    state = json.dumps({"deployment": {"resources": RESOURCES}})
    fake_command(tmp_path / "bin", "pulumi", f"""case "$*" in "stack export"*) echo '{state}' ;; esac""")
    result = run("replace.sh", "dev", "node", "kubeadm-lab-worker-9", cwd=tmp_path, bin_dir=tmp_path / "bin")
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["name a node of stack dev: NODE=<name>, one of:", "kubeadm-lab-worker-1"]
    assert calls(tmp_path) == ["pulumi stack export --stack dev"]


def test_the_aws_cleanup_step_is_never_replaced_by_hand(tmp_path):
    fake_command(tmp_path / "bin", "pulumi", "exit 0")
    name = "kubeadm-lab-control-plane-aws-cleanup"
    result = run("replace.sh", "dev", "step", name, cwd=tmp_path, bin_dir=tmp_path / "bin")
    assert result.returncode == 1
    assert "replacing it would delete every LoadBalancer Service and PersistentVolumeClaim" in result.stderr
    assert calls(tmp_path) == []


# --- the Makefile ------------------------------------------------------------------------------------


def test_make_up_checks_everything_before_it_creates_a_stack():
    listing = subprocess.run(["make", "-nB", "up"], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    order = [
        "scripts/local/check-tools.sh",
        "-m venv .venv",
        "pip install --quiet -r requirements.txt",
        "scripts/local/check-aws.py Pulumi.dev.yaml",
        "scripts/local/select-stack.sh dev",
        "scripts/local/allowed-cidrs.sh dev",
        "policy/.venv/bin/pip install --quiet -r policy/requirements.txt",
        "pulumi up --refresh --stack dev",
    ]
    positions = [listing.index(step) for step in order]
    assert positions == sorted(positions), listing
    assert "requirements-dev.txt" not in listing  # make up installs only what the program needs
    # Every change goes through the policy pack, its port rule mandatory.
    assert "--policy-pack policy --policy-pack-config policy/strict.json" in listing


def test_make_up_without_the_pulumi_cli_creates_nothing(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path)
    shutil.copytree(ROOT / "scripts" / "local", tmp_path / "scripts" / "local")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "bash", "sort", "head", "tr", "awk", "env"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    fake_command(bin_dir, "python3", f'exec {sys.executable} "$@"')
    environment = {"PATH": str(bin_dir), "LOG": "/dev/null"}
    result = subprocess.run(["make", "up"], capture_output=True, text=True, cwd=tmp_path, env=environment)
    assert result.returncode != 0
    assert "missing: the Pulumi CLI" in result.stderr
    assert not (tmp_path / ".venv").exists() and not (tmp_path / "Pulumi.dev.yaml").exists()


def replace_control_plane(tmp_path: Path, ssh_body: str, control_planes: str = "") -> subprocess.CompletedProcess:
    urn = f"{PREFIX}ClusterNodes$aws:ec2/instance:Instance::kubeadm-lab-control-plane"
    state = json.dumps({"deployment": {"resources": [{"urn": urn, "type": "aws:ec2/instance:Instance"}]}})
    pulumi = f"""case "$*" in
  "stack export"*) echo '{state}' ;;
  *nodeNames*) echo '["kubeadm-lab-control-plane", "kubeadm-lab-worker-1"]' ;;
  *controlPlaneCount*) echo '{control_planes}' ;;
  *sshCommands*) echo {shlex.quote(json.dumps(SSH_COMMANDS))} ;;
  *sshPrivateKey*) echo key ;;
esac"""
    fake_command(tmp_path / "bin", "pulumi", pulumi)
    fake_command(tmp_path / "bin", "ssh", ssh_body)
    return run("replace.sh", "dev", "node", "kubeadm-lab-control-plane", cwd=tmp_path, bin_dir=tmp_path / "bin")


def test_replacing_the_control_plane_takes_a_fresh_snapshot_first(tmp_path):
    result = replace_control_plane(tmp_path, "true")
    assert result.returncode == 0, result.stderr
    log = calls(tmp_path)
    ssh = next(i for i, line in enumerate(log) if line.startswith("ssh "))
    up = next(i for i, line in enumerate(log) if line.startswith("pulumi up"))
    assert ssh < up and log[ssh].endswith("ubuntu@198.51.100.10 sudo systemctl start kubeadm-aws-etcd-backup.service")


def test_a_control_plane_that_does_not_answer_is_still_replaced_with_a_warning(tmp_path):
    result = replace_control_plane(tmp_path, "exit 255")
    assert result.returncode == 0
    assert "could not take a fresh snapshot" in result.stderr and calls(tmp_path)[-1].startswith("pulumi up")


def test_the_first_control_plane_among_others_is_replaced_without_a_snapshot(tmp_path):
    # The new machine joins the other control planes; nothing restores a snapshot.
    result = replace_control_plane(tmp_path, "true", control_planes="3")
    assert result.returncode == 0, result.stderr
    log = calls(tmp_path)
    assert not [line for line in log if line.startswith("ssh ")] and log[-1].startswith("pulumi up")
