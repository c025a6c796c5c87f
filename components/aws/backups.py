"""Where etcd snapshots are kept: a private, encrypted, versioned S3 bucket whose snapshots expire,
and a policy that lets the control plane write and read only the snapshots' prefix."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.tags import cluster_tags
from components.facts import BACKUP_PREFIX


@dataclass(frozen=True)
class EtcdBackupsArgs:
    cluster_name: str
    retention_days: int
    keep_on_destroy: bool  # `pulumi destroy` leaves the bucket and its snapshots
    control_plane_role_name: pulumi.Input[str]


def lifecycle_rules(retention_days: int) -> list[dict]:
    """Snapshots expire after the retention; the newest (latest.db) is never expired, only the copies it
    replaced. A version that is overwritten or deleted early (by the control plane's role, which may
    write there) stays for the retention too, so a node that turns against its backups cannot destroy
    them sooner."""
    return [
        {
            "id": "expire-snapshots",
            "status": "Enabled",
            "filter": {"prefix": f"{BACKUP_PREFIX}/snapshots/"},
            "expiration": {"days": retention_days},
            "noncurrent_version_expiration": {"noncurrent_days": retention_days},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
        },
        {
            "id": "expire-replaced-latest",
            "status": "Enabled",
            "filter": {"prefix": f"{BACKUP_PREFIX}/latest.db"},
            "noncurrent_version_expiration": {"noncurrent_days": retention_days},
        },
    ]


def control_plane_policy(bucket_arn: str) -> str:
    """Write and read snapshots under the prefix, and list only that prefix; nothing else."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "WriteAndReadSnapshots",
                    "Effect": "Allow",
                    "Action": ["s3:PutObject", "s3:GetObject"],
                    "Resource": f"{bucket_arn}/{BACKUP_PREFIX}/*",
                },
                {
                    "Sid": "ListSnapshots",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": bucket_arn,
                    "Condition": {"StringLike": {"s3:prefix": [f"{BACKUP_PREFIX}/*"]}},
                },
            ],
        }
    )


def tls_only_policy(bucket_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


class EtcdBackups(pulumi.ComponentResource):
    """The snapshot bucket and the control plane's access to it.

    Attributes:
        bucket_name: the bucket's name (the `etcdBackupBucket` output).
        prefix: the key prefix the snapshots are under.
        access: the control plane's policy on the bucket; what uses the bucket waits for it.
    """

    bucket_name: pulumi.Output[str]
    prefix: str
    access: aws.iam.RolePolicy

    def __init__(self, name: str, args: EtcdBackupsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:EtcdBackups", name, None, opts)
        # Kept on destroy: the bucket and every setting of it stay as they are (its public access
        # block above all); otherwise destroy empties and deletes it. The control plane's access policy
        # goes with the role either way (IAM deletes no role that still has a policy). Pulumi reads both
        # from the state at destroy: make destroy applies a new value first.
        child = pulumi.ResourceOptions(parent=self, retain_on_delete=args.keep_on_destroy)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=f"{args.cluster_name[:30]}-etcd-",  # S3 allows prefixes of 37 characters
            force_destroy=not args.keep_on_destroy,
            tags=cluster_tags(args.cluster_name, f"{args.cluster_name}-etcd-backups"),
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],  # a bucket key is for KMS
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-expiry",
            bucket=bucket.id,
            rules=lifecycle_rules(args.retention_days),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[versioning])),
        )
        aws.s3.BucketPolicy(f"{name}-tls-only", bucket=bucket.id, policy=bucket.arn.apply(tls_only_policy), opts=child)
        self.access = aws.iam.RolePolicy(
            f"{name}-control-plane-access",
            role=args.control_plane_role_name,
            policy=bucket.arn.apply(control_plane_policy),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.bucket_name = bucket.bucket
        self.prefix = BACKUP_PREFIX
        self.register_outputs({"bucket_name": self.bucket_name})
