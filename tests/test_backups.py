"""The etcd snapshot bucket: private, encrypted, versioned, expiring, TLS only; what destroy does with
it; and a control-plane policy that may write and read only the snapshots' prefix."""

import json

import pytest

from tests.harness import run_program, stack_config

BUCKET = "aws:s3/bucket:Bucket"


@pytest.fixture(scope="module")
def default_run():
    return run_program(stack_config(allowedCidrs=["203.0.113.7/32"]))


def one(run, type_):
    (resource,) = run.of_type(type_)
    return resource


def test_the_bucket_is_private_encrypted_and_versioned(default_run):
    bucket = one(default_run, BUCKET)
    assert bucket.inputs["bucketPrefix"] == "kubeadm-lab-etcd-" and len(bucket.inputs["bucketPrefix"]) <= 37
    block = one(default_run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    ownership = one(default_run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    encryption = one(
        default_run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert encryption.inputs["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    # No bucket key: it saves KMS requests, and AES256 (S3's own keys) makes none.
    versioning = one(default_run, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    for resource in default_run.resources:
        if resource.type.startswith("aws:s3/bucket") and resource.type != BUCKET:
            assert (
                resource.inputs["bucket"] == bucket.state["bucket"] or resource.inputs["bucket"] == f"{bucket.name}-id"
            )


def test_only_tls_reaches_the_bucket(default_run):
    policy = json.loads(one(default_run, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("days", [7, 30])
def test_snapshots_expire_after_the_retention_and_the_newest_stays(days):
    run = run_program(stack_config(etcdBackupRetentionDays=days))
    rules = {
        r["id"]: r for r in one(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    }
    assert rules["expire-snapshots"]["filter"] == {"prefix": "etcd/snapshots/"}
    assert rules["expire-snapshots"]["expiration"] == {"days": days}
    # An overwritten or deleted snapshot stays recoverable for the retention, not one day.
    assert rules["expire-snapshots"]["noncurrentVersionExpiration"] == {"noncurrentDays": days}
    assert "expiration" not in rules["expire-replaced-latest"]  # latest.db itself never expires
    assert rules["expire-replaced-latest"]["noncurrentVersionExpiration"] == {"noncurrentDays": days}


def test_destroy_empties_and_deletes_the_bucket_by_default(default_run):
    bucket = one(default_run, BUCKET)
    assert bucket.inputs["forceDestroy"] is True and not bucket.retain_on_delete


def test_keep_backups_on_destroy_leaves_the_bucket_and_its_settings():
    run = run_program(stack_config(keepBackupsOnDestroy="true"))
    assert one(run, BUCKET).inputs["forceDestroy"] is False
    for resource in run.resources:
        if resource.type.startswith("aws:s3/"):
            assert resource.retain_on_delete, resource.name
    # IAM deletes no role that still has an inline policy: the access policy goes with the role.
    assert not run.named("etcd-backups-control-plane-access").retain_on_delete
    assert not one(run, "aws:ec2/vpc:Vpc").retain_on_delete


def test_the_control_plane_may_write_and_read_only_the_snapshots(default_run):
    access = default_run.named("etcd-backups-control-plane-access")
    role = role_of(default_run)
    assert access.type == "aws:iam/rolePolicy:RolePolicy" and access.inputs["role"] == role.state["name"]
    bucket_arn = one(default_run, BUCKET).state["arn"]
    statements = json.loads(access.inputs["policy"])["Statement"]
    actions = sorted(a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    assert actions == ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    resources = {s["Sid"]: s["Resource"] for s in statements}
    assert resources == {"WriteAndReadSnapshots": f"{bucket_arn}/etcd/*", "ListSnapshots": bucket_arn}
    listing = next(s for s in statements if s["Sid"] == "ListSnapshots")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["etcd/*"]}}
    assert all(s["Effect"] == "Allow" and "*" not in s["Action"] for s in statements)


def test_the_bucket_is_an_output(default_run):
    assert default_run.outputs["etcdBackupBucket"] == one(default_run, BUCKET).state["bucket"]


def role_of(run):
    (role,) = [r for r in run.of_type("aws:iam/role:Role") if r.name == "roles-control-plane"]
    return role
