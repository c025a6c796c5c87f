"""The cloud-init user data of each role and OS: content, size, cloud-init's strict schema, shellcheck."""

import pytest
import yaml

from components import versions
from components.cluster import cloud_init
from components.facts import CONTROL_PLANE, NODE_PREP_DIR, WORKER
from tests.harness import run_program, stack_config
from tests.validators import cloud_init_schema, shellcheck

ROLES = [CONTROL_PLANE, WORKER]


def user_data_of(run, node_name):
    return run.named(node_name).inputs["userData"]


@pytest.fixture(scope="module", params=["ubuntu-22.04", "ubuntu-24.04"])
def rendered(request):
    """User data per role, as the program passed it to EC2, for each OS."""
    run = run_program(stack_config(nodeOs=request.param, workerCount=1))
    return {
        CONTROL_PLANE: user_data_of(run, "kubeadm-lab-control-plane"),
        WORKER: user_data_of(run, "kubeadm-lab-worker-1"),
    }


def files_of(user_data):
    return {f["path"]: f for f in yaml.safe_load(user_data)["write_files"]}


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_user_data_passes_cloud_inits_strict_schema(rendered, role):
    schema = cloud_init_schema()
    document = yaml.safe_load(rendered[role])
    schema.validate_cloudconfig_schema(document, schema.get_schema(), strict=True)


@pytest.mark.slow
def test_schema_validator_really_rejects_a_misspelt_key():
    schema = cloud_init_schema()
    document = yaml.safe_load(cloud_init.render_user_data(WORKER, "1.36", "lab"))
    document["write_file"] = document.pop("write_files")
    with pytest.raises(schema.SchemaValidationError, match="write_file"):
        schema.validate_cloudconfig_schema(document, schema.get_schema(), strict=True)


@pytest.mark.parametrize("role", ROLES)
def test_user_data_is_cloud_config_under_ec2s_limit(rendered, role):
    assert rendered[role].startswith("#cloud-config\n")
    assert len(rendered[role].encode()) < 16 * 1024


@pytest.mark.parametrize("role", ROLES)
def test_kernel_modules_and_sysctls_are_configured(rendered, role):
    files = files_of(rendered[role])
    assert files["/etc/modules-load.d/kubernetes.conf"]["content"].split() == ["overlay", "br_netfilter"]
    settings = dict(line.split(" = ") for line in files["/etc/sysctl.d/99-kubernetes.conf"]["content"].splitlines())
    assert settings == {
        "net.bridge.bridge-nf-call-iptables": "1",
        "net.bridge.bridge-nf-call-ip6tables": "1",
        "net.ipv4.ip_forward": "1",
    }


def test_steps_run_in_order_and_stop_at_the_first_failure(rendered):
    for role, expected in [
        (
            CONTROL_PLANE,
            ["prepare-node.sh", "install-containerd.sh", "install-kubernetes.sh", "prepull-images.sh"],
        ),
        (WORKER, ["prepare-node.sh", "install-containerd.sh", "install-kubernetes.sh"]),
    ]:
        (command,) = yaml.safe_load(rendered[role])["runcmd"]
        steps = command.split(" && ")
        assert [s.rsplit("/", 1)[1] for s in steps] == expected
        for step in steps:
            assert files_of(rendered[role])[step]["permissions"] == "0755"


@pytest.mark.parametrize("role", ROLES)
def test_scripts_carry_the_pinned_versions(rendered, role):
    files = files_of(rendered[role])
    kubernetes = files[f"{NODE_PREP_DIR}/install-kubernetes.sh"]["content"]
    containerd = files[f"{NODE_PREP_DIR}/install-containerd.sh"]["content"]
    assert f"\nKUBERNETES_MINOR={versions.DEFAULT_KUBERNETES_MINOR}\n" in kubernetes
    assert 'echo "https://pkgs.k8s.io/core:/stable:/v$minor/deb/"' in kubernetes
    assert 'use_kubernetes_repository "$KUBERNETES_MINOR"' in kubernetes
    assert f"\nCONTAINERD_LINE={versions.CONTAINERD_LINE}\n" in containerd


@pytest.mark.parametrize("role", ROLES)
def test_none_of_the_manual_guides_mistakes(rendered, role):
    text = rendered[role]
    assert "apt.kubernetes.io" not in text and "packages.cloud.google.com" not in text
    assert "docker-ce" not in text and "docker.io " not in text  # containerd.io only: one CRI endpoint
    assert "apt_get install -y -q containerd.io" in text


def test_kubernetes_minor_is_configurable():
    run = run_program(stack_config(kubernetesVersion="1.34", workerCount=0, awsIntegration=False))
    files = files_of(user_data_of(run, "kubeadm-lab-control-plane"))
    assert "\nKUBERNETES_MINOR=1.34\n" in files[f"{NODE_PREP_DIR}/install-kubernetes.sh"]["content"]


def test_only_the_control_plane_prepulls_images(rendered):
    assert "kubeadm config images pull" in rendered[CONTROL_PLANE]
    assert "kubeadm config images pull" not in rendered[WORKER]


def without_host_key(user_data: str) -> str:
    document = yaml.safe_load(user_data)
    for key in ("ssh_keys", "ssh_deletekeys", "ssh_genkeytypes"):
        document.pop(key)
    return yaml.safe_dump(document)


def test_workers_share_one_user_data_but_their_host_keys():
    run = run_program(stack_config(workerCount=3))
    user_data = [user_data_of(run, f"kubeadm-lab-worker-{n}") for n in (1, 2, 3)]
    assert len({without_host_key(text) for text in user_data}) == 1
    assert len(set(user_data)) == 3


@pytest.mark.parametrize("role", ROLES)
def test_every_shell_line_in_the_user_data_is_shellcheck_clean(rendered, role):
    document = yaml.safe_load(rendered[role])
    for path, entry in files_of(rendered[role]).items():
        if path.endswith(".sh"):
            assert shellcheck(entry["content"]) == "", path
    for command in document["runcmd"]:  # runcmd strings run under /bin/sh
        assert shellcheck(f"#!/bin/sh\n{command}\n", shell="sh") == ""


def test_unknown_role_is_refused():
    with pytest.raises(ValueError, match="unknown node role"):
        cloud_init.render_user_data("etcd", "1.36", "lab")


# An ED25519 key in OpenSSH's format, as pulumi-tls writes it (a made-up one: only its layout matters here).
HOST_KEY = cloud_init.HostKey(
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
    "-----END OPENSSH PRIVATE KEY-----\n",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMadeUpForTheTest\n",
)


def test_libyaml_writes_the_user_data_pyyamls_own_emitter_writes():
    class PythonDumper(yaml.SafeDumper):
        pass

    PythonDumper.add_representer(cloud_init._LiteralStr, cloud_init._literal_representer)
    assert cloud_init._Dumper.__mro__[1] is yaml.CSafeDumper  # the fast emitter is the one in use
    for role in cloud_init.ROLES:
        text = cloud_init.render_user_data(role, "1.36", "lab", host_key=HOST_KEY)
        document = yaml.safe_load(text)
        for entry in document["write_files"]:
            entry["content"] = cloud_init._LiteralStr(entry["content"])
        private = document["ssh_keys"]["ed25519_private"]
        document["ssh_keys"]["ed25519_private"] = cloud_init._LiteralStr(private)
        header = "".join(text.splitlines(keepends=True)[:2])
        assert header + cloud_init.to_yaml(document) == text
        assert header + cloud_init.to_yaml(document, PythonDumper) == text, role
