"""Upgrades by config: raising kubernetesVersion re-runs exactly the upgrade steps, in order (the control
plane after a snapshot, then the workers one at a time), and replaces no instance."""

import yaml

from tests.graph import CP, cluster, depends_on
from tests.harness import run_program, stack_config
from tests.remote import COMMAND, script_of, variable


def test_the_control_plane_upgrades_after_its_backups_and_before_anything_joins():
    run = cluster()
    upgrade = run.named(f"{CP}-upgrade")
    assert depends_on(run, upgrade, f"{CP}-kubeadm-init") and depends_on(run, upgrade, f"{CP}-etcd-backups")
    assert variable(script_of(upgrade.inputs["create"]), "TARGET_MINOR") == "1.36"
    assert variable(script_of(upgrade.inputs["create"]), "BACKUP_UNIT") == "kubeadm-aws-etcd-backup"
    for n in (1, 2):
        assert depends_on(run, run.named(f"kubeadm-lab-worker-{n}-join-token"), upgrade.name)


def test_each_worker_is_drained_upgraded_and_uncordoned_in_that_order_on_the_right_machines():
    run = cluster()
    drain = run.named("kubeadm-lab-worker-1-drain-for-upgrade")
    upgrade = run.named("kubeadm-lab-worker-1-upgrade")
    uncordon = run.named("kubeadm-lab-worker-1-uncordon-after-upgrade")
    assert depends_on(run, upgrade, drain.name) and depends_on(run, uncordon, upgrade.name)
    assert depends_on(run, drain, "kubeadm-lab-worker-1-registered")
    control_plane = run.outputs["controlPlanePublicIp"]
    assert drain.inputs["connection"]["host"] == uncordon.inputs["connection"]["host"] == control_plane
    assert upgrade.inputs["connection"]["host"] == run.outputs["workerPrivateIps"][0]
    assert not depends_on(run, run.named("kubeadm-lab-ready"), "kubeadm-lab-worker-1-drain-for-upgrade")


def upgrade_steps(run):
    return {c.name: c for c in run.of_type(COMMAND) if "upgrade" in c.name}


def test_raising_the_minor_reruns_the_upgrade_steps_and_replaces_no_node():
    before = run_program(stack_config(kubernetesVersion="1.35", allowedCidrs=["203.0.113.7/32"]))
    after = run_program(stack_config(kubernetesVersion="1.36", allowedCidrs=["203.0.113.7/32"]))
    for name, step in upgrade_steps(after).items():
        assert step.inputs["triggers"] != upgrade_steps(before)[name].inputs["triggers"], name
        assert "1.36" in step.inputs["triggers"]
    # The bootstrap of the nodes that exist does not move: their joins and tokens are as they were.
    for name in ("kubeadm-lab-worker-1-join-token", "kubeadm-lab-worker-1-join", "kubeadm-lab-worker-1-registered"):
        assert (
            after.named(name).inputs["triggers" if "token" in name else "create"]
            == before.named(name).inputs["triggers" if "token" in name else "create"]
        )
    for instance in after.of_type("aws:ec2/instance:Instance"):
        old = before.named(instance.name)
        changed = {k for k in instance.inputs if instance.inputs[k] != old.inputs.get(k)}
        assert changed <= set(instance.ignore_changes), (instance.name, changed)


def test_a_node_created_after_an_upgrade_comes_up_at_the_new_minor():
    run = run_program(stack_config(kubernetesVersion="1.37", workerCount=3, awsIntegration=False))
    files = yaml.safe_load(run.named("kubeadm-lab-worker-3").inputs["userData"])["write_files"]
    (install,) = [f["content"] for f in files if f["path"].endswith("/install-kubernetes.sh")]
    assert "\nKUBERNETES_MINOR=1.37\n" in install
