"""The backup step: after init, on the control plane, with the bucket, the interval, the pinned tools,
and the backup script it installs; and what the systemd units look like to systemd itself."""

import pytest

from components import versions
from tests.graph import CP, cluster, depends_on
from tests.harness import run_program, stack_config
from tests.remote import script_of, variable
from tests.validators import systemd_units


def step(run):
    return run.named(f"{CP}-etcd-backups")


def test_backups_are_set_up_after_init_and_follow_the_control_plane():
    run = cluster()
    backups = step(run)
    assert depends_on(run, backups, f"{CP}-kubeadm-init")
    assert depends_on(run, run.named("kubeadm-lab-ready"), backups.name)
    assert backups.inputs["triggers"] == [f"{CP}-id"]
    assert backups.inputs["connection"]["host"] == run.outputs["controlPlanePublicIp"]


def test_the_step_installs_the_pinned_tools_and_the_rendered_backup_script():
    run = run_program(stack_config(etcdBackupIntervalHours=4))
    script = script_of(step(run).inputs["create"])
    assert variable(script, "INTERVAL_HOURS") == "4"
    assert variable(script, "ETCD_TOOLS_IMAGE") == versions.ETCD_TOOLS.image
    assert variable(script, "ETCD_TOOLS_VERSION") == versions.ETCD_TOOLS.version
    assert variable(script, "AWS_CLI_CHANNEL") == versions.AWS_CLI_SNAP_CHANNEL
    backup = variable(script, "BACKUP_SCRIPT")
    assert variable(backup, "BUCKET") == run.outputs["etcdBackupBucket"]
    assert variable(backup, "PREFIX") == "etcd" and variable(backup, "AWS_REGION") == "ap-south-1"
    assert variable(backup, "ETCD_ENDPOINT") == "https://127.0.0.1:2379"
    assert variable(backup, "KUBERNETES_PKI_DIR") == "/etc/kubernetes/pki"


@pytest.mark.needs("systemd-analyze")
def test_the_units_are_valid_for_systemd(tmp_path):
    units = systemd_units(
        script_of(step(cluster()).inputs["create"]), "write_units", "kubeadm-aws-etcd-backup", tmp_path
    )
    assert [u.suffix for u in units] == [".service", ".timer"]
    timer = (tmp_path / "kubeadm-aws-etcd-backup.timer").read_text()
    assert "OnUnitActiveSec=6h" in timer and "WantedBy=timers.target" in timer
