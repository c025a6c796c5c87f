"""A kubeadm Kubernetes cluster on EC2: wiring and exports only; the work is in components/."""

import pulumi

from components import config
from components.bootstrap import KubeadmBootstrap
from components.keys import SshKeyPair
from components.network import Network
from components.nodes import LOGIN_USER, ClusterNodes
from components.pki import ClusterPki
from components.security import ClusterSecurityGroup

cfg = config.load()  # validates every setting before any resource is registered

ssh_key = SshKeyPair("ssh", cfg.cluster_name)
network = Network("network", cfg)
security_group = ClusterSecurityGroup("security", cfg, vpc_id=network.vpc_id)
nodes = ClusterNodes(
    "nodes",
    cfg,
    subnet_id=network.subnet_id,
    security_group_id=security_group.security_group_id,
    key_name=ssh_key.key_name,
)
pki = ClusterPki("pki", cfg.cluster_name)
bootstrap = KubeadmBootstrap("kubeadm", cfg, nodes, pki, ssh_private_key=ssh_key.private_key_openssh)


def ssh_command(address: pulumi.Output[str]) -> pulumi.Output[str]:
    return pulumi.Output.concat("ssh -i kubeadm-aws.pem ", LOGIN_USER, "@", address)


pulumi.export("kubeconfig", bootstrap.kubeconfig)
pulumi.export("apiServerEndpoint", bootstrap.api_server_endpoint)
pulumi.export("clusterName", cfg.cluster_name)
pulumi.export("kubernetesVersion", cfg.kubernetes_version)
pulumi.export("cni", cfg.cni)
pulumi.export("nodeNames", bootstrap.node_names)
pulumi.export("sshPrivateKey", ssh_key.private_key_openssh)
pulumi.export("controlPlanePublicIp", nodes.control_plane.public_ip)
pulumi.export("controlPlanePrivateIp", nodes.control_plane.private_ip)
pulumi.export("controlPlanePublicDns", nodes.control_plane.public_dns)
pulumi.export("workerPublicIps", [w.public_ip for w in nodes.workers])
pulumi.export("workerPrivateIps", [w.private_ip for w in nodes.workers])
pulumi.export("sshCommands", {n.name: ssh_command(n.public_ip) for n in [nodes.control_plane, *nodes.workers]})
pulumi.export("securityGroupId", security_group.security_group_id)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("subnetId", network.subnet_id)
