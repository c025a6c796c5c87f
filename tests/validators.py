"""The real validators the tests run artifacts through: shellcheck and cloud-init's own schema."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.harness import ROOT

# Where .ci/fetch-cloud-init.sh extracts Debian's cloud-init package (the Makefile passes it on).
CLOUD_INIT_DIR = Path(os.environ.get("CLOUD_INIT_DIR", ROOT / ".cache" / "cloud-init"))


def shellcheck(script: str, shell: str = "bash") -> str:
    """shellcheck's findings at warning level or above for a script text ('' when clean)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as handle:
        handle.write(script)
    try:
        result = subprocess.run(
            ["shellcheck", "--severity=warning", f"--shell={shell}", "--format=gcc", handle.name],
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
