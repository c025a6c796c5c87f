"""The real validators the tests run artifacts through: shellcheck and cloud-init's own schema."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.harness import ROOT

# Where .ci/fetch-debian-packages.sh extracts Debian's packages (the Makefile passes these on).
CLOUD_INIT_DIR = Path(os.environ.get("CLOUD_INIT_DIR", ROOT / ".cache" / "cloud-init"))
ETCD_DIR = Path(os.environ.get("ETCD_DIR", ROOT / ".cache" / "etcd"))


def tool(name: str) -> str:
    """A command installed by a PyPI package into this virtual environment (shellcheck, actionlint)."""
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed; run `make test` (requirements-dev.txt installs it)")
    return found


def shellcheck(script: str, shell: str = "bash") -> str:
    """shellcheck's findings at warning level or above for a script text ('' when clean)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as handle:
        handle.write(script)
    try:
        result = subprocess.run(
            [tool("shellcheck"), "--severity=warning", f"--shell={shell}", "--format=gcc", handle.name],
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(handle.name)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def cloud_init_schema():
    """cloud-init's schema module from the extracted Debian package."""
    packages = CLOUD_INIT_DIR / "usr" / "lib" / "python3" / "dist-packages"
    if not (packages / "cloudinit").is_dir():
        pytest.fail(f"cloud-init is not extracted in {CLOUD_INIT_DIR}; run `make test` (it fetches it)")
    if str(packages) not in sys.path:
        sys.path.append(str(packages))
    from cloudinit.config import schema  # noqa: PLC0415 - importable only once the package is extracted

    return schema


def systemd_units(script: str, function: str, unit: str, directory: Path) -> list[Path]:
    """The systemd units a rendered install script writes: its FUNCTION called with DIRECTORY and an
    installed job script that exists; checked by `systemd-analyze verify`, which must find nothing."""
    installed = directory / "job.sh"
    installed.write_text("#!/bin/sh\n")
    installed.chmod(0o755)
    body, _ = script.rstrip("\n").rsplit("\n", 1)  # without its `main "$@"`
    subprocess.run(["bash", "-c", f'{body}\n{function} "{directory}" "{installed}"'], check=True)
    units = sorted(directory.glob(f"{unit}.*"))
    result = subprocess.run(["systemd-analyze", "verify", *map(str, units)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return units
