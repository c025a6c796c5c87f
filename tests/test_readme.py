"""The README says what the program and its make targets do."""

import re
import subprocess

from tests.harness import ROOT, run_program, stack_config

README = (ROOT / "README.md").read_text()


def table_after(heading: str) -> list[list[str]]:
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[2:]]


def test_outputs_table_lists_every_stack_output():
    documented = set()
    for names, _ in table_after("Outputs"):
        documented |= set(re.findall(r"`([A-Za-z]+)`", names))
    assert documented == set(run_program(stack_config()).outputs)


def make_targets_with_help() -> set[str]:
    listing = subprocess.run(["make", "-s", "help"], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    return {line.split()[1] for line in listing.splitlines()}


def test_day_to_day_table_documents_the_make_targets():
    documented = {re.match(r"`make ([a-z-]+)", command).group(1) for command, _ in table_after("Day to day")}
    assert {"kubeconfig", "ssh", "outputs", "rerun", "allow-my-address", "destroy"} <= documented
    assert documented <= make_targets_with_help()


def test_contributors_are_told_of_the_fast_tests():
    assert "`make test-fast`" in README and "test-fast" in make_targets_with_help()


def test_the_readme_makes_no_promise_the_code_broke_before():
    # Each of these was once written here while the code did otherwise.
    for stale in ("retried three times", "your /32 by default", "the VPC's first /24;", "checks every preview"):
        assert stale not in README, stale


def test_the_pinned_releases_the_readme_names_are_those_of_the_versions_table():
    from components import versions

    for manifest in versions.CNI_MANIFESTS.values():
        assert f"{manifest.name} {manifest.version} (" in README
        assert manifest.support_range in README
