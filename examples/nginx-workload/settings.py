"""Reads and validates the example's settings before any resource is registered."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi

DEFAULTS = {"clusterStack": "organization/kubeadm-aws/dev", "replicas": 2, "nodePort": 30080}
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Settings:
    cluster_stack: str
    replicas: int
    node_port: int


def _whole_number(config: pulumi.Config, key: str, low: int, high: int, errors: list[str]) -> int:
    raw = (config.get(key) or str(DEFAULTS[key])).strip()
    if not re.fullmatch(r"\d+", raw) or not low <= int(raw) <= high:
        errors.append(f"{config.full_key(key)} = {raw!r} is invalid: expected a whole number from {low} to {high}")
        return 0
    return int(raw)


def load() -> Settings:
    config = pulumi.Config()
    errors: list[str] = []
    cluster_stack = (config.get("clusterStack") or DEFAULTS["clusterStack"]).strip()
    if not STACK_NAME.match(cluster_stack):
        key = config.full_key("clusterStack")
        errors.append(f"{key} = {cluster_stack!r} is invalid: expected <organization>/<project>/<stack>")
    replicas = _whole_number(config, "replicas", 1, 20, errors)
    node_port = _whole_number(config, "nodePort", 30000, 32767, errors)
    if errors:
        raise ValueError("Invalid stack configuration:\n  - " + "\n  - ".join(errors))
    return Settings(cluster_stack, replicas, node_port)
