"""Tags every resource of the cluster carries, and the ones AWS's cloud controller looks for."""

from components.facts import CLUSTER_TAG


def cluster_tags(cluster_name: str, name: str, **extra: str) -> dict[str, str]:
    return {"Name": name, CLUSTER_TAG: cluster_name, "ManagedBy": "pulumi", **extra}


def kubernetes_cluster_tag(cluster_name: str) -> str:
    """aws-cloud-controller-manager finds the cluster's instances, security group and subnets by this key."""
    return f"kubernetes.io/cluster/{cluster_name}"


# Public subnets where the cloud controller may put internet-facing load balancers.
PUBLIC_LOAD_BALANCER_TAG = {"kubernetes.io/role/elb": "1"}


def cloud_tags(cluster_name: str, enabled: bool, ownership: str = "owned") -> dict[str, str]:
    """The cloud controller's tag for a resource of the cluster ("owned"; "shared" for one it only uses)."""
    return {kubernetes_cluster_tag(cluster_name): ownership} if enabled else {}
