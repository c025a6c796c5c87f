"""A kubeadm Kubernetes cluster on EC2: wiring and exports only; the work is in components/."""

import pulumi

from components import settings
from components.aws import lookups as aws_lookups
from components.aws.backups import EtcdBackups, EtcdBackupsArgs
from components.aws.cost import CostEstimate, CostEstimateArgs
from components.aws.iam import NodeRoles, NodeRolesArgs
from components.aws.keys import SshKeyPair, SshKeyPairArgs
from components.aws.load_balancers import LOAD_BALANCER_COUNT, ApiLoadBalancerArgs, ApiLoadBalancers
from components.aws.network import Network, NetworkArgs
from components.aws.nodes import ClusterNodes, ClusterNodesArgs
from components.aws.power import ClusterPower, ClusterPowerArgs
from components.aws.security import ClusterSecurityGroup, SecurityGroupArgs
from components.cluster.bootstrap import KubeadmBootstrap, KubeadmBootstrapArgs
from components.cluster.phases.backups import BackupSchedule
from components.cluster.pki import ClusterPki, ClusterPkiArgs
from components.facts import LOGIN_USER, UBUNTU_AMI_NAME_PATTERNS

# Every setting is checked, then what AWS says of it, before any resource is registered.
cfg = settings.load()
aws = aws_lookups.look_up(cfg)

ssh_key = SshKeyPair("ssh", SshKeyPairArgs(cluster_name=cfg.cluster_name))
network = Network(
    "network",
    NetworkArgs(
        cluster_name=cfg.cluster_name,
        availability_zones=aws.availability_zones,
        vpc_cidr=cfg.vpc_cidr,
        subnet_cidrs=settings.subnet_cidrs_of(cfg.vpc_cidr, len(aws.availability_zones)),
        existing_vpc_id=cfg.existing_vpc_id,
        existing_subnet_ids=aws_lookups.existing_subnet_ids(cfg),
        aws_integration=cfg.aws_integration,
    ),
)
security_group = ClusterSecurityGroup(
    "security",
    SecurityGroupArgs(
        cluster_name=cfg.cluster_name,
        vpc_id=network.vpc_id,
        allowed_cidrs=cfg.allowed_cidrs,
        cni=cfg.cni,
        aws_integration=cfg.aws_integration,
    ),
)
roles = NodeRoles("roles", NodeRolesArgs(cluster_name=cfg.cluster_name, aws_integration=cfg.aws_integration))
backups = EtcdBackups(
    "etcd-backups",
    EtcdBackupsArgs(
        cluster_name=cfg.cluster_name,
        retention_days=cfg.etcd_backup_retention_days,
        keep_on_destroy=cfg.keep_backups_on_destroy,
        control_plane_role_name=roles.control_plane_role_name,
    ),
)
nodes = ClusterNodes(
    "nodes",
    ClusterNodesArgs(
        cluster_name=cfg.cluster_name,
        worker_count=cfg.worker_count,
        control_plane_type=aws.control_plane_type,
        worker_type=aws.worker_type,
        ami_name_pattern=UBUNTU_AMI_NAME_PATTERNS[cfg.node_os],
        kubernetes_minor=cfg.kubernetes_version,
        root_volume_size=cfg.root_volume_size,
        subnet_ids=network.subnet_ids,
        security_group_id=security_group.security_group_id,
        control_plane_security_group_id=security_group.control_plane_security_group_id,
        key_name=ssh_key.key_name,
        control_plane_instance_profile=roles.control_plane_instance_profile,
        worker_instance_profile=roles.worker_instance_profile,
        aws_integration=cfg.aws_integration,
        worker_spot=cfg.worker_spot,
        control_plane_count=cfg.control_plane_count,
        internet=network.internet,
        replacing=settings.replacing_nodes(),
    ),
)
# With several control planes, the API's endpoint is a pair of load balancers (components/aws/load_balancers.py).
load_balancers = None
if cfg.control_plane_count > 1:
    load_balancers = ApiLoadBalancers(
        "api",
        ApiLoadBalancerArgs(
            cluster_name=cfg.cluster_name,
            vpc_id=network.vpc_id,
            subnet_ids=network.subnet_ids,
            allowed_cidrs=cfg.allowed_cidrs,
            nodes_security_group_id=security_group.security_group_id,
            control_plane_security_group_id=security_group.control_plane_security_group_id,
        ),
    )
