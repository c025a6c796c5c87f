"""nginx on the cluster a provider points at. On a cluster with AWS integration it is served through a
Service of type LoadBalancer (an AWS load balancer) and keeps its page on a PersistentVolumeClaim (an
encrypted EBS volume of the default StorageClass); otherwise through a NodePort Service with the image's
own page."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

IMAGE = "nginx:1.27-alpine"
PAGE_SIZE = "1Gi"
HTML_DIR = "/usr/share/nginx/html"
# Written once, on the volume's first use; later pods (a restart, another node) serve what is there.
WRITE_PAGE_ONCE = (
    f'[ -s {HTML_DIR}/index.html ] || printf "<h1>nginx on kubeadm-aws</h1><p>This page lives on an EBS volume; '
    f'written %s by %s.</p>\\n" "$(date -u +%Y-%m-%dT%H:%MZ)" "$HOSTNAME" > {HTML_DIR}/index.html'
)


@dataclass(frozen=True)
class NginxWorkloadArgs:
    replicas: int
    node_port: int
    aws_integration: bool  # the cluster makes load balancers and volumes


class NginxWorkload(pulumi.ComponentResource):
    """A small web workload to prove the cluster serves traffic.

    Attributes:
        service_name: the Service's name, in the provider's namespace.
        node_port: the port every node answers on.
        load_balancer_hostname: the AWS load balancer's DNS name, or None without AWS integration.
    """

    service_name: pulumi.Output[str]
    node_port: int
    load_balancer_hostname: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: NginxWorkloadArgs, provider: k8s.Provider, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("nginx-workload:index:NginxWorkload", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        labels = {"app.kubernetes.io/name": name}
        pod_spec: dict = {"containers": [self._nginx(args.aws_integration)]}
        if args.aws_integration:
            claim = k8s.core.v1.PersistentVolumeClaim(
                f"{name}-pages",
                metadata={"name": f"{name}-pages", "labels": labels},
                spec={"access_modes": ["ReadWriteOnce"], "resources": {"requests": {"storage": PAGE_SIZE}}},
                # It binds when the pod is scheduled (WaitForFirstConsumer): do not wait for it alone.
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="10m"))
                ),
            )
            pod_spec["init_containers"] = [
                {"name": "write-page", "image": IMAGE, "command": ["sh", "-c", WRITE_PAGE_ONCE], **self._mount()}
            ]
            pod_spec["volumes"] = [{"name": "pages", "persistent_volume_claim": {"claim_name": claim.metadata.name}}]
        k8s.apps.v1.Deployment(
            name,
            metadata={"name": name, "labels": labels},
            spec={
                "replicas": args.replicas,
                "selector": {"match_labels": labels},
                # An EBS volume attaches to one node at a time: the old pod goes before the new one starts.
                "strategy": {"type": "Recreate" if args.aws_integration else "RollingUpdate"},
                "template": {"metadata": {"labels": labels}, "spec": pod_spec},
            },
            opts=child,
        )
        service = k8s.core.v1.Service(
            name,
            metadata={"name": name, "labels": labels},
            spec={
                "type": "LoadBalancer" if args.aws_integration else "NodePort",
                "selector": labels,
                "ports": [{"name": "http", "port": 80, "target_port": "http", "node_port": args.node_port}],
            },
            opts=child,
        )
        self.service_name = service.metadata.name
        self.node_port = args.node_port
        self.load_balancer_hostname = service.status.load_balancer.ingress[0].hostname if args.aws_integration else None
        self.register_outputs({"service_name": self.service_name})

    @staticmethod
    def _mount() -> dict:
        return {"volume_mounts": [{"name": "pages", "mount_path": HTML_DIR}]}

    def _nginx(self, with_page_volume: bool) -> dict:
        return {
            "name": "nginx",
            "image": IMAGE,
            "ports": [{"name": "http", "container_port": 80}],
            "readiness_probe": {"http_get": {"path": "/", "port": "http"}},
            "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
            **(self._mount() if with_page_volume else {}),
        }
