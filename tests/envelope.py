"""Pulumi's wire envelope for secret values, as the engine and providers exchange them."""

from typing import Any

from pulumi.runtime import rpc


def secret(value: Any) -> dict:
    """`value` marked secret, as a provider returns a secret output."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def unwrap_secrets(value: Any) -> Any:
    """The plain value inside secret envelopes, at any depth."""
    if is_secret(value):
        return unwrap_secrets(value["value"])
    if isinstance(value, dict):
        return {key: unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(item) for item in value]
    return value
