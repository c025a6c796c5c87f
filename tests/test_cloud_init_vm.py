"""Node preparation on a real kernel: a QEMU VM (software emulation) boots Debian's current release
with cloud-init, fed the user data the program gives EC2, with a swap device attached and no network.

cloud-init writes the files and runs the scripts; the kernel steps succeed, and the first step that
needs the internet (Docker's apt key) fails, so the run also shows how a failed preparation reaches
`pulumi up`: through wait-for-cloud-init.sh, the bootstrap's first command. A probe service reports
on the serial console, then runs the preparation a second time to show that it changes nothing.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from components.cluster import script_rendering
from tests.harness import ROOT, run_program, stack_config

VM_ROOTFS = Path(os.environ.get("VM_ROOTFS", ROOT / ".cache" / "vm" / "rootfs"))
VM_DIR = Path(__file__).resolve().parent / "vm"
BOOT_TIMEOUT_SECONDS = 900

pytestmark = pytest.mark.slow  # builds a Debian image and boots it under software emulation

FSTAB = "/dev/vda / ext4 rw,errors=remount-ro 0 1\n/dev/vdb none swap sw 0 0\n"
# The VM's own settings, as an EC2 image has its own: the seed directory is the datasource, and the
# root file system is already the size of its disk.
VM_CLOUD_CONFIG = "datasource_list: [NoCloud]\nresize_rootfs: false\n"


def require_vm_tools():
    missing = [tool for tool in ("qemu-system-x86_64", "mkfs.ext4", "mkswap") if not shutil.which(tool)]
    if missing or not list(VM_ROOTFS.glob("boot/vmlinuz-*")):
        reason = f"the VM test needs qemu-system-x86, e2fsprogs and {VM_ROOTFS} (make test builds it as root)"
        if os.environ.get("REQUIRE_VM_TEST") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


WORKER = {}  # the user data and the host key the program gives the worker


def worker_user_data() -> str:
    run = run_program(stack_config(workerCount=1))
    WORKER["host_key"] = run.named("kubeadm-lab-worker-1-host-key").state["publicKeyOpenssh"].strip()
    return run.named("kubeadm-lab-worker-1").inputs["userData"]


def install(root: Path, path: str, text: str, mode: int = 0o644) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(mode)


def stage_root(tmp: Path, user_data: str) -> Path:
    root = tmp / "root"
    subprocess.run(["cp", "-a", str(VM_ROOTFS), str(root)], check=True)
    install(root, "/var/lib/cloud/seed/nocloud/user-data", user_data)
    install(root, "/var/lib/cloud/seed/nocloud/meta-data", "instance-id: vm-test-1\nlocal-hostname: vm-test\n")
    install(root, "/etc/cloud/cloud.cfg.d/90-test-vm.cfg", VM_CLOUD_CONFIG)
    install(root, "/etc/fstab", FSTAB)
    install(root, "/etc/hostname", "vm-test\n")
    install(root, "/usr/local/sbin/vm-probe", (VM_DIR / "probe.sh").read_text(), 0o755)
    install(
        root,
        "/usr/local/sbin/wait-for-cloud-init.sh",
        script_rendering.render("bootstrap/wait-for-cloud-init.sh"),
        0o755,
    )
    install(root, "/etc/systemd/system/vm-probe.service", (VM_DIR / "vm-probe.service").read_text())
    wants = root / "etc/systemd/system/cloud-init.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    (wants / "vm-probe.service").symlink_to("/etc/systemd/system/vm-probe.service")
    return root


def boot(tmp: Path, root: Path) -> str:
    disk, swap = tmp / "disk.img", tmp / "swap.img"
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", str(root), "-L", "root", str(disk), "2G"], check=True)
    subprocess.run(["truncate", "-s", "64M", str(swap)], check=True)
    subprocess.run(["mkswap", "-q", str(swap)], check=True)
    kernel, initrd = sorted(root.glob("boot/vmlinuz-*"))[-1], sorted(root.glob("boot/initrd.img-*"))[-1]
    result = subprocess.run(
        [
            "qemu-system-x86_64",
            "-accel",
            "tcg",
            "-m",
            "2048",
            "-smp",
            "2",
            "-nographic",
            "-no-reboot",
            "-nic",
            "none",
            "-kernel",
            str(kernel),
            "-initrd",
            str(initrd),
            "-append",
            "root=/dev/vda rw console=ttyS0 net.ifnames=0",
            "-drive",
            f"file={disk},format=raw,if=virtio",
            "-drive",
            f"file={swap},format=raw,if=virtio",
        ],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=BOOT_TIMEOUT_SECONDS,
    )
    (tmp / "serial.log").write_text(result.stdout + result.stderr)
    return result.stdout


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    require_vm_tools()
    tmp = tmp_path_factory.mktemp("vm")
    serial = boot(tmp, stage_root(tmp, worker_user_data()))
    reports = {}
    for line in serial.splitlines():
        if line.startswith("PROBE ") and "=" in line:
            key, value = line[len("PROBE ") :].split("=", 1)
            reports[key] = value.strip()
    assert reports.get("finished") == "1", f"the probe did not finish; serial log in {tmp / 'serial.log'}"
    return reports


def test_swap_active_at_boot_is_turned_off_and_kept_off(probe):
    assert int(probe["swap_activated_at_boot"]) >= 1
    assert probe["swap"] == "0"
    assert probe["fstab_swap_active"] == "0" and probe["fstab_swap_disabled"] == "1"


def test_kernel_modules_are_loaded(probe):
    assert probe["module_overlay"] == "1" and probe["module_br_netfilter"] == "1"


def test_bridge_and_forwarding_sysctls_are_on(probe):
    for key in ("net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables", "net.ipv4.ip_forward"):
        assert probe[key] == "1", key


def test_running_the_preparation_again_changes_nothing(probe):
    assert probe["prepare_again_exit"] == "0"
    assert probe["prepare_again_changed"] == "no"


def test_a_failed_preparation_reaches_pulumi_with_its_cause(probe):
    # The VM has no network, so the containerd step fails at Docker's key: the bootstrap's first
    # command must fail and say so, not show the SSH key fingerprints that end cloud-init's log.
    assert probe["wait_exit"] == "1"
    output = probe["wait_output"]
    assert "cloud-init failed on vm-test" in output
    assert "Could not resolve host: download.docker.com" in output
    assert "scripts-user" in output


def test_sshd_serves_the_host_key_from_the_stack_and_no_other(probe):
    assert probe["host_key"] == WORKER["host_key"]
    assert probe["host_key_files"] == "1"
    assert probe["served_host_key"] == WORKER["host_key"]
