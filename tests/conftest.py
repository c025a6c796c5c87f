import os
import shutil
import sys
from pathlib import Path

import pytest

# The program's modules (components/) and the test helpers import from the project root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The host programs tests may need (`@pytest.mark.needs("openssl")`), with the Debian package of each.
HOST_TOOLS = {"openssl": "openssl", "gpg": "gpg", "systemd-analyze": "systemd"}


def pytest_runtest_setup(item):
    """A test whose host program is missing is skipped naming it, so that `make test` runs on any
    Debian-like host; under .ci/run (REQUIRE_HOST_TOOLS=1), which installs every one, it fails instead."""
    for marker in item.iter_markers("needs"):
        for name in marker.args:
            if shutil.which(name):
                continue
            reason = f"{name} is not installed (Debian package {HOST_TOOLS[name]}; .ci/run installs it)"
            if os.environ.get("REQUIRE_HOST_TOOLS") == "1":
                pytest.fail(reason)
            pytest.skip(reason)
