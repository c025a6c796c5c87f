"""The one reader of the stack's settings: `load()` reads and checks every setting of the table
(components/settings/table.py), then the checks that involve several settings, before any resource is
registered, and raises `ConfigError` naming each bad key and what it allows. Also the stack's own AWS
caller settings, and the nodes `make replace-node` is replacing in this run."""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import make_dataclass
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from components import versions
from components.settings.checks import CROSS_CHECKS, PROJECT, Problems
from components.settings.table import BY_KEY, SETTINGS, snake
from components.settings.types import Invalid, as_text

Settings = make_dataclass("Settings", [(setting.attr, Any) for setting in SETTINGS], frozen=True)
Settings.__doc__ = "The checked value of every setting, by the snake_case form of its key."


def load(config: pulumi.Config | None = None) -> Any:
    """Reads and checks every setting; returns `Settings` or raises `ConfigError` listing every problem."""
    config = config or pulumi.Config(PROJECT)
    problems = Problems()
    _refuse_unknown_keys(problems)
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = config.get(setting.key)
        text = as_text(setting.value.kind, setting.default) if raw is None else raw
        try:
            values[setting.attr] = setting.value.parse(text)
        except Invalid as invalid:
            problems.add(setting.key, raw, str(invalid))
            values[setting.attr] = None
    for check in CROSS_CHECKS:
        check(values, problems)
    problems.raise_if_any()
    _warn_of_untested_combinations(values)
    return Settings(**values)


def _warn_of_untested_combinations(values: dict[str, Any]) -> None:
    manifest = versions.CNI_MANIFESTS[values["cni"]]
    minor = values["kubernetes_version"]
    if not manifest.supports(minor):
        pulumi.log.warn(
            f"{PROJECT}:kubernetesVersion {minor} is outside the range {manifest.name} {manifest.version} documents "
            f"support for ({manifest.support_range}, {manifest.support_source}); the cluster is built, untested by "
            f"{manifest.name}. Choose a minor in that range, or another cni, for a documented combination."
        )


def _refuse_unknown_keys(problems: Problems) -> None:
    """A misspelt key would otherwise be ignored silently and its default used."""
    prefix = f"{PROJECT}:"
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    for key in sorted(k[len(prefix) :] for k in keys if k.startswith(prefix)):
        if key not in BY_KEY:
            close = difflib.get_close_matches(key, list(BY_KEY), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            problems.messages.append(
                f"{prefix}{key} is not a setting of this program; {hint}the settings are listed in the README "
                f"(remove it with: pulumi config rm {key})"
            )


# The stack's own AWS settings that say whose credentials the provider uses and how it reaches AWS. A
# provider the program creates (the Price List's) takes them, so that it acts as the identity the stack's
# default provider does (a profile, an assumed role), not as whatever the environment holds.
AWS_CALLER_SETTINGS = (
    "profile",
    "sharedConfigFiles",
    "sharedCredentialsFiles",
    "assumeRoles",
    "assumeRoleWithWebIdentity",
    "customCaBundle",
    "httpProxy",
    "httpsProxy",
    "noProxy",
    "stsRegion",
)
AWS_SECRET_CALLER_SETTINGS = ("accessKey", "secretKey", "token")


def aws_caller() -> dict[str, Any]:
    """The stack's AWS_CALLER_SETTINGS that are set, as aws.Provider arguments. A structured one
    (assumeRoles) is passed as the stack holds it: the SDK sends a provider's structured inputs as JSON,
    in the form the default provider gets from the stack's configuration."""
    config = pulumi.Config("aws")
    found: dict[str, Any] = {}
    for key in (*AWS_CALLER_SETTINGS, *AWS_SECRET_CALLER_SETTINGS):
        # A value the stack keeps secret (keys; an assumed role's external id) stays secret here.
        secret = key in AWS_SECRET_CALLER_SETTINGS or runtime_config.is_config_secret(f"aws:{key}")
        value = config.get_secret(key) if secret else config.get(key)
        if value is not None:
            found[snake(key)] = pulumi.Output.from_input(value).apply(_structured) if secret else _structured(value)
    return found


def _structured(raw: str) -> Any:
    """A structured setting's JSON (a list or an object) parsed; any other value as it is."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, (dict, list)) else raw


def replacing_nodes() -> frozenset[str]:
    """The nodes `make replace-node` is replacing in this run (KUBEADM_AWS_REPLACING, space-separated
    names, set by scripts/local/replace.sh). Not a stack setting: it holds for one `pulumi up` only."""
    return frozenset(os.environ.get("KUBEADM_AWS_REPLACING", "").split())
