"""Deploys nginx on the cluster of another stack: wiring and exports only."""

import pulumi
import pulumi_kubernetes as k8s
import settings
from workload import NginxWorkload

config = settings.load()

cluster = pulumi.StackReference(config.cluster_stack)
provider = k8s.Provider("cluster", kubeconfig=cluster.require_output("kubeconfig"))
nginx = NginxWorkload("nginx", replicas=config.replicas, node_port=config.node_port, provider=provider)

# Any node answers on the NodePort; workers when there are some, else the control plane.
node_addresses = pulumi.Output.all(
    cluster.require_output("workerPublicIps"), cluster.require_output("controlPlanePublicIp")
).apply(lambda args: list(args[0]) or [args[1]])
pulumi.export("serviceName", nginx.service_name)
pulumi.export("nodePort", nginx.node_port)
pulumi.export("urls", node_addresses.apply(lambda addresses: [f"http://{a}:{config.node_port}" for a in addresses]))
