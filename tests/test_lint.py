"""The Python code is formatted and lint-free by ruff's rules in ruff.toml."""

import subprocess

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
