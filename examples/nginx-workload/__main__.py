"""Deploys nginx on the cluster of another stack: wiring and exports only."""

import pulumi
import pulumi_kubernetes as k8s
import settings
from workload import NginxWorkload, NginxWorkloadArgs

config = settings.load()

cluster = pulumi.StackReference(config.cluster_stack)
# The cluster's ServiceAccount for consumer stacks: it may manage workloads in one namespace, no more.
kubeconfig = settings.kubeconfig_of_a_matching_cluster(
    config, cluster.get_output("awsIntegration"), cluster.require_output("workloadKubeconfig")
)
provider = k8s.Provider("cluster", kubeconfig=kubeconfig, namespace=cluster.require_output("workloadNamespace"))
nginx = NginxWorkload(
    "nginx",
    NginxWorkloadArgs(replicas=config.replicas, node_port=config.node_port, aws_integration=config.aws_integration),
    provider=provider,
)

if nginx.load_balancer_hostname is not None:
    urls = nginx.load_balancer_hostname.apply(lambda hostname: [f"http://{hostname}"])
else:
    # Any node answers on the NodePort; workers when there are some, else the control plane.
    urls = pulumi.Output.all(
        cluster.require_output("workerPublicIps"), cluster.require_output("controlPlanePublicIp")
    ).apply(lambda args: [f"http://{address}:{config.node_port}" for address in (list(args[0]) or [args[1]])])
pulumi.export("serviceName", nginx.service_name)
pulumi.export("nodePort", nginx.node_port)
pulumi.export("urls", urls)
