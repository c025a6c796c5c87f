"""The versions table: every offered Kubernetes minor is inside each pinned CNI's documented range,
or the program says so when it is chosen."""

import pytest

from components import versions
from tests.harness import run_program, stack_config


@pytest.mark.parametrize("cni", sorted(versions.CNI_MANIFESTS))
@pytest.mark.parametrize("minor", versions.SUPPORTED_KUBERNETES_MINORS)
def test_every_offered_minor_is_documented_by_the_pinned_cni_or_warned(cni, minor):
    manifest = versions.CNI_MANIFESTS[cni]
    with_cloud_controller = minor in versions.CLOUD_CONTROLLER_RELEASES
    run = run_program(
        stack_config(cni=cni, kubernetesVersion=minor, workerCount=1, awsIntegration=with_cloud_controller)
    )
    warned = [w for w in run.warnings if f"kubernetesVersion {minor} is outside the range" in w]
    if manifest.supports(minor):
        assert warned == []
    else:
        (warning,) = warned
        assert f"{manifest.name} {manifest.version} documents support for ({manifest.support_range}" in warning


def test_the_gaps_are_only_the_newest_minor_for_calico():
    # Calico v3.32 documents 1.34-1.36; 1.37 waits for a release that documents it.
    gaps = {(cni, m) for cni, man in versions.CNI_MANIFESTS.items() for m in versions.SUPPORTED_KUBERNETES_MINORS}
    gaps = {(cni, m) for cni, m in gaps if not versions.CNI_MANIFESTS[cni].supports(m)}
    assert gaps == {("calico", "1.37")}
    assert versions.CALICO.supports(versions.DEFAULT_KUBERNETES_MINOR)


def test_manifests_are_pinned_by_tag_and_hash():
    for manifest in versions.CNI_MANIFESTS.values():
        assert f"/{manifest.version}/" in manifest.url and manifest.url.startswith("https://")
        assert len(manifest.sha256) == 64 and int(manifest.sha256, 16) >= 0


def test_minors_compare_as_numbers():
    assert versions.minor_number("1.9") < versions.minor_number("1.10")
    assert versions.FLANNEL.support_range == "1.25 and newer" and versions.CALICO.support_range == "1.34–1.36"


def test_the_cloud_controller_release_line_of_each_offered_minor_is_that_minor():
    for minor, release in versions.CLOUD_CONTROLLER_RELEASES.items():
        assert minor in versions.SUPPORTED_KUBERNETES_MINORS and release.startswith(f"v{minor}.")
    assert versions.DEFAULT_KUBERNETES_MINOR in versions.CLOUD_CONTROLLER_RELEASES
    assert (
        versions.CLOUD_CONTROLLER_MANIFESTS.tag == versions.CLOUD_CONTROLLER_RELEASES[versions.DEFAULT_KUBERNETES_MINOR]
    )


def test_add_on_manifests_are_pinned_by_tag_and_hash():
    for manifests in (versions.CLOUD_CONTROLLER_MANIFESTS, versions.EBS_CSI_MANIFESTS):
        assert manifests.base_url.startswith("https://") and f"/{manifests.tag}/" in manifests.base_url
        assert all(len(sha256) == 64 and int(sha256, 16) >= 0 for sha256 in manifests.files.values())
