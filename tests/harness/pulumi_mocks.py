"""Run a layer's real ``__main__.py`` under Pulumi's mocks and record what it declares.

Each run is isolated: runtime settings, config and the root stack are reset, and the
project's own modules are purged, so nothing leaks from one program into the next. Mocks
return realistic state (ARNs, stream ARN, invoke ARN, queue URL, stage URL) and answer the
invokes the programs use; an invoke they do not know fails the run, naming its token.
"""

import json
import runpy
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.config import _SECRET_KEYS, CONFIG
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from shared.stack_config import REPO_ROOT, STACKS_DIR, project_config
from tests.harness.aws_state import AwsState

ACCOUNT_DIR = REPO_ROOT / "account"  # the region's API Gateway account settings


@dataclass
class Resource:
    """One registered resource: inputs after the stack transforms, state as the mock returned."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    inputs: dict[str, Any]
    state: dict[str, Any]
    dependencies: list[str]
    protect: bool
    retain_on_delete: bool
    provider: str
    id: str = ""  # the physical id the mock gave it (what other resources' inputs refer to)
    # input name → URNs of the resources its value comes from (as the engine tracks them)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ProgramRun:
    """What one program declared: its resources, its invokes and its resolved exports."""

    layer: str
    stack: str
    resources: list[Resource]
    invokes: list[tuple[str, dict[str, Any]]]
    outputs: dict[str, Any]
    invoke_providers: list[tuple[str, str]] = field(default_factory=list)
    secret_outputs: set[str] = field(default_factory=set)

    def of_type(self, type_token: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> Resource:
        """The single resource of ``type_token`` (and logical ``name``); fails otherwise."""
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        assert len(found) == 1, (
            f"expected one {type_token} {name or ''} in {self.layer}, found "
            f"{[r.name for r in found]}"
        )
        return found[0]

    def by_urn(self, urn: str) -> Resource:
        return next(r for r in self.resources if r.urn == urn)


class _RecordingMonitor(mocks.MockMonitor):
    """The mock monitor, plus what it drops: resource options and the stack transforms."""

    def __init__(self, aws: AwsState) -> None:
        super().__init__(aws)
        self.aws = aws
        self.records: list[Resource] = []
        self.invokes: list[tuple[str, dict[str, Any]]] = []
        self.invoke_providers: list[tuple[str, str]] = []  # (token, provider) of each invoke

    def RegisterResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        mocks._ensure_event_loop()
        inputs = rpc.deserialize_properties(request.object)
        # The engine runs stack transforms before registration; the mock monitor does not.
        opts = pulumi.ResourceOptions()
        for transform in self._stack_transforms:
            result = transform(pulumi.ResourceTransformArgs(
                custom=request.custom, type_=request.type, name=request.name, props=inputs,
                opts=opts))
            if result is not None:
                inputs, opts = result.props, result.opts
        resource_id, state = self.aws.new_resource(mocks.MockResourceArgs(
            typ=request.type, name=request.name, inputs=inputs, provider=request.provider,
            resource_id=request.importId, custom=request.custom or False))
        self.records.append(Resource(
            urn=urn, type=request.type, name=request.name, custom=request.custom,
            parent=request.parent, inputs=inputs, state=state,
            dependencies=list(request.dependencies), protect=request.protect,
            retain_on_delete=request.retainOnDelete,
            provider=_provider_name(opts.provider) or request.provider,
            id=resource_id, property_dependencies={
                key: list(value.urns) for key, value in request.propertyDependencies.items()}))
        self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, resource_id, state)
        state_proto = _sync_await(rpc.serialize_properties(state, {}))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=state_proto)

    def ReadResource(self, request):
        response = super().ReadResource(request)
        state = rpc.deserialize_properties(response.properties)
        self.records.append(Resource(
            urn=response.urn, type=request.type, name=request.name, custom=True,
            parent=request.parent, inputs=rpc.deserialize_properties(request.properties),
            state=state, dependencies=list(request.dependencies), protect=False,
            retain_on_delete=False, provider=request.provider, id=request.id))
        return response

    def Invoke(self, request):
        args = rpc.deserialize_properties(request.args)
        self.invokes.append((request.tok, args))
        # As for resources, the engine would run the stack's invoke transforms.
        opts = pulumi.InvokeOptions()
        for transform in self._stack_invoke_transforms:
            result = transform(pulumi.InvokeTransformArgs(request.tok, args, opts))
            if result is not None:
                opts = result.opts
        self.invoke_providers.append((request.tok,
                                      _provider_name(opts.provider) or request.provider))
        return super().Invoke(request)


def _provider_name(provider: Any) -> str:
    """``pulumi:providers:aws::<name>`` of an explicit provider a transform set, else ``""``."""
    if provider is None:
        return ""
    return f"pulumi:providers:{provider.package}::{provider._name}"


def _purge_project_modules() -> None:
    for name, module in list(sys.modules.items()):
        module_file = getattr(module, "__file__", None) or ""
        if module_file.startswith((str(STACKS_DIR), str(ACCOUNT_DIR))):
            del sys.modules[name]


def run_program(
    program: Callable[[], None],
    *,
    project: str,
    stack: str = "dev",
    config: dict[str, str] | None = None,
    upstream: dict[str, dict[str, Any]] | None = None,
    organization: str | None = None,
) -> ProgramRun:
    """Run ``program`` as the Pulumi program of ``project``/``stack`` under the mocks.

    ``config`` holds fully-qualified keys (``fraud:azCount``); ``upstream`` maps fully-qualified
    stack names (``org/project/stack``) to the outputs their StackReferences return.
    """
    aws = AwsState(stack_outputs=upstream or {})
    monitor = _RecordingMonitor(aws)
    settings.reset_options(project=project, stack=stack, organization=organization)
    mocks.set_mocks(aws, project=project, stack=stack, preview=False, monitor=monitor,
                    organization=organization)
    settings.set_root_resource(None)  # run_in_stack makes the root stack, as the CLI does
    CONFIG.set(dict(config or {}))
    _SECRET_KEYS.set(set())
    roots: list[Any] = []

    def in_stack() -> None:
        roots.append(settings.get_root_resource())
        program()

    _sync_await(run_in_stack(in_stack))
    exports = roots[0].outputs
    outputs = _sync_await(pulumi.Output.from_input(exports).future()) or {}
    secret_outputs = {name for name, value in exports.items()
                      if isinstance(value, pulumi.Output) and _sync_await(value.is_secret())}
    return ProgramRun(layer=project, stack=stack, resources=monitor.records,
                      invokes=monitor.invokes, outputs=outputs, secret_outputs=secret_outputs,
                      invoke_providers=monitor.invoke_providers)


def run_layer(
    layer: str,
    *,
    stack: str = "dev",
    config: dict[str, str] | None = None,
    upstream: dict[str, dict[str, Any]] | None = None,
    organization: str | None = None,
) -> ProgramRun:
    """Run ``stacks/<layer>/__main__.py``, with its Pulumi.yaml config defaults applied."""
    return run_project(STACKS_DIR / layer, stack=stack, config=config, upstream=upstream,
                       organization=organization)


def run_project(
    project_dir: Path,
    *,
    stack: str = "dev",
    config: dict[str, str] | None = None,
    upstream: dict[str, dict[str, Any]] | None = None,
    organization: str | None = None,
) -> ProgramRun:
    """Run the Pulumi project in ``project_dir`` (named as its folder) under the mocks."""
    _purge_project_modules()
    sys.path.insert(0, str(project_dir))
    defaults = {key: str(value) for key, value in project_config(project_dir).items()}
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"]
    try:
        return run_program(
            lambda: runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__"),
            project=project, stack=stack, config={**defaults, **(config or {})},
            upstream=upstream, organization=organization)
    finally:
        sys.path.remove(str(project_dir))
        _purge_project_modules()


def policy_document(value: Any) -> dict[str, Any]:
    """An IAM policy as a dict, whether the program passed JSON text or a dict."""
    return json.loads(value) if isinstance(value, str) else value
