"""Runs the example's real program (`__main__.py`) under Pulumi's mock engine and records what it did.

`run_program(config, mocks)` executes the program afresh with one stack configuration; `mocks` stand in
for the cluster stack (the StackReference) and for Kubernetes. It returns a `ProgramRun`: every resource
registration (type, name, inputs, explicit provider), every stack output with its secret flag, and the
config keys the program asked for. Only the pulumi SDK is needed: the example's tests run from its own
virtual environment.
"""

from __future__ import annotations

import asyncio
import gc
import runpy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings

EXAMPLE_DIR = Path(__file__).resolve().parent.parent
PROJECT = "nginx-workload"
STACK = "dev"


def secret(value: Any) -> dict:
    """`value` marked secret, as the engine returns a secret output (a mock answers with it)."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def unwrap_secrets(value: Any) -> Any:
    """The plain value inside secret envelopes, at any depth."""
    if rpc.is_rpc_secret(value):
        return unwrap_secrets(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {key: unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(item) for item in value]
    return value


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    inputs: dict  # secrets unwrapped
    secret_inputs: set[str]  # input names the program passed as secrets
    provider: str  # the explicit provider reference, `urn::id`, or ""


@dataclass
class ProgramRun:
    resources: list[Registration]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    config_read: set[str]  # the `project:key` names the program looked up
    error: BaseException | None = None

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor (the mocks answer each registration), keeping what the program asked for."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = rpc.deserialize_properties(request.object) or {}
            self.registrations.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    inputs=unwrap_secrets(inputs),
                    secret_inputs={key for key, value in inputs.items() if rpc.is_rpc_secret(value)},
                    provider=request.provider,
                )
            )
        return response


class _RecordingConfig(dict):
    """The stack's config as the SDK holds it, noting each key the program looks up (set or not)."""

    def __init__(self, values: dict[str, str]):
        super().__init__(values)
        self.looked_up: set[str] = set()

    def __contains__(self, key: object) -> bool:
        self.looked_up.add(str(key))
        return super().__contains__(key)


def stack_config(**settings_: Any) -> dict[str, str]:
    """Stack config as the CLI passes it: `nginx-workload:key` to string; unset keys are left out (the
    program applies its own defaults: Pulumi.yaml's are not applied under the mock engine)."""
    return {f"{PROJECT}:{key}": str(value) for key, value in settings_.items() if value is not None}


def _root_cause(error: BaseException) -> BaseException:
    seen = {id(error)}
    while (inner := error.__cause__ or error.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        error = inner
    return error


def _forget_failed_futures(error: BaseException) -> None:
    """A program that failed as expected leaves futures behind that hold its error and that nobody reads:
    the run stops at the first, while every registration waiting on the failed value fails with it.
    asyncio reports each such future when it is collected ("Future exception was never retrieved"),
    which may be in a later test or after pytest's summary (some stay reachable until the interpreter
    exits). Those failed by this run's error are marked read here: the error is the run's, and the test
    reads it. Futures failed by anything else are left to report."""
    cause = _root_cause(error)
    for candidate in gc.get_objects():
        if isinstance(candidate, asyncio.Future) and candidate.done() and not candidate.cancelled():
            failure = candidate._exception  # read without marking it read, unlike exception()
            if failure is not None and _root_cause(failure) is cause:
                candidate.exception()


def run_program(config: dict[str, str], mocks: pulumi.runtime.Mocks, expect_error: bool = False) -> ProgramRun:
    """Runs the example's `__main__.py` as stack `nginx-workload/dev` with `config`, `mocks` answering."""
    monitor = RecordingMonitor(mocks)
    settings.set_root_resource(None)  # a fresh stack for every run
    pulumi.runtime.set_all_config(config)
    recording = _RecordingConfig(runtime_config.CONFIG.get())
    runtime_config.CONFIG.set(recording)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)

    outputs: dict[str, Any] = {}
    secret_outputs: set[str] = set()

    @pulumi.runtime.test
    def execute():
        runpy.run_path(str(EXAMPLE_DIR / "__main__.py"), run_name="__main__")
        exports = dict(settings.get_root_resource().outputs)

        async def resolve():
            for name, value in exports.items():
                output = pulumi.Output.from_input(value)
                outputs[name] = await output.future()
                if await output.is_secret():
                    secret_outputs.add(name)

        return asyncio.ensure_future(resolve())

    error: BaseException | None = None
    try:
        execute()
    except Exception as caught:  # noqa: BLE001 - the caller decides whether an error was expected
        if not expect_error:
            raise
        error = caught
        _forget_failed_futures(error)
    if expect_error and error is None:
        raise AssertionError("the program ran without the expected error")
    return ProgramRun(monitor.registrations, outputs, secret_outputs, recording.looked_up, error)
