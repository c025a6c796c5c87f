"""A model of what the Pulumi engine does with this program after its first `pulumi up`.

The mock engine runs the program once and answers every registration as a create. A stack lives
longer: `pulumi up` again (the same settings or new ones, `--refresh`, `--replace`, `--target`), and
`pulumi destroy`. This module replays those operations over the graph the program registers under the
mocks, with the engine's rules written out, so that a test can ask what a later run would do: which
resources it creates, updates, replaces or deletes, in what order, and which delete hooks run.

The rules, and where they are in the sources (pulumi/pulumi pkg/resource/deploy unless named):

- DIFF. A registered resource already in the state is compared input by input with the state's
  inputs, after each `ignore_changes` path is given the state's value (step_generator.go,
  processIgnoreChanges): no change is a "same" and the program sees the old outputs; a change is an
  "update", or a "replace" when a changed input is one the provider cannot update (FORCE_NEW). A
  resource in the state that the program no longer registers is deleted, after every registration
  (deployment_executor.go, performPostSteps then GenerateDeletes).
- COMMAND. pulumi-command replaces a remote Command when its `triggers` change (the SDK registers it
  with replace_on_changes=["triggers[*]"]); any other change, `connection` and `delete` included, runs
  its `create` again in place (pulumi-command remote/commandController.go, Update). A replaced or
  deleted Command runs its `delete` with its OLD inputs and connection (commandController.go, Delete).
- IGNORED ON REPLACE. The state's values of the `ignore_changes` paths are the new inputs: they are
  what a replacement is created with too, not the program's (step_generator.go: processIgnoreChanges
  runs before Check, whose inputs the create step takes).
- REPLACE. Create-before-delete: the new resource is created, what depends on it is updated by its own
  diff, and the old one is deleted among the deletes at the end of the run (step_generator.go,
  continueStepsFromDiff: NewCreateReplacementStep with pendingDelete; GenerateDeletes picks it up).
  With `delete_before_replace` the old one is deleted first (and dependents that must be replaced
  with it, calculateDependentReplacements: none of this program's, whose hooks carry no triggers).
- DELETE WAVES. Deletes run in antichains, one after another: a resource is deleted once everything
  that depends on it is gone (its provider, parent, dependencies, property dependencies and
  `deleted_with`: graph/dependency_graph.go, DependenciesOf), and all such at once
  (step_generator.go ScheduleDeletes; deployment_executor.go runs each antichain with
  ExecuteParallel and waits). `pulumi destroy` is this over the whole state.
- DELETED WITH. A resource whose `deleted_with` resource is deleted in the same run leaves the state
  without a call to its provider: a Command's delete hook does not run (step.go, isDeletedWith in
  DeleteStep.Apply).
- RETAIN. `retain_on_delete` is read from the STATE (step.go, DeleteStep.Apply: `s.old.RetainOnDelete`):
  the resource leaves the state and stays in AWS. A value set in the program counts from the next
  `up` that registers the resource, as do `force_destroy` and every other input a delete reads.
- REFRESH. `--refresh` reads every resource from its provider before any diff and writes what it
  reports into the state's inputs and outputs (deployment_executor.go refresh, step.go
  RefreshStep.Apply; pulumi-terraform-bridge ExtractInputsFromOutputs overwrites the inputs already
  present); a resource the provider no longer finds leaves the state. REFRESHED_INSTANCE is what EC2
  reports for an instance.
- TARGET. With `--target`, only the targeted resources get steps: the others are "same" and a new one
  is not created (step_generator.go, NewUntargetedSameStep, NewSkippedCreateStep). `--replace <urn>`
  replaces that resource whatever its diff and restricts nothing else (isTargetedReplace).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from pulumi.runtime import mocks as pulumi_mocks

from tests.envelope import unwrap_secrets
from tests.harness import ProgramRun, RecordingMonitor, Registration, run_program
from tests.mocks import Cloud, ClusterMocks

INSTANCE = "aws:ec2/instance:Instance"
POWER = "aws:ec2transitgateway/instanceState:InstanceState"
SUBNET = "aws:ec2/subnet:Subnet"
EIP = "aws:ec2/eip:Eip"
EIP_ASSOCIATION = "aws:ec2/eipAssociation:EipAssociation"
COMMAND = "command:remote:Command"

# The inputs whose change replaces a resource, by type: ForceNew in terraform-provider-aws's schemas,
# which pulumi-aws bridges (internal/service/<service>/<resource>.go, and CustomizeDiff where noted);
# replaceOnChanges in pulumi-command's schema; every input of a pulumi-tls key or certificate. "a.b" is
# field b of input a; "a?b": a, only while input b is true. Every custom type the program registers is
# listed (a test checks it), so that a type the model does not know cannot pass for one that never
# replaces.
FORCE_NEW: dict[str, tuple[str, ...]] = {
    INSTANCE: (
        "ami",
        "associatePublicIpAddress",
        "availabilityZone",
        "instanceMarketOptions",
        "keyName",
        "privateIp",
        "subnetId",
        "rootBlockDevice.encrypted",
        "rootBlockDevice.kmsKeyId",
        # user_data replaces only with user_data_replace_on_change (resourceInstance CustomizeDiff).
        "userData?userDataReplaceOnChange",
    ),
    EIP: ("domain", "address", "networkBorderGroup", "publicIpv4Pool"),
    EIP_ASSOCIATION: ("allocationId", "instanceId", "networkInterfaceId", "privateIpAddress"),
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    SUBNET: ("availabilityZone", "availabilityZoneId", "cidrBlock", "vpcId"),
    "aws:ec2/internetGateway:InternetGateway": (),
    "aws:ec2/routeTable:RouteTable": ("vpcId",),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("subnetId", "gatewayId"),
    "aws:ec2/securityGroup:SecurityGroup": ("name", "namePrefix", "description", "vpcId"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("securityGroupId",),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("securityGroupId",),
    "aws:ec2/keyPair:KeyPair": ("keyName", "keyNamePrefix", "publicKey"),
    "aws:ec2/tag:Tag": ("resourceId", "key"),
    POWER: ("instanceId",),
    "aws:iam/role:Role": ("name", "namePrefix", "path"),
    "aws:iam/rolePolicy:RolePolicy": ("name", "namePrefix", "role"),
    "aws:iam/instanceProfile:InstanceProfile": ("name", "namePrefix", "path"),
    # A Network Load Balancer's subnets replace it when one is removed (resourceLoadBalancerCustomizeDiff).
    "aws:lb/loadBalancer:LoadBalancer": ("name", "namePrefix", "internal", "loadBalancerType", "subnets-removed"),
    "aws:lb/targetGroup:TargetGroup": ("name", "namePrefix", "port", "protocol", "targetType", "vpcId"),
    "aws:lb/listener:Listener": ("loadBalancerArn",),
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": ("targetGroupArn", "targetId", "port", "availabilityZone"),
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ("bucket",),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ("bucket",),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ("bucket",),
    "aws:s3/bucketVersioning:BucketVersioning": ("bucket",),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ("bucket",),
    "aws:s3/bucketPolicy:BucketPolicy": ("bucket",),
    "pulumi:providers:aws": (),
    COMMAND: ("triggers",),
    "tls:index/privateKey:PrivateKey": ("*",),
    "tls:index/selfSignedCert:SelfSignedCert": ("*",),
    "tls:index/certRequest:CertRequest": ("*",),
    "tls:index/locallySignedCert:LocallySignedCert": ("*",),
}

# What EC2 answers for an instance in each state, which a refresh writes into the state
# (terraform-provider-aws ec2_instance.go, resourceInstanceRead: `associate_public_ip_address` is whether
# the primary network interface has an association, which a stopped instance has given back with its
# public address unless it holds an Elastic IP; a terminated instance is not found and leaves the state).
REFRESHED_INSTANCE = {
    "stopped": {"associatePublicIpAddress": False, "publicIp": "", "publicDns": ""},
    "running": {"associatePublicIpAddress": True},  # and the address it has now (Cloud)
}


@dataclass(frozen=True)
class Resource:
    """One resource of the stack's state, as the engine keeps it between runs."""

    urn: str
    type: str
    name: str
    id: str
    custom: bool
    inputs: dict  # plain values
    outputs: dict  # as the provider answered, secrets still marked
    parent: str
    dependencies: frozenset[str]  # every resource it depends on: explicit, through inputs, its provider
    deleted_with: str
    delete_before_replace: bool
    retain_on_delete: bool

    @classmethod
    def of(cls, registration: Registration) -> Resource:
        dependencies = set(registration.dependencies)
        for urns in registration.property_dependencies.values():
            dependencies |= urns
        if registration.provider:
            dependencies.add(registration.provider.rsplit("::", 1)[0])
        return cls(
            urn=registration.urn,
            type=registration.type,
            name=registration.name,
            id=registration.id,
            custom=registration.custom,
            inputs=registration.inputs,
            outputs=registration.wire_state or {},
            parent=registration.parent,
            dependencies=frozenset(dependencies),
            deleted_with=registration.deleted_with,
            delete_before_replace=registration.delete_before_replace,
            retain_on_delete=registration.retain_on_delete,
        )

    def depends_on(self) -> set[str]:
        """Whatever must outlive this resource: its dependencies, its parent and its deleted_with."""
        return {*self.dependencies, *(u for u in (self.parent, self.deleted_with) if u)}


