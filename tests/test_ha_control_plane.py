"""Several control planes under the mock engine: the refusals, the zones, the load balancers and their
rules, the endpoint in every kubeadm document and kubeconfig, the join order, the readiness gate, the
removal hooks and the upgrade order, for 1, 3 and 5 control planes."""

import functools

import pytest
import yaml

from tests.graph import CP, chain_depth, commands, depends_on
from tests.harness import run_program, stack_config
from tests.kubeadm_fields import assert_known_fields
from tests.mocks import ClusterMocks
from tests.remote import script_of, variable
from tests.test_kubeadm_config import init_documents
from tests.test_phases_control_plane import bundle_of

INSTANCE = "aws:ec2/instance:Instance"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


@functools.cache
def ha(control_planes: int = 3, workers: int = 2):
    return run_program(stack_config(controlPlaneCount=control_planes, workerCount=workers))


def control_plane_names(count: int) -> list[str]:
    return [CP] + [f"{CP}-{i}" for i in range(2, count + 1)]


def balancers(run) -> dict[str, str]:
    """scheme -> DNS name."""
    return {
        ("internal" if lb.inputs["internal"] else "public"): lb.state["dnsName"] for lb in run.of_type(LOAD_BALANCER)
    }


@pytest.mark.parametrize("count", ["2", "4", "0", "7", "three"])
def test_an_even_or_other_count_is_refused_by_key_before_any_resource(count):
    run = run_program(stack_config(controlPlaneCount=count), expect_error=True)
    assert "kubeadm-aws:controlPlaneCount" in str(run.error) and "one of 1, 3, 5" in str(run.error)
    assert "majority" in str(run.error)
    assert run.resources == []


@pytest.mark.parametrize("live, wanted, refused", [
    ({CP}, 3, "cannot move it behind a load balancer"),
    ({CP, f"{CP}-2", f"{CP}-3"}, 1, "cannot go back to one"),
    ({CP, f"{CP}-2", f"{CP}-3"}, 5, None),
    ({CP, f"{CP}-2", f"{CP}-3", f"{CP}-4", f"{CP}-5"}, 3, None),
    (set(), 5, None),
], ids=["1-to-3", "3-to-1", "3-to-5", "5-to-3", "new"])  # fmt: skip
def test_moving_a_live_cluster_between_one_and_several_control_planes_is_refused_before_anything(live, wanted, refused):
    mocks = ClusterMocks(live_instances=frozenset(live))
    run = run_program(stack_config(controlPlaneCount=wanted), mocks=mocks, expect_error=bool(refused))
    if refused:
        assert "kubeadm-aws:controlPlaneCount" in str(run.error) and refused in str(run.error)
        assert run.resources == []
    else:
        assert run.error is None and len(run.of_type(INSTANCE)) == wanted + 2


@pytest.mark.parametrize("count", [1, 3, 5])
def test_control_planes_land_in_different_zones_and_workers_follow_in_turn(count):
    run = ha(count, workers=4)
    subnets = {i.name: i.inputs["subnetId"] for i in run.of_type(INSTANCE)}
    created = [s.name for s in run.of_type("aws:ec2/subnet:Subnet")]
    zones = {s.name: s.inputs["availabilityZone"] for s in run.of_type("aws:ec2/subnet:Subnet")}
    if count == 1:
        assert created == ["network-public"] and set(subnets.values()) == {"network-public-id"}
        return
    assert sorted(created) == ["network-public", "network-public-2", "network-public-3"]
    assert len(set(zones.values())) == 3
    names = control_plane_names(count)
    assert len({subnets[name] for name in names[:3]}) == 3  # the first three in three zones
    workers = [subnets[f"kubeadm-lab-worker-{i}"] for i in range(1, 5)]
    assert workers == ["network-public-2-id", "network-public-3-id", "network-public-id", "network-public-2-id"]


def test_a_node_stays_in_its_subnet_when_the_list_of_subnets_changes():
    for instance in ha().of_type(INSTANCE):
        assert "subnetId" in instance.ignore_changes or "subnet_id" in instance.ignore_changes, instance.name


