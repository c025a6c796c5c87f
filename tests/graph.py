"""Reads the bootstrap chain the program registered: its commands and who waits for whom."""

from __future__ import annotations

import functools

from tests.harness import ProgramRun, run_program, stack_config
from tests.remote import COMMAND

CP = "kubeadm-lab-control-plane"


@functools.cache
def cluster(workers: int = 2, cni: str = "calico") -> ProgramRun:
    """The program run for a restricted stack with `workers` workers (cached: runs are read-only); a
    single-node cluster is built without awsIntegration, as the settings require."""
    single_node = {"awsIntegration": False} if workers == 0 else {}
    return run_program(stack_config(workerCount=workers, cni=cni, allowedCidrs=["203.0.113.7/32"], **single_node))


def commands(run: ProgramRun) -> dict:
    return {r.name: r for r in run.of_type(COMMAND)}


def depends_on(run: ProgramRun, resource, name: str) -> bool:
    """Whether `resource` waits for the resource called `name`, directly or through others."""
    target = run.named(name).urn
    registered = {r.urn for r in run.resources}
    seen, stack = set(), [resource.urn]
    while stack:
        urn = stack.pop()
        for dependency in run.by_urn(urn).dependencies if urn in registered else ():
            if dependency == target:
                return True
            if dependency not in seen:
                seen.add(dependency)
                stack.append(dependency)
    return False


def chain_depth(run: ProgramRun, only: set[str] | None = None) -> int:
    """The longest path of command resources (of `only`, when given), each waiting for the one before it."""
    by_name = {name: r for name, r in commands(run).items() if only is None or name in only}

    @functools.cache
    def depth(name):
        before = [other for other in by_name if other != name and depends_on(run, by_name[name], other)]
        return 1 + max((depth(other) for other in before), default=0)

    return max(depth(name) for name in by_name)


def steps_to(run: ProgramRun, name: str) -> int:
    """The number of commands on the longest path that ends with the command `name` (itself included)."""
    before = {other for other in commands(run) if other != name and depends_on(run, run.named(name), other)}
    return chain_depth(run, only=before | {name})


def plain_strings(value):
    """Every string inside a value, at any depth."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from plain_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from plain_strings(item)