all_nodes = [*nodes.control_planes, *nodes.workers]
power = ClusterPower(
    "power",
    ClusterPowerArgs(
        instances=[(node.name, node.instance) for node in all_nodes],
        paused=cfg.paused,
    ),
)
pki = ClusterPki(
    "pki",
    ClusterPkiArgs(
        cluster_name=cfg.cluster_name,
        admin_certificate_days=cfg.admin_certificate_days,
        admin_generation=cfg.admin_generation,
        secrets_key_generation=cfg.secrets_key_generation,
    ),
)
bootstrap = KubeadmBootstrap(
    "kubeadm",
    KubeadmBootstrapArgs(
        cluster_name=cfg.cluster_name,
        kubernetes_minor=cfg.kubernetes_version,
        cni=cfg.cni,
        pod_cidr=cfg.pod_cidr,
        service_cidr=cfg.service_cidr,
        control_plane=nodes.control_plane,
        other_control_planes=nodes.control_planes[1:],
        load_balancers=load_balancers,
        workers=nodes.workers,
        credentials=pki.credentials,
        ssh_private_key=ssh_key.private_key_openssh,
        backups=BackupSchedule(
            bucket=backups.bucket_name,
            prefix=backups.prefix,
            region=aws.region,
            interval_hours=cfg.etcd_backup_interval_hours,
            access=backups.access,
        ),
        aws_integration=cfg.aws_integration,
        pod_security=cfg.pod_security,
        smoke_test=cfg.smoke_test,
        paused=cfg.paused,
        power=power.states,
        destroy_needs=[network, security_group, roles, nodes, power, *([load_balancers] if load_balancers else [])],
    ),
)

cost = CostEstimate(
    "cost",
    CostEstimateArgs(
        region=aws.region,
        control_plane_type=cfg.control_plane_instance_type,
        worker_type=cfg.worker_instance_type,
        worker_count=cfg.worker_count,
        root_volume_gib=cfg.root_volume_size,
        paused=cfg.paused,
        control_plane_count=cfg.control_plane_count,
        load_balancers=LOAD_BALANCER_COUNT if load_balancers else 0,
        caller=settings.aws_caller(),
    ),
)


# Where `make ssh` (scripts/local/ssh-node.sh) keeps the stack's key and the host keys it pins, so that
# the sshCommands output works as pasted from the project's folder once `make ssh` has run.
LOCAL_SSH_DIR = ".cache/ssh"


def ssh_command(address: pulumi.Input[str], through: pulumi.Input[str] | None = None) -> pulumi.Output[str]:
    """The command that opens a shell on a node; a worker is reached through the control plane."""
    stack = pulumi.get_stack()
    # Only this key: an agent's other keys tried first would use up sshd's MaxAuthTries.
    known_hosts = f"{LOCAL_SSH_DIR}/known_hosts-{stack}"
    options = f"-i {LOCAL_SSH_DIR}/{stack}.pem -o IdentitiesOnly=yes -o UserKnownHostsFile={known_hosts}"
    if through is None:
        return pulumi.Output.concat(f"ssh {options} ", LOGIN_USER, "@", address)
    jump = pulumi.Output.concat(f"'ssh {options} -W %h:%p ", LOGIN_USER, "@", through, "'")
    return pulumi.Output.concat(f"ssh {options} -o ProxyCommand=", jump, " ", LOGIN_USER, "@", address)


pulumi.export("kubeconfig", bootstrap.kubeconfig)
pulumi.export("apiServerEndpoint", bootstrap.api_server_endpoint)
pulumi.export("workloadKubeconfig", bootstrap.workload_kubeconfig)
pulumi.export("workloadNamespace", bootstrap.workload_namespace)
pulumi.export("clusterName", cfg.cluster_name)
pulumi.export("kubernetesVersion", cfg.kubernetes_version)
pulumi.export("cni", cfg.cni)
pulumi.export("awsIntegration", cfg.aws_integration)
pulumi.export("nodeNames", bootstrap.node_names)
pulumi.export("sshPrivateKey", ssh_key.private_key_openssh)
pulumi.export("controlPlanePublicIp", nodes.control_plane.public_ip)
pulumi.export("controlPlanePrivateIp", nodes.control_plane.private_ip)
pulumi.export("controlPlanePublicDns", nodes.control_plane.public_dns)
pulumi.export("workerPublicIps", [power.public_ips[w.name] for w in nodes.workers])  # as EC2 reports them now
pulumi.export("workerPrivateIps", [w.private_ip for w in nodes.workers])
pulumi.export(
    "sshCommands",
    {
        nodes.control_plane.name: ssh_command(nodes.control_plane.public_ip),
        **{n.name: ssh_command(n.private_ip, through=nodes.control_plane.public_ip) for n in all_nodes[1:]},
    },
)
pulumi.export(
    "sshHostKeys", {node.name: node.host_key for node in all_nodes}
)  # None for a node built before nodes got their host keys from the stack
pulumi.export("securityGroupId", security_group.security_group_id)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("subnetId", network.subnet_id)
pulumi.export("subnetIds", network.subnet_ids)
pulumi.export("controlPlaneCount", cfg.control_plane_count)
pulumi.export("controlPlanePrivateIps", [node.private_ip for node in nodes.control_planes])
pulumi.export("etcdBackupBucket", backups.bucket_name)
pulumi.export("hourlyCost", cost.hourly_usd)
