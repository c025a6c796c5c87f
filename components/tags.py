"""Tags every resource of the cluster carries."""

from components.facts import CLUSTER_TAG


def cluster_tags(cluster_name: str, name: str, **extra: str) -> dict[str, str]:
    return {"Name": name, CLUSTER_TAG: cluster_name, "ManagedBy": "pulumi", **extra}