@dataclass
class Stack:
    """The state after an operation, and what AWS holds beside it."""

    resources: dict[str, Resource]  # by URN, in the order they were registered
    cloud: Cloud
    config: dict[str, str]

    def named(self, name: str) -> Resource:
        (found,) = [r for r in self.resources.values() if r.name == name]
        return found

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.type == type_]


@dataclass
class Update:
    """What one `pulumi up` did."""

    steps: dict[str, str]  # URN -> same, create, update, replace, delete or skip (not targeted)
    operations: list[tuple[str, str]]  # (operation, URN) in the order the engine runs them
    hooks: list[str]  # the names of the Commands whose delete script ran, in order
    stack: Stack
    run: ProgramRun

    def names(self, step: str) -> list[str]:
        return [urn.rsplit("::", 1)[1] for urn, done in self.steps.items() if done == step]

    @property
    def changes(self) -> dict[str, str]:
        """Every resource the run touches, by name: what happens to it."""
        return {urn.rsplit("::", 1)[1]: done for urn, done in self.steps.items() if done not in ("same", "skip")}


@dataclass
class Teardown:
    """What `pulumi destroy` does: the delete waves, and which deletes reach no provider."""

    waves: list[list[Resource]]
    skipped: set[str] = field(default_factory=set)  # deleted with another: no provider call, no hook
    retained: set[str] = field(default_factory=set)  # left in AWS (retain_on_delete in the state)

    def wave_of(self, name: str) -> int:
        return next(i for i, wave in enumerate(self.waves) if any(r.name == name for r in wave))

    @property
    def hooks(self) -> list[str]:
        """The Commands whose delete script runs, in wave order."""
        return [
            r.name
            for wave in self.waves
            for r in wave
            if r.type == COMMAND and "delete" in r.inputs and r.urn not in self.skipped
        ]


