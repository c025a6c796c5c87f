"""The GitHub workflows: actionlint finds nothing, and they run what the README promises."""

import os
import re
import subprocess
from pathlib import Path

import yaml

from tests.harness import ROOT
from tests.validators import tool

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    # With shellcheck on PATH, actionlint also checks every `run:` script.
    env = {**os.environ, "PATH": f"{Path(tool('shellcheck')).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [tool("actionlint"), "-no-color", *map(str, paths)], capture_output=True, text=True, env=env, cwd=ROOT
    )


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_actionlint_finds_nothing():
    assert WORKFLOWS
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_really_reports_problems(tmp_path: Path):
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.evnt.name }}\n"
    )
    result = actionlint(broken)
    assert result.returncode == 1 and "evnt" in result.stdout


def readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("Run the tests", 1)[1]
    return re.search(r"```sh\n(.+?)\n```", section, re.S).group(1).strip()


def test_ci_and_the_test_workflow_run_the_readmes_test_command():
    command = readme_test_command()
    assert command == "make test"
    assert (ROOT / ".ci" / "run").read_text().rstrip().splitlines()[-1] == command
    workflow = load("test.yml")
    assert set(workflow[True]) == {"push", "pull_request"}  # YAML reads the key `on` as True
    # The workflow runs .ci/run itself, as root, so the VM test runs there too instead of being skipped.
    assert steps(workflow)[-1]["run"] == 'sudo env "PATH=$PATH" CI=true bash .ci/run'
    assert "export REQUIRE_VM_TEST=1" in (ROOT / ".ci" / "run").read_text()


def test_preview_on_pull_requests_with_the_policy_pack():
    workflow = load("preview.yml")
    assert list(workflow[True]) == ["pull_request"]
    assert workflow["permissions"]["id-token"] == "write" and workflow["permissions"]["pull-requests"] == "write"
    by_action = {step["uses"].split("@")[0]: step for step in steps(workflow) if "uses" in step}
    credentials = by_action["aws-actions/configure-aws-credentials"]["with"]
    assert credentials["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
    pulumi = by_action["pulumi/actions"]
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["stack-name"] == "dev"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert pulumi["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
