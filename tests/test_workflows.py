"""The GitHub workflows: actionlint finds nothing, and they run what the README promises."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
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
    assert "export REQUIRE_HOST_TOOLS=1" in (ROOT / ".ci" / "run").read_text()


def test_preview_runs_gated_read_only_and_checked_by_the_base_branchs_strict_policy_pack():
    workflow = load("preview.yml")
    assert list(workflow[True]) == ["pull_request"]  # never pull_request_target: no write token, no secrets of main
    assert workflow["permissions"] == {}  # the job asks for what it needs, and nothing else does
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "actions": "read", "id-token": "write", "pull-requests": "write"}
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"  # no forks
    assert job["environment"] == "preview"  # required reviewers gate it; the role trusts this environment only
    by_action = {}
    for step in job["steps"]:
        if "uses" in step:
            by_action.setdefault(step["uses"].split("@")[0], []).append(step)
    pr, base = by_action["actions/checkout"]
    assert pr["with"] == {"persist-credentials": False}  # the job's token stays out of .git/config
    assert base["with"] == {"ref": "${{ github.event.pull_request.base.sha }}", "path": ".base",
                            "persist-credentials": False}  # fmt: skip
    (credentials,) = by_action["aws-actions/configure-aws-credentials"]
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    (pulumi,) = by_action["pulumi/actions"]
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["stack-name"] == "dev"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == ".base/policy"
    assert pulumi["with"]["policyPackConfigs"] == ".base/policy/strict.json"
    assert pulumi["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"


def test_every_action_is_pinned_by_commit_with_its_release_in_a_comment():
    for workflow in WORKFLOWS:
        lines = [line.strip() for line in workflow.read_text().splitlines() if re.match(r"\s*(- )?uses:", line)]
        assert lines, workflow.name
        for line in lines:
            assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*", line), line


def test_the_strict_configuration_makes_the_exposure_check_mandatory():
    import json

    assert json.loads((ROOT / "policy" / "strict.json").read_text()) == {"public-ports-not-open-to-world": "mandatory"}


def backend_the_cli_uses(env: dict, project: dict) -> str:
    """The CLI's order (pulumi/pulumi pkg/workspace/creds.go, GetCurrentCloudURLWithSource):
    PULUMI_BACKEND_URL when set and not empty, then Pulumi.yaml's backend.url, then the stored login
    (which pulumi/actions' cloud-url writes: src/login.ts runs `pulumi login <cloud-url>`)."""
    if env.get("PULUMI_BACKEND_URL"):
        return env["PULUMI_BACKEND_URL"]
    return (project.get("backend") or {}).get("url") or "the login"


def test_the_preview_opens_the_stacks_state_not_the_projects_local_backend():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["backend"]["url"].startswith("file://")  # `make up`'s state, which CI does not have
    (job,) = load("preview.yml")["jobs"].values()
    (index,) = [i for i, step in enumerate(job["steps"]) if step.get("uses", "").startswith("pulumi/actions@")]
    env = {**job.get("env", {}), **job["steps"][index].get("env", {})}
    assert backend_the_cli_uses(env, project) == "${{ vars.PULUMI_BACKEND_URL }}"
    # An unset variable would leave PULUMI_BACKEND_URL empty, and the CLI on the local backend: a step
    # before the preview stops the job instead.
    (guard,) = [step for step in job["steps"][:index] if "PULUMI_BACKEND_URL" in step.get("run", "")]
    for value, code in (("", 1), ("file://./.pulumi-state", 1), ("s3://my-pulumi-state", 0)):
        env = {"PULUMI_BACKEND_URL": value, "PATH": "/usr/bin:/bin"}
        result = subprocess.run(["bash", "-c", guard["run"]], env=env, capture_output=True, text=True)
        assert result.returncode == code, (value, result.stdout)


# GitHub's "Get an environment" (REST, deployments/environments): protection_rules lists each rule with
# its type; a required_reviewers rule carries prevent_self_review and its reviewers.
REVIEWERS = {"id": 1, "type": "required_reviewers", "prevent_self_review": True, "reviewers": [{"type": "User"}]}


@pytest.mark.parametrize(
    "environment, code",
    [
        ({"name": "preview", "protection_rules": [REVIEWERS, {"id": 2, "type": "branch_policy"}]}, 0),
        ({"name": "preview", "protection_rules": []}, 1),  # unprotected: the job would run at once
        ({"name": "preview", "protection_rules": [{**REVIEWERS, "prevent_self_review": False}]}, 1),
        ({"name": "preview", "protection_rules": [{"id": 3, "type": "wait_timer", "wait_timer": 5}]}, 1),
        ({"name": "preview"}, 1),
    ],
    ids=["reviewers-not-the-author", "none", "self-review-allowed", "a-timer-only", "no-rules-field"],
)
def test_the_preview_stops_unless_its_environment_needs_a_reviewer_other_than_the_author(tmp_path, environment, code):
    (job,) = load("preview.yml")["jobs"].values()
    guard = job["steps"][0]  # before the pull request's code is checked out
    assert guard["env"] == {"GH_TOKEN": "${{ github.token }}"}
    gh = tmp_path / "gh"
    gh.write_text(f"#!/bin/sh\n[ \"$*\" = 'api repos/o/r/environments/preview' ] || exit 9\ncat <<'EOF'\n"
                  f"{json.dumps(environment)}\nEOF\n")  # fmt: skip
    gh.chmod(0o755)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "GITHUB_REPOSITORY": "o/r"}
    result = subprocess.run(["bash", "-c", guard["run"]], env=env, capture_output=True, text=True)
    assert result.returncode == code, result.stdout + result.stderr
    assert ("Required reviewers" in result.stdout) is (code == 1)
