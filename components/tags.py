"""Tags every resource of the cluster carries."""


def cluster_tags(cluster_name: str, name: str, **extra: str) -> dict[str, str]:
    return {"Name": name, "Cluster": cluster_name, "ManagedBy": "pulumi", **extra}
