"""etcd backups on the control plane: the tools, the backup script and its systemd timer, and a first
snapshot, once the cluster is up."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_command import remote

from components import versions
from components.aws.nodes import NodeInfo
from components.cluster.remote_steps import Step, StepRunner
from components.cluster.script_rendering import render
from components.facts import BACKUP_UNIT, ETCD_LOCAL_ENDPOINT, NODE_PREP_DIR


@dataclass(frozen=True)
class BackupSchedule:
    bucket: pulumi.Input[str]
    prefix: str
    region: str
    interval_hours: int
    access: pulumi.Resource  # the control plane's permission on the bucket: steps that use it wait for it


def backup_script(node_name: str, schedule: BackupSchedule, bucket: str) -> str:
    return render(
        "bootstrap/etcd-backup.sh",
        NODE_NAME=node_name,
        BUCKET=bucket,
        PREFIX=schedule.prefix,
        AWS_REGION=schedule.region,
        ETCD_ENDPOINT=ETCD_LOCAL_ENDPOINT,
    )


def schedule_etcd_backups(
    run: StepRunner, node: NodeInfo, *, schedule: BackupSchedule, after: pulumi.Resource
) -> remote.Command:
    script = pulumi.Output.from_input(schedule.bucket).apply(
        lambda bucket: render(
            "bootstrap/install-etcd-backups.sh",
            BACKUP_SCRIPT=backup_script(node.name, schedule, bucket),
            INTERVAL_HOURS=schedule.interval_hours,
            UNIT=BACKUP_UNIT,
            TOOLS_DIR=NODE_PREP_DIR,
            ETCD_TOOLS_IMAGE=versions.ETCD_TOOLS.image,
            ETCD_TOOLS_VERSION=versions.ETCD_TOOLS.version,
            AWS_CLI_CHANNEL=versions.AWS_CLI_SNAP_CHANNEL,
        )
    )
    return run.run(
        Step(
            f"{node.name}-etcd-backups",
            node,
            script,
            triggers=[node.instance.id],
            after=[after, schedule.access],
            timeout="20m",
        )
    )