def test_existing_subnets_spread_the_nodes_and_the_single_id_still_works():
    run = run_program(
        stack_config(existingVpcId="vpc-0existing", existingSubnetIds=["subnet-0public", "subnet-0public2"],
                     controlPlaneCount=3)
    )  # fmt: skip
    subnets = {i.name: i.inputs["subnetId"] for i in run.of_type(INSTANCE)}
    assert [subnets[name] for name in control_plane_names(3)] == ["subnet-0public", "subnet-0public2", "subnet-0public"]
    assert run.outputs["subnetIds"] == ["subnet-0public", "subnet-0public2"]
    single = run_program(stack_config(existingVpcId="vpc-0existing", existingSubnetId="subnet-0public"))
    assert single.outputs["subnetIds"] == ["subnet-0public"]


def test_both_subnet_settings_at_once_are_refused():
    run = run_program(
        stack_config(existingVpcId="vpc-0existing", existingSubnetId="subnet-0public",
                     existingSubnetIds=["subnet-0public2"]),
        expect_error=True,
    )  # fmt: skip
    assert "kubeadm-aws:existingSubnetIds" in str(run.error) and "not both" in str(run.error)


def test_one_control_plane_has_no_load_balancer_and_keeps_its_endpoint():
    run = ha(1)
    assert not run.of_type(LOAD_BALANCER) and not run.of_type(ATTACHMENT)
    cluster_config = init_documents(run)["ClusterConfiguration"]
    assert cluster_config["controlPlaneEndpoint"] == f"{run.outputs['controlPlanePublicDns']}:6443"
    assert run.outputs["apiServerEndpoint"] == f"https://{run.outputs['controlPlanePublicIp']}:6443"


def test_an_internal_and_a_public_network_load_balancer_forward_6443_to_healthy_api_servers():
    run = ha()
    lbs = {lb.inputs["internal"]: lb for lb in run.of_type(LOAD_BALANCER)}
    assert set(lbs) == {True, False}
    for lb in lbs.values():
        assert lb.inputs["loadBalancerType"] == "network"
        assert lb.inputs["subnets"] == ["network-public-id", "network-public-2-id", "network-public-3-id"]
        assert lb.inputs["securityGroups"] == ["api-api-id"]
    for group in run.of_type(TARGET_GROUP):
        assert (group.inputs["port"], group.inputs["protocol"], group.inputs["targetType"]) == (6443, "TCP", "ip")
        assert group.inputs["preserveClientIp"] == "false"  # a control plane may reach itself through it
        check = group.inputs["healthCheck"]
        assert (check["protocol"], check["path"], check["port"]) == ("HTTPS", "/readyz", "6443")
        # AWS refuses a timeout that is not below the interval, and its HTTPS default (10 s) is not.
        assert check["timeout"] < check["interval"]
    listeners = run.of_type("aws:lb/listener:Listener")
    assert sorted((lst.inputs["port"], lst.inputs["protocol"]) for lst in listeners) == [(6443, "TCP")] * 2


def test_every_control_plane_is_a_target_of_both_once_it_has_joined_and_the_first_before_init():
    run = ha(5)
    attachments = run.of_type(ATTACHMENT)
    ips = dict(zip(control_plane_names(5), run.outputs["controlPlanePrivateIps"], strict=True))
    for name, ip in ips.items():
        mine = [a for a in attachments if a.name.startswith(f"{name}-api-")]
        assert len(mine) == 2 and {a.inputs["targetId"] for a in mine} == {ip}, name
        if name != CP:
            assert all(depends_on(run, a, f"{name}-registered") for a in mine)
    init = run.named(f"{CP}-kubeadm-init")
    assert depends_on(run, init, f"{CP}-api-internal") and depends_on(run, init, f"{CP}-api-public")


