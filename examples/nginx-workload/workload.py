"""nginx as a Deployment behind a NodePort Service, on the cluster a provider points at."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

IMAGE = "nginx:1.27-alpine"


class NginxWorkload(pulumi.ComponentResource):
    """A small web workload to prove the cluster serves traffic.

    Attributes:
        service_name: the Service's name in the namespace `default`.
        node_port: the port every node answers on.
    """

    service_name: pulumi.Output[str]
    node_port: int

    def __init__(
        self,
        name: str,
        replicas: int,
        node_port: int,
        provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("nginx-workload:index:NginxWorkload", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        labels = {"app.kubernetes.io/name": name}
        k8s.apps.v1.Deployment(
            name,
            metadata={"name": name, "labels": labels},
            spec={
                "replicas": replicas,
                "selector": {"match_labels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "nginx",
                                "image": IMAGE,
                                "ports": [{"name": "http", "container_port": 80}],
                                "readiness_probe": {"http_get": {"path": "/", "port": "http"}},
                                "resources": {
                                    "requests": {"cpu": "50m", "memory": "32Mi"},
                                    "limits": {"memory": "64Mi"},
                                },
                            }
                        ]
                    },
                },
            },
            opts=child,
        )
        service = k8s.core.v1.Service(
            name,
            metadata={"name": name, "labels": labels},
            spec={
                "type": "NodePort",
                "selector": labels,
                "ports": [{"name": "http", "port": 80, "target_port": "http", "node_port": node_port}],
            },
            opts=child,
        )
        self.service_name = service.metadata.name
        self.node_port = node_port
        self.register_outputs({"service_name": self.service_name})
