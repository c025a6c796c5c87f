"""The README and the pages under docs/ say what the program and its make targets do."""

import functools
import re
import subprocess

from tests.harness import ROOT, run_program, stack_config

README = (ROOT / "README.md").read_text()
# The README, the changelog and every page under docs/ (docs/iam/ holds its own files): what a reader follows.
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
MAX_README_LINES = 350
# Backticked camelCase words that are neither a setting nor an output of this program, each with its owner.
NOT_SETTINGS = {
    "clusterStack": "a setting of the example stack, examples/nginx-workload",
    "nodePort": "a setting and an output of the example stack",
    "serviceName": "an output of the example stack",
    "controlPlaneEndpoint": "kubeadm's ClusterConfiguration field",
    "serverTLSBootstrap": "the KubeletConfiguration field",
    "externalIPs": "the field of a Kubernetes Service",
}


def page(name: str) -> str:
    return (ROOT / "docs" / name).read_text()


def table_after(heading: str, text: str = README) -> list[list[str]]:
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[2:]]


def code(text: str) -> list[str]:
    """The fenced blocks and the inline code spans of a Markdown text."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.S | re.M)
    return blocks + re.findall(r"`([^`\n]+)`", prose)


@functools.cache
def stack_outputs() -> frozenset[str]:
    return frozenset(run_program(stack_config()).outputs)


def test_outputs_table_lists_every_stack_output():
    documented = set()
    for names, _ in table_after("Outputs"):
        documented |= set(re.findall(r"`([A-Za-z]+)`", names))
    assert documented == stack_outputs()


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
    stale = (
        "retried three times",
        "your /32 by default",
        "the VPC's first /24;",
        "checks every preview",
        "the host key is accepted the first time",  # make ssh pins the host keys the stack gave its nodes
        "Elsewhere that one test is skipped",  # make test needs Debian's tools wherever it runs
    )
    for path in PAGES:
        for phrase in stale:
            assert phrase not in path.read_text(), (path.name, phrase)


def test_the_pinned_releases_the_docs_name_are_those_of_the_versions_table():
    from components import versions

    architecture = page("architecture.md")
    for manifest in versions.CNI_MANIFESTS.values():
        assert f"{manifest.name} {manifest.version} (" in architecture
        assert manifest.support_range in architecture


def test_the_readme_stays_short():
    lines = len(README.splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail to a page under docs/"


def test_every_make_target_named_is_one_with_help():
    targets = make_targets_with_help()
    for path in PAGES:
        for snippet in code(path.read_text()):
            # `make up`, `make -s kubeconfig`, `make up STACK=prod`, `eval "$(make -s kubeconfig)"`
            for target in re.findall(r"(?:^|[\s\"'(;&|])make (?:-s )?([a-z][a-z-]*)", snippet):
                assert target in targets, f"{path.name} names `make {target}`, which `make help` does not list"


def test_every_setting_and_output_named_exists():
    from components import settings

    known = {s.key for s in settings.SETTINGS} | stack_outputs() | set(NOT_SETTINGS)
    for path in PAGES:
        prose = re.sub(r"^```[^\n]*\n.*?^```", "", path.read_text(), flags=re.S | re.M)
        for span in re.findall(r"`([^`\n]+)`", prose):
            # `workerCount`, `workerCount: 0`, `allowedCidrs[0]`
            named = re.fullmatch(r"([a-z]+[A-Z][A-Za-z]*)(?:\[\d+\])?(?:: .+)?", span)
            if named:
                assert named.group(1) in known, f"{path.name} names `{named.group(1)}`: no such setting or output"


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def test_every_relative_link_leads_to_a_file_and_heading_that_exist():
    for path in PAGES:
        prose = re.sub(r"^```[^\n]*\n.*?^```", "", path.read_text(), flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)\s]+)\)", prose):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            file, _, anchor = target.partition("#")
            linked = (path.parent / file).resolve() if file else path
            assert linked.exists(), f"{path.name} links to {target}, which does not exist"
            if anchor and linked.suffix == ".md":
                headings = re.findall(
                    r"^#+ (.+)$", re.sub(r"^```.*?^```", "", linked.read_text(), flags=re.S | re.M), re.M
                )
                assert anchor in {slug(h) for h in headings}, f"{path.name} links to {target}: no such heading"


def test_the_docs_pages_lead_back_to_the_readme():
    for path in sorted((ROOT / "docs").glob("*.md")):
        title, blank, back = path.read_text().splitlines()[:3]
        assert title.startswith("# ") and blank == "" and "](../README.md)" in back, path.name
