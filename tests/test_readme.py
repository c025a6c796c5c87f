"""The README's settings table and outputs list say what the program does."""

import json
import re

from components import config
from tests.harness import ROOT, run_program, stack_config

README = (ROOT / "README.md").read_text()


def table_after(heading: str) -> list[list[str]]:
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[2:]]


def test_settings_table_lists_every_setting_with_its_default():
    documented = {}
    for key, default, _ in table_after("Settings"):
        documented[key.strip("`")] = default.strip("`")
    documented.pop("aws:region")
    assert set(documented) == set(config.DEFAULTS)
    for key, default in config.DEFAULTS.items():
        expected = json.dumps(default) if isinstance(default, list) or default == "" else str(default)
        assert documented[key] == expected, key


def test_outputs_table_lists_every_stack_output():
    documented = set()
    for names, _ in table_after("Outputs"):
        documented |= set(re.findall(r"`([A-Za-z]+)`", names))
    assert documented == set(run_program(stack_config()).outputs)
