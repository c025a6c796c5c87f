"""The kubeadm configurations the chain renders, read back as the remote shell sees them."""

import yaml

from components import versions
from components.cluster import pki
from tests.graph import CP, cluster
from tests.harness import run_program, stack_config
from tests.remote import script_of, variable


def init_documents(run):
    script = script_of(run.named(f"{CP}-kubeadm-init").inputs["create"])
    return {doc["kind"]: doc for doc in yaml.safe_load_all(variable(script, "KUBEADM_CONFIG"))}


def test_init_configuration_parses_and_carries_the_clusters_settings():
    run = cluster()
    docs = init_documents(run)
    eip, eip_dns = run.outputs["controlPlanePublicIp"], run.outputs["controlPlanePublicDns"]
    private_ip = run.outputs["controlPlanePrivateIp"]
    init, cluster_config = docs["InitConfiguration"], docs["ClusterConfiguration"]
    assert init["apiVersion"] == cluster_config["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert init["localAPIEndpoint"]["advertiseAddress"] == private_ip
    assert init["nodeRegistration"]["criSocket"] == "unix:///run/containerd/containerd.sock"
    assert init["nodeRegistration"]["name"] == CP
    assert init["nodeRegistration"]["kubeletExtraArgs"] == [
        {"name": "node-ip", "value": private_ip},
        {"name": "cloud-provider", "value": "external"},
        {"name": "provider-id", "value": f"aws:///ap-south-1a/{CP}-id"},
    ]
    assert {eip, eip_dns, private_ip} <= set(cluster_config["apiServer"]["certSANs"])
    assert cluster_config["controlPlaneEndpoint"] == f"{eip_dns}:6443"
    assert cluster_config["networking"] == {"podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12"}
    assert cluster_config["kubernetesVersion"] == f"stable-{versions.DEFAULT_KUBERNETES_MINOR}"
    assert docs["KubeletConfiguration"]["cgroupDriver"] == "systemd"


def test_init_configuration_follows_the_settings():
    run = run_program(
        stack_config(
            workerCount=0,
            awsIntegration=False,
            podCidr="192.168.0.0/16",
            serviceCidr="10.128.0.0/16",
            kubernetesVersion="1.35",
        )
    )
    cluster_config = init_documents(run)["ClusterConfiguration"]
    assert cluster_config["networking"] == {"podSubnet": "192.168.0.0/16", "serviceSubnet": "10.128.0.0/16"}
    assert cluster_config["kubernetesVersion"] == "stable-1.35"


def test_join_configuration_pins_the_ca_and_uses_the_private_endpoint():
    run = cluster()
    config = yaml.safe_load(run.named("kubeadm-lab-worker-1-join").inputs["stdin"])
    assert config["apiVersion"] == "kubeadm.k8s.io/v1beta4" and config["kind"] == "JoinConfiguration"
    discovery = config["discovery"]["bootstrapToken"]
    assert discovery["apiServerEndpoint"] == f"{run.outputs['controlPlanePublicDns']}:6443"
    assert discovery["caCertHashes"] == [pki.discovery_hash(run.named("pki-ca").state["certPem"])]
    registration = config["nodeRegistration"]
    assert registration["name"] == "kubeadm-lab-worker-1"
    assert registration["criSocket"] == "unix:///run/containerd/containerd.sock"
    assert registration["kubeletExtraArgs"] == [
        {"name": "node-ip", "value": run.outputs["workerPrivateIps"][0]},
        {"name": "cloud-provider", "value": "external"},
        {"name": "provider-id", "value": "aws:///ap-south-1a/kubeadm-lab-worker-1-id"},
    ]


def test_without_aws_integration_the_kubelet_has_no_cloud_provider():
    run = run_program(stack_config(awsIntegration=False))
    init = init_documents(run)["InitConfiguration"]
    assert init["nodeRegistration"]["kubeletExtraArgs"] == [
        {"name": "node-ip", "value": run.outputs["controlPlanePrivateIp"]}
    ]
    join = yaml.safe_load(run.named("kubeadm-lab-worker-1-join").inputs["stdin"])
    assert [a["name"] for a in join["nodeRegistration"]["kubeletExtraArgs"]] == ["node-ip"]
    init_script = script_of(run.named(f"{CP}-kubeadm-init").inputs["create"])
    assert variable(init_script, "CLOUD_PROVIDER") == "none"
