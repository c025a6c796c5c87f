"""The Python code is formatted and lint-free by ruff's rules in ruff.toml, and the tests' output ends
with their summary."""

import subprocess
import sys

from tests.harness import ROOT
from tests.validators import tool


def test_ruff_finds_nothing():
    result = subprocess.run([tool("ruff"), "check", "--no-cache", "."], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_formatted():
    result = subprocess.run(
        [tool("ruff"), "format", "--check", "--no-cache", "."], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_program_that_fails_as_expected_leaves_no_report_after_the_summary():
    # The example's tests run programs that fail on purpose; their unread futures used to print thousands
    # of "Future exception was never retrieved" lines once pytest had finished (tests/harness.py).
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "examples/nginx-workload/tests"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    lines = (result.stdout + result.stderr).splitlines()
    summary = next(i for i, line in enumerate(lines) if " passed" in line)
    assert result.returncode == 0 and lines[summary + 1 :] == []