# --- the diff ---------------------------------------------------------------------------------------


def _path(path: str) -> tuple[str, str | None]:
    """`key`, `key["sub"]` or `key.sub`: (key, sub)."""
    if path.endswith('"]') and '["' in path:
        key, sub = path[:-2].split('["', 1)
        return key, sub
    key, _, sub = path.partition(".")
    return key, sub or None


def _get(inputs: dict, path: str):
    key, sub = _path(path)
    value = inputs.get(key)
    return value.get(sub) if sub is not None and isinstance(value, dict) else value if sub is None else None


def with_ignored(new: dict, old: dict, ignore_changes: Iterable[str]) -> dict:
    """`new` with the state's value at each ignored path (processIgnoreChanges)."""
    effective = copy.deepcopy(new)
    for path in ignore_changes:
        key, sub = _path(path)
        if sub is None:
            if key in old:
                effective[key] = copy.deepcopy(old[key])
            else:
                effective.pop(key, None)
            continue
        inner = dict(effective.get(key) or {})
        if sub in (old.get(key) or {}):
            inner[sub] = copy.deepcopy(old[key][sub])
        else:
            inner.pop(sub, None)
        effective[key] = inner
    return effective


def changed_inputs(old: dict, new: dict) -> set[str]:
    return {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


def replaces(type_: str, old: dict, new: dict) -> list[str]:
    """The changed inputs that replace a resource of `type_` (FORCE_NEW)."""
    if type_ not in FORCE_NEW:
        raise KeyError(f"the engine model does not know which inputs of {type_} replace it: add it to FORCE_NEW")
    found = []
    for rule in FORCE_NEW[type_]:
        if rule == "*":
            return sorted(changed_inputs(old, new))
        path, _, only_if = rule.partition("?")
        if only_if and not new.get(only_if):
            continue
        if path == "subnets-removed":
            if set(old.get("subnets") or ()) - set(new.get("subnets") or ()):
                found.append("subnets")
        elif _get(old, path) != _get(new, path):
            found.append(path)
    return found


# --- one pulumi up ----------------------------------------------------------------------------------


def _next_id(old_id: str) -> str:
    """A replacement's id: AWS gives the new resource another one."""
    base, _, generation = old_id.partition("#")
    return f"{base}#{int(generation or 1) + 1}"


class ReplayMonitor(RecordingMonitor):
    """Answers each registration as the engine would, given the state of the previous run (DIFF,
    COMMAND, REPLACE, TARGET above): the old outputs for a "same", fresh ones for a create."""

    def __init__(self, mocks: ClusterMocks, previous: Stack, replace: set[str], targets: set[str] | None):
        super().__init__(mocks)
        self.previous = previous
        self.replace = replace
        self.targets = targets
        self.steps: dict[str, str] = {}
        self.inputs: dict[str, dict] = {}  # what the state keeps as each resource's inputs

    def provide(self, request, urn: str, inputs: dict, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        old = self.previous.resources.get(urn)
        if not request.custom:
            self.steps[urn] = "same" if old else "create"
            return "", {}
        if self.targets is not None and urn not in self.targets:
            self.steps[urn] = "skip" if old is None else "same"
            return (old.id, old.outputs) if old else ("", {})
        if old is None:
            self.steps[urn] = "create"
            return self.mocks.new_resource(args)
        effective = with_ignored(inputs, old.inputs, request.ignoreChanges)
        self.inputs[urn] = effective
        if urn in self.replace or replaces(request.type, old.inputs, effective):
            self.steps[urn] = "replace"
            args.inputs = effective  # IGNORED ON REPLACE
            return self.mocks.create(args, _next_id(old.id))
        if not changed_inputs(old.inputs, effective):
            self.steps[urn] = "same"
            return old.id, old.outputs
        self.steps[urn] = "update"
        state = {**old.outputs, **{key: args.inputs[key] for key in changed_inputs(old.inputs, effective)}}
        if request.type == COMMAND:  # its create runs again: what it prints now
            _, fresh = self.mocks.new_resource(args)
            state.update(stdout=fresh["stdout"], stderr=fresh["stderr"])
        for path in request.ignoreChanges:  # the state keeps what was there
            key, _ = _path(path)
            if key in old.outputs:
                state[key] = old.outputs[key]
        self.mocks.applied(request.type, old.id, unwrap_secrets(state))
        return old.id, state


def _refresh(stack: Stack) -> Stack:
    """REFRESH: what AWS reports now, written into the state."""
    resources: dict[str, Resource] = {}
    gone: set[str] = set()
    addresses = {r.outputs.get("allocationId"): unwrap_secrets(r.outputs).get("publicIp") for r in stack.of_type(EIP)}
    elastic_ips = {
        r.inputs["instanceId"]: addresses.get(r.inputs["allocationId"]) for r in stack.of_type(EIP_ASSOCIATION)
    }
    for urn, resource in stack.resources.items():
        if resource.type in (INSTANCE, POWER):
            instance_id = resource.id if resource.type == INSTANCE else resource.inputs["instanceId"]
            instance = stack.cloud.instances.get(instance_id)
            if instance is None or instance.state == "terminated":
                gone.add(urn)
                continue
            if resource.type == POWER:
                resource = _with(resource, state=instance.state)
            else:
                reported = dict(REFRESHED_INSTANCE[instance.state])
                address = elastic_ips.get(resource.id) or instance.public_ip
                if address or instance.state == "running":
                    # An Elastic IP stays associated while the instance is stopped.
                    reported |= {
                        "associatePublicIpAddress": True,
                        "publicIp": address,
                        "publicDns": _public_dns(address),
                    }
                resource = _with(resource, **reported)
        resources[urn] = resource
    return replace(stack, resources=resources)


def _with(resource: Resource, **values) -> Resource:
    """`resource` with these values in its state, among its inputs where they are inputs."""
    inputs = {**resource.inputs, **{k: v for k, v in values.items() if k in resource.inputs}}
    return replace(resource, inputs=inputs, outputs={**resource.outputs, **values})


def _public_dns(address: str) -> str:
    return f"ec2-{address.replace('.', '-')}.ap-south-1.compute.amazonaws.com" if address else ""


def delete_waves(resources: Iterable[Resource]) -> list[list[Resource]]:
    """DELETE WAVES over `resources`: each wave holds those that nothing left among them depends on."""
    left = {r.urn: r for r in resources}
    waves = []
    while left:
        held = {dependency for r in left.values() for dependency in r.depends_on()}
        wave = [r for urn, r in left.items() if urn not in held]
        assert wave, f"a dependency cycle among {sorted(left)}"
        waves.append(wave)
        for r in wave:
            del left[r.urn]
    return waves


def _without(cloud: Cloud, deleted: Iterable[Resource]) -> Cloud:
    """AWS after the run's deletes: deleted instances are terminated, deleted subnets gone (the mocks
    record what creates and updates leave)."""
    for resource in deleted:
        if resource.retain_on_delete:
            continue
        if resource.type == INSTANCE:
            cloud.instances.pop(resource.id, None)
        elif resource.type == SUBNET:
            cloud.subnets.pop(resource.id, None)
    return cloud


def up(
    config: dict[str, str],
    stack: Stack | None = None,
    *,
    refresh: bool = False,
    replace_urns: Iterable[str] = (),
    targets: Iterable[str] | None = None,
    expect_error: bool = False,
    mocks: ClusterMocks | None = None,
    environment: dict[str, str] | None = None,
) -> Update:
    """`pulumi up` with `config`: the first when `stack` is None, else a later one over its state;
    `environment`: variables the program sees beside its config (as make replace-node sets)."""
    stack = stack or Stack({}, Cloud(), config)
    if refresh:
        stack = _refresh(stack)
    cloud = copy.deepcopy(stack.cloud)  # this run's AWS; the stack before keeps its own
    if mocks is None:
        mocks = ClusterMocks(cloud=cloud)
    else:
        mocks.cloud = cloud
    monitor = ReplayMonitor(mocks, stack, set(replace_urns), None if targets is None else set(targets))
    saved = dict(os.environ)
    os.environ.update(environment or {})
    try:
        run = run_program(config, expect_error=expect_error, monitor=monitor)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    registered = {r.urn: Resource.of(r) for r in run.resources}
    registered |= {urn: replace(registered[urn], inputs=inputs) for urn, inputs in monitor.inputs.items()}
    steps = dict(monitor.steps)
    if run.error is not None:  # nothing is registered after the error: the engine deletes nothing
        return Update(steps, [], [], stack, run)
    kept = {urn: r for urn, r in registered.items() if steps[urn] != "skip"}
    removed = [r for urn, r in stack.resources.items() if urn not in registered]
    if targets is not None:  # resources left out of the program are deleted only when targeted
        kept |= {r.urn: r for r in removed if r.urn not in set(targets)}
        removed = [r for r in removed if r.urn in set(targets)]
    for r in removed:
        steps[r.urn] = "delete"

    operations: list[tuple[str, str]] = []
    hooks: list[str] = []
    replaced_later: list[Resource] = []
    doomed_urns = {r.urn for r in removed} | {u for u, s in steps.items() if s == "replace"}
    for urn, step in monitor.steps.items():
        if step == "replace":
            old = stack.resources[urn]
            if old.delete_before_replace:
                operations.append(("delete", urn))
                hooks += _hook(old, doomed_urns)
            else:
                replaced_later.append(old)
            operations.append(("create", urn))
        elif step in ("create", "update"):
            operations.append((step, urn))
    for wave in delete_waves([*removed, *replaced_later]):
        for resource in wave:
            operations.append(("delete", resource.urn))
            hooks += _hook(resource, doomed_urns)

    after = Stack(kept, _without(cloud, [*removed, *replaced_later]), config)
    return Update(steps, operations, hooks, after, run)


def _hook(resource: Resource, deleted: set[str]) -> list[str]:
    """The Command's delete hook, unless DELETED WITH skips it."""
    if resource.type != COMMAND or "delete" not in resource.inputs:
        return []
    return [] if resource.deleted_with in deleted else [resource.name]


def destroy(stack: Stack) -> Teardown:
    """`pulumi destroy`: every resource of the state, in DELETE WAVES."""
    resources = list(stack.resources.values())
    urns = {r.urn for r in resources}
    return Teardown(
        delete_waves(resources),
        skipped={r.urn for r in resources if r.deleted_with in urns},
        retained={r.urn for r in resources if r.retain_on_delete},
    )
