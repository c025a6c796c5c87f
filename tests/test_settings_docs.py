"""Pulumi.yaml's config block and the README's settings table are generated from the settings table,
and a drift in either is caught with the command that mends it."""

import dataclasses

import pytest
import yaml

from components import settings
from components.settings import docs as settings_docs


def test_pulumi_yaml_and_the_readme_hold_the_table_as_it_is():
    assert settings_docs.stale_files() == []


def test_pulumi_yaml_declares_every_setting_with_its_type_and_default():
    declared = yaml.safe_load(settings_docs.PULUMI_YAML.read_text())["config"]
    assert list(declared) == [s.key for s in settings.SETTINGS]
    for setting in settings.SETTINGS:
        entry = declared[setting.key]
        assert entry["type"] == setting.value.kind and entry["default"] == setting.default
        assert setting.description in entry["description"] and setting.allowed in entry["description"]


def test_pulumi_yaml_keeps_the_local_backend():
    project = yaml.safe_load(settings_docs.PULUMI_YAML.read_text())
    assert project["backend"] == {"url": "file://./.pulumi-state"}
    assert project["name"] == settings.PROJECT


def test_a_changed_setting_makes_both_files_stale_with_the_fix(monkeypatch):
    changed = [dataclasses.replace(s, default=5) if s.key == "workerCount" else s for s in settings.SETTINGS]
    monkeypatch.setattr(settings_docs, "SETTINGS", tuple(changed))
    assert settings_docs.stale_files() == [
        "Pulumi.yaml's settings differ from components/settings/table.py: run `make settings`",
        "README.md's settings differ from components/settings/table.py: run `make settings`",
    ]
    assert "| `workerCount` | `5` |" in settings_docs.readme(settings_docs.README.read_text())


def test_the_check_command_exits_1_and_says_what_to_run(monkeypatch, capsys):
    monkeypatch.setattr(settings_docs, "SETTINGS", settings.SETTINGS[:-1])
    assert settings_docs.main(["--check"]) == 1
    assert "run `make settings`" in capsys.readouterr().out
    monkeypatch.setattr(settings_docs, "SETTINGS", settings.SETTINGS)
    assert settings_docs.main(["--check"]) == 0


@pytest.mark.parametrize("render", [settings_docs.pulumi_yaml, settings_docs.readme])
def test_a_file_without_its_marker_is_refused_with_the_fix(render):
    with pytest.raises(settings_docs.OutOfDate, match="run `make settings`"):
        render("name: kubeadm-aws\n")


def test_writing_is_idempotent(tmp_path, monkeypatch):
    for path in (settings_docs.PULUMI_YAML, settings_docs.README):
        (tmp_path / path.name).write_text(path.read_text())
    monkeypatch.setattr(
        settings_docs,
        "GENERATED",
        {tmp_path / "Pulumi.yaml": settings_docs.pulumi_yaml, tmp_path / "README.md": settings_docs.readme},
    )
    assert settings_docs.main([]) == 0
    for path in (settings_docs.PULUMI_YAML, settings_docs.README):
        assert (tmp_path / path.name).read_text() == path.read_text()