def test_the_load_balancers_admit_only_the_allowed_cidrs_and_the_nodes():
    run = ha()
    rules = [r for r in run.of_type(INGRESS) if r.inputs["securityGroupId"] == "api-api-id"]
    sources = sorted(r.inputs.get("cidrIpv4") or r.inputs["referencedSecurityGroupId"] for r in rules)
    assert sources == ["192.0.2.10/32", "security-nodes-id"]
    assert all((r.inputs["fromPort"], r.inputs["toPort"]) == (6443, 6443) for r in rules)
    (into_control_planes,) = [
        r for r in run.of_type(INGRESS) if r.inputs.get("referencedSecurityGroupId") == "api-api-id"
    ]
    assert into_control_planes.inputs["securityGroupId"] == "security-control-plane-id"


def test_init_waits_longer_for_api_calls_only_behind_a_load_balancer():
    init = init_documents(ha())["InitConfiguration"]
    assert_known_fields(init)
    assert init["timeouts"] == {"kubernetesAPICall": "5m0s"}
    assert "timeouts" not in init_documents(ha(1))["InitConfiguration"]


def test_the_endpoint_is_the_internal_load_balancer_for_nodes_and_the_public_one_for_people():
    run = ha()
    dns = balancers(run)
    cluster_config = init_documents(run)["ClusterConfiguration"]
    assert cluster_config["controlPlaneEndpoint"] == f"{dns['internal']}:6443"
    assert {dns["internal"], dns["public"]} <= set(cluster_config["apiServer"]["certSANs"])
    for node in ["kubeadm-lab-worker-1", f"{CP}-2"]:
        stdin = run.named(f"{node}-join").inputs["stdin"]
        config = yaml.safe_load(bundle_of(stdin)["kubeadm-join.yaml"][1] if node.startswith(CP) else stdin)
        assert config["discovery"]["bootstrapToken"]["apiServerEndpoint"] == f"{dns['internal']}:6443"
    assert run.outputs["apiServerEndpoint"] == f"https://{dns['public']}:6443"
    kubeconfig = yaml.safe_load(run.outputs["kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == f"https://{dns['public']}:6443"
    workload = yaml.safe_load(run.outputs["workloadKubeconfig"])
    assert workload["clusters"][0]["cluster"]["server"] == f"https://{dns['public']}:6443"


def test_a_joining_control_plane_gets_the_stacks_keys_and_its_join_configuration_on_stdin():
    run = ha()
    join = run.named(f"{CP}-2-join")
    assert "stdin" in join.secret_inputs and {"stdout", "stderr"} <= set(join.additional_secret_outputs)
    bundle = bundle_of(join.inputs["stdin"])
    assert {"ca.key", "etcd/ca.key", "front-proxy-ca.key", "sa.key", "encryption-config.yaml"} <= set(bundle)
    assert bundle["kubeadm-join.yaml"][0] == "0600"
    config = yaml.safe_load(bundle["kubeadm-join.yaml"][1])
    assert_known_fields(config)
    ip = run.outputs["controlPlanePrivateIps"][1]
    assert config["controlPlane"] == {"localAPIEndpoint": {"advertiseAddress": ip, "bindPort": 6443}}
    assert "certificateKey" not in config["controlPlane"]  # the keys are there before the join
    script = script_of(join.inputs["create"])
    assert "BEGIN" not in script and variable(script, "NODE_NAME") == f"{CP}-2"


def test_control_planes_join_one_at_a_time_after_the_first_is_ready():
    run = ha(5)
    assert depends_on(run, run.named(f"{CP}-2-join"), f"{CP}-upgrade")
    for i in range(3, 6):
        assert depends_on(run, run.named(f"{CP}-{i}-join"), f"{CP}-{i - 1}-join")
        assert not depends_on(run, run.named(f"{CP}-{i - 1}-join"), f"{CP}-{i}-join")


def test_the_chain_grows_by_at_most_one_step_per_extra_control_plane():
    def bootstrap_depth(run):
        return chain_depth(run, only={n for n in commands(run) if not n.endswith(("-upgrade", "-for-upgrade"))})

    one, three, five = (bootstrap_depth(ha(n)) for n in (1, 3, 5))
    assert three - one <= 2 and five - three <= 2  # two extra control planes each time


def test_the_readiness_gate_waits_for_every_control_plane_as_a_healthy_etcd_member():
    run = ha(5)
    gate = run.named("kubeadm-lab-ready")
    script = script_of(gate.inputs["create"])
    assert variable(script, "ETCD_MEMBERS").split() == control_plane_names(5)
    assert set(control_plane_names(5)) <= set(variable(script, "NODE_NAMES").split())
    for name in control_plane_names(5)[1:]:
        assert depends_on(run, gate, f"{name}-registered")


def test_removing_a_control_plane_removes_its_etcd_member_and_node_on_the_first():
    run = ha()
    registered = run.named(f"{CP}-3-registered")
    hook = script_of(registered.inputs["delete"])
    assert variable(hook, "ETCD_MEMBER") == f"{CP}-3" and variable(hook, "NODE_NAME") == f"{CP}-3"
    worker_hook = script_of(run.named("kubeadm-lab-worker-1-registered").inputs["delete"])
    assert variable(worker_hook, "ETCD_MEMBER") == "none"


def test_the_other_control_planes_are_upgraded_one_at_a_time_before_the_workers():
    run = ha(3)
    assert depends_on(run, run.named(f"{CP}-3-drain-for-upgrade"), f"{CP}-2-uncordon-after-upgrade")
    assert depends_on(run, run.named("kubeadm-lab-worker-1-drain-for-upgrade"), f"{CP}-3-uncordon-after-upgrade")


def test_other_control_planes_are_reached_through_the_first_and_have_no_elastic_ip():
    run = ha()
    assert [e.name for e in run.of_type("aws:ec2/eip:Eip")] == [f"{CP}-eip"]
    join = run.named(f"{CP}-2-join")
    assert join.inputs["connection"]["proxy"]["host"] == run.outputs["controlPlanePublicIp"]
    assert "ProxyCommand" in run.outputs["sshCommands"][f"{CP}-2"]
    groups = {i.name: i.inputs["vpcSecurityGroupIds"] for i in run.of_type(INSTANCE)}
    assert groups[f"{CP}-2"] == ["security-nodes-id", "security-control-plane-id"]


def test_the_encryption_step_asks_every_api_server_after_every_control_plane_has_joined():
    run = ha(3)
    step = run.named(f"{CP}-secrets-encryption")
    assert variable(script_of(step.inputs["create"]), "API_SERVERS").split() == run.outputs["controlPlanePrivateIps"]
    for name in control_plane_names(3)[1:]:
        assert depends_on(run, step, f"{name}-join")


def test_only_a_highly_available_first_control_plane_asks_the_others_and_it_asks_each_directly():
    run = ha()
    script = script_of(run.named(f"{CP}-kubeadm-init").inputs["create"])
    assert variable(script, "OTHER_CONTROL_PLANE_IPS").split() == run.outputs["controlPlanePrivateIps"][1:]
    assert variable(script, "API_SERVER_PORT") == "6443" and variable(script, "ETCD_CLIENT_PORT") == "2379"
    single = script_of(ha(1).named(f"{CP}-kubeadm-init").inputs["create"])
    assert variable(single, "OTHER_CONTROL_PLANE_IPS") == "none"


def test_a_replaced_first_control_plane_would_join_the_others_with_a_configuration_of_its_own():
    run = ha(3)
    script = script_of(run.named(f"{CP}-kubeadm-init").inputs["create"])
    config = yaml.safe_load(variable(script, "REJOIN_CONFIG"))
    assert_known_fields(config)
    assert config["discovery"]["bootstrapToken"]["token"] == "REJOIN-TOKEN"  # minted on the node
    assert config["discovery"]["bootstrapToken"]["apiServerEndpoint"] == f"{balancers(run)['internal']}:6443"
    assert config["controlPlane"]["localAPIEndpoint"]["advertiseAddress"] == run.outputs["controlPlanePrivateIp"]
    assert variable(script, "OTHER_CONTROL_PLANE_IPS").split() == run.outputs["controlPlanePrivateIps"][1:]
    single = script_of(ha(1).named(f"{CP}-kubeadm-init").inputs["create"])
    assert variable(single, "OTHER_CONTROL_PLANE_IPS") == variable(single, "REJOIN_CONFIG") == "none"
