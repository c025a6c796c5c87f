"""The kinds of value a setting can hold: how its text is parsed, what is allowed, and its type in
Pulumi.yaml. The settings table (components/settings/table.py) gives each setting one of these.

`parse` takes the text the Pulumi CLI stores (lists as JSON) and returns the value, or raises
`Invalid` with what is allowed. `allowed` is that same sentence, for the README and Pulumi.yaml.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass


class Invalid(ValueError):
    """A value does not fit its setting; the message says what is allowed."""


@dataclass(frozen=True)
class Text:
    pattern: str
    allowed: str
    kind: str = "string"

    def parse(self, raw: str) -> str:
        value = raw.strip()
        if not re.fullmatch(self.pattern, value):
            raise Invalid(f"expected {self.allowed}")
        return value


@dataclass(frozen=True)
class OneOf:
    choices: tuple[str, ...]
    kind: str = "string"

    @property
    def allowed(self) -> str:
        return "one of " + ", ".join(self.choices)

    def parse(self, raw: str) -> str:
        value = raw.strip()
        if value not in self.choices:
            raise Invalid(f"expected {self.allowed}")
        return value


@dataclass(frozen=True)
class WholeNumber:
    low: int
    high: int
    kind: str = "integer"

    @property
    def allowed(self) -> str:
        return f"a whole number from {self.low} to {self.high}"

    def parse(self, raw: str) -> int:
        value = raw.strip()
        if not re.fullmatch(r"[+-]?\d+", value) or not self.low <= int(value) <= self.high:
            raise Invalid(f"expected {self.allowed}")
        return int(value)


@dataclass(frozen=True)
class OneOfNumbers:
    choices: tuple[int, ...]
    why: str  # why only these
    kind: str = "integer"

    @property
    def allowed(self) -> str:
        return "one of " + ", ".join(map(str, self.choices))

    def parse(self, raw: str) -> int:
        value = raw.strip()
        if not re.fullmatch(r"\d+", value) or int(value) not in self.choices:
            raise Invalid(f"expected {self.allowed} ({self.why})")
        return int(value)


def parse_ipv4_cidr(text: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError:
        network = None
    if not isinstance(network, ipaddress.IPv4Network):
        raise Invalid("expected an IPv4 CIDR with no host bits set, e.g. 10.0.0.0/16")
    return network


@dataclass(frozen=True)
class Ipv4Cidr:
    """An IPv4 range, kept as its CIDR text; `shortest`/`longest` bound its prefix length."""

    shortest: int = 0
    longest: int = 32
    kind: str = "string"

    @property
    def sizes(self) -> str:
        if self.shortest == 0:
            return f"/{self.longest} or larger"
        return f"/{self.shortest} to /{self.longest}"

    @property
    def allowed(self) -> str:
        return "an IPv4 CIDR" + ("" if (self.shortest, self.longest) == (0, 32) else f", {self.sizes}")

    def parse(self, raw: str) -> str:
        network = parse_ipv4_cidr(raw)
        if not self.shortest <= network.prefixlen <= self.longest:
            raise Invalid(f"expected a prefix length {self.sizes}, not /{network.prefixlen}")
        return str(network)


@dataclass(frozen=True)
class Flag:
    allowed: str = "true or false"
    kind: str = "boolean"

    def parse(self, raw: str) -> bool:
        value = raw.strip().lower()
        if value not in ("true", "false"):
            raise Invalid(f"expected {self.allowed}")
        return value == "true"


def _string_list(raw: str) -> list[str] | None:
    """The JSON list of strings the CLI stores for a list setting, or None when the text is not one."""
    try:
        items = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return items if isinstance(items, list) and all(isinstance(item, str) for item in items) else None


def _is_aws_id(prefix: str, value: str) -> bool:
    return re.fullmatch(rf"{prefix}-[0-9a-z]+", value) is not None


@dataclass(frozen=True)
class Ipv4CidrList:
    allowed: str = "a non-empty list of IPv4 CIDRs"
    kind: str = "array"

    def parse(self, raw: str) -> tuple[str, ...]:
        items = _string_list(raw)
        if items == []:
            raise Invalid(
                "it is not set, and nothing of the cluster is reachable from the internet until it is. Set it to "
                "your address: pulumi config set --path 'allowedCidrs[0]' "
                '"$(curl -s https://checkip.amazonaws.com)/32" (make up does this on its first run)'
            )
        if items is None:
            raise Invalid('expected a non-empty list of IPv4 CIDRs, e.g. ["203.0.113.7/32"]')
        return tuple(str(parse_ipv4_cidr(item)) for item in items)


@dataclass(frozen=True)
class OptionalId:
    """An AWS resource id such as vpc-0abc…, or empty for none."""

    prefix: str
    kind: str = "string"

    @property
    def allowed(self) -> str:
        return f"empty, or an id {self.prefix}-…"

    def parse(self, raw: str) -> str | None:
        value = raw.strip()
        if not value:
            return None
        if not _is_aws_id(self.prefix, value):
            raise Invalid(f"expected {self.allowed}")
        return value


@dataclass(frozen=True)
class IdList:
    """A list of AWS resource ids such as subnet-0abc…; empty for none."""

    prefix: str
    kind: str = "array"

    @property
    def allowed(self) -> str:
        return f"a list of distinct ids {self.prefix}-…, or empty"

    def parse(self, raw: str) -> tuple[str, ...]:
        items = _string_list(raw) if raw.strip() else []
        if items is None:
            raise Invalid(f'expected {self.allowed}, e.g. ["{self.prefix}-0abc"]')
        ids = tuple(item.strip() for item in items)
        bad = [item for item in ids if not _is_aws_id(self.prefix, item)]
        if bad or len(set(ids)) != len(ids):
            raise Invalid(f"expected {self.allowed}; {bad[0] if bad else 'an id is repeated'}")
        return ids


def as_text(kind: str, value: object) -> str:
    """A value as the Pulumi CLI stores it in a stack file: lists as JSON, the rest as text."""
    if kind == "array":
        return json.dumps(list(value))  # type: ignore[call-overload]
    if kind == "boolean":
        return "true" if value else "false"
    return "" if value is None else str(value)
