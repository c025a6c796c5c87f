"""Runs the real Pulumi program (`__main__.py`) under the mock engine and records what it registered.

`run_program(config)` executes the program afresh for one stack configuration and returns a
`ProgramRun`: every resource registration (type, name, inputs, parent, dependencies and resource
options as the engine received them), every stack output with its secret flag, and the warnings the
program logged.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import runpy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _sync_await

from tests.envelope import is_secret, unwrap_secrets
from tests.mocks import REGION, ClusterMocks

PROJECT = "kubeadm-aws"
STACK = "dev"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    inputs: dict
    parent: str
    dependencies: set[str]
    property_dependencies: dict[str, set[str]]
    deleted_with: str
    delete_before_replace: bool
    ignore_changes: list[str]
    retain_on_delete: bool
    additional_secret_outputs: list[str]
    custom_timeouts: Any
    secret_inputs: set[str]  # input names the program passed as secrets
    provider: str  # the explicit provider reference, `urn::id`, or ""
    state: dict  # what the mock provider answered
    id: str = ""
    custom: bool = True  # a cloud resource (False: a component)
    wire_state: dict | None = None  # the state as answered, secrets still marked


@dataclass
class ProgramRun:
    resources: list[Registration]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    warnings: list[str]
    mocks: pulumi.runtime.Mocks
    error: BaseException | None = None

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> Registration:
        matches = [r for r in self.resources if r.name == name]
        assert len(matches) == 1, f"{len(matches)} resources named {name!r}: {[r.name for r in self.resources]}"
        return matches[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.resources if r.urn == urn)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, keeping each registration request so tests can read resource options."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def provide(self, request, urn: str, inputs: dict, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        """The id and state the engine hands back for a registration: here, what the mocks create."""
        return self.mocks.new_resource(args)

    def RegisterResource(self, request):
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = rpc.deserialize_properties(request.object) or {}
        args = pulumi_mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=inputs,
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        id_, state = self.provide(request, urn, unwrap_secrets(inputs), args)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_, state)
        response = resource_pb2.RegisterResourceResponse(
            urn=urn, id=id_, object=_sync_await(rpc.serialize_properties(state, {}))
        )
        raw_inputs = json_format.MessageToDict(request.object)
        self.registrations.append(
            Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                inputs=unwrap_secrets(inputs),
                parent=request.parent,
                dependencies=set(request.dependencies),
                property_dependencies={k: set(v.urns) for k, v in request.propertyDependencies.items()},
                deleted_with=request.deletedWith,
                delete_before_replace=request.deleteBeforeReplace,
                ignore_changes=list(request.ignoreChanges),
                retain_on_delete=request.retainOnDelete,
                additional_secret_outputs=list(request.additionalSecretOutputs),
                custom_timeouts=request.customTimeouts,
                secret_inputs={k for k, v in raw_inputs.items() if is_secret(v)},
                state=unwrap_secrets(state),
                provider=request.provider,
                id=id_,
                custom=bool(request.custom),
                wire_state=state,
            )
        )
        return response


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


# The address `make up` writes into allowedCidrs on a stack's first run.
MAKE_UP_ADDRESS = "192.0.2.10/32"


def stack_config(project: str = PROJECT, **overrides: Any) -> dict[str, str]:
    """Stack config as the CLI passes it: `project:key` to string (lists as JSON). A cluster stack is as
    `make up` leaves it, with allowedCidrs set to one address; `allowedCidrs=None` leaves it unset."""
    values: dict[str, Any] = {"allowedCidrs": [MAKE_UP_ADDRESS]} if project == PROJECT else {}
    values.update(overrides)
    config = {"aws:region": REGION}
    for key, value in values.items():
        if value is not None:
            config[f"{project}:{key}"] = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    return config


def _forget_failed_futures() -> None:
    """The outputs of a program that failed as expected hold the error in futures nobody reads; asyncio
    reports each when it is collected ("Future exception was never retrieved"), long after the test.
    They are collected here, with that report off: the error is the run's, and the test reads it."""
    reporter = logging.getLogger("asyncio")
    was, reporter.disabled = reporter.disabled, True
    try:
        gc.collect()
    finally:
        reporter.disabled = was


def run_program(
    config: dict[str, str] | None = None,
    expect_error: bool = False,
    *,
    program: Path = ROOT / "__main__.py",
    project: str = PROJECT,
    mocks: pulumi.runtime.Mocks | None = None,
    monitor: RecordingMonitor | None = None,
    secret_keys: tuple[str, ...] = (),
) -> ProgramRun:
    """Runs `program` as project `project` under the mock engine (by default: this stack, AWS mocks;
    `monitor` decides what the engine answers for each registration, tests/engine.py's for a later run;
    `secret_keys`: the config keys the stack keeps as secrets)."""
    if monitor is None:
        monitor = RecordingMonitor(mocks or ClusterMocks())
    mocks = monitor.mocks
    handler = _ListHandler()
    logger = logging.getLogger(f"pulumi-mock-{id(handler)}")
    logger.addHandler(handler)
    logger.propagate = False

    settings.set_root_resource(None)  # a fresh stack for every run
    pulumi.runtime.set_all_config(config if config is not None else stack_config(), list(secret_keys))
    pulumi.runtime.set_mocks(mocks, project=project, stack=STACK, preview=False, monitor=monitor, logger=logger)

    outputs: dict[str, Any] = {}
    secret_outputs: set[str] = set()
    error: BaseException | None = None

    @pulumi.runtime.test
    def execute():
        runpy.run_path(str(program), run_name="__main__")
        exports = dict(settings.get_root_resource().outputs)

        async def resolve():
            for name, value in exports.items():
                output = pulumi.Output.from_input(value)
                outputs[name] = await output.future()
                if await output.is_secret():
                    secret_outputs.add(name)

        return asyncio.ensure_future(resolve())

    try:
        execute()
    except Exception as caught:  # noqa: BLE001 - the caller decides whether an error was expected
        if not expect_error:
            raise
        error = caught
        _forget_failed_futures()
    if expect_error and error is None:
        raise AssertionError("the program ran without the expected error")
    return ProgramRun(monitor.registrations, outputs, secret_outputs, handler.messages, mocks, error)
