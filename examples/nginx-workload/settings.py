"""Reads and validates the example's settings before any resource is registered."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi

DEFAULTS = {"clusterStack": "organization/kubeadm-aws/dev", "replicas": 1, "nodePort": 30080, "awsIntegration": "true"}
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Settings:
    cluster_stack: str
    replicas: int
    node_port: int
    aws_integration: bool


def _whole_number(config: pulumi.Config, key: str, low: int, high: int, errors: list[str]) -> int:
    raw = (config.get(key) or str(DEFAULTS[key])).strip()
    if not re.fullmatch(r"\d+", raw) or not low <= int(raw) <= high:
        errors.append(f"{config.full_key(key)} = {raw!r} is invalid: expected a whole number from {low} to {high}")
        return 0
    return int(raw)


def _flag(config: pulumi.Config, key: str, errors: list[str]) -> bool:
    raw = (config.get(key) or DEFAULTS[key]).strip().lower()
    if raw not in ("true", "false"):
        errors.append(f"{config.full_key(key)} = {raw!r} is invalid: expected true or false")
    return raw == "true"


def load() -> Settings:
    config = pulumi.Config()
    errors: list[str] = []
    cluster_stack = (config.get("clusterStack") or DEFAULTS["clusterStack"]).strip()
    if not STACK_NAME.match(cluster_stack):
        key = config.full_key("clusterStack")
        errors.append(f"{key} = {cluster_stack!r} is invalid: expected <organization>/<project>/<stack>")
    replicas = _whole_number(config, "replicas", 1, 20, errors)
    node_port = _whole_number(config, "nodePort", 30000, 32767, errors)
    aws_integration = _flag(config, "awsIntegration", errors)
    if aws_integration and replicas > 1:
        errors.append(
            f"{config.full_key('replicas')} = {replicas} is invalid: with awsIntegration the page lives on one EBS "
            "volume, which attaches to one node at a time; expected 1 (or set awsIntegration false)"
        )
    if errors:
        raise ValueError("Invalid stack configuration:\n  - " + "\n  - ".join(errors))
    return Settings(cluster_stack, replicas, node_port, aws_integration)


def kubeconfig_of_a_matching_cluster(
    settings: Settings, cluster_has_it: pulumi.Output, kubeconfig: pulumi.Output
) -> pulumi.Output:
    """The cluster's kubeconfig, once its awsIntegration output has been found equal to this stack's
    setting: a difference fails the provider, and with it the preview, before anything changes."""

    def matching(values: list) -> str:
        has_it, config = bool(values[0]), values[1]  # a cluster stack from before the output had none
        if has_it != settings.aws_integration:
            raise ValueError(
                f"nginx-workload:awsIntegration = {str(settings.aws_integration).lower()} is invalid: the cluster "
                f"stack {settings.cluster_stack} has awsIntegration {str(has_it).lower()}; set it to the same"
            )
        return config

    return pulumi.Output.all(cluster_has_it, kubeconfig).apply(matching)
