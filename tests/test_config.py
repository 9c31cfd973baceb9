"""runreport.yaml and [tool.runreport]: loading, validation with file and line, registry path."""

from __future__ import annotations

from pathlib import Path

import pytest

from runreport.config import (
    Config,
    MaxVersionsPolicy,
    RegistryConfig,
    RequirePolicy,
    load_config,
)
from runreport.exceptions import ConfigError
from runreport.registry.location import registry_path

YAML_CONFIG = """\
# project settings
registry:
  path: models/stages.yaml
  policies:
    - max_versions_per_stage: {Production: 1, staging: 2}
    - require:
        stage: production
        filter: "metrics.r2_score >= 0.8"
      models: ["Purchase*"]
"""

PYPROJECT = """\
[project]
name = "shop"

[tool.runreport.registry]
path = "registry/stages.yaml"

[[tool.runreport.registry.policies]]
max_versions_per_stage = { Production = 1 }

[[tool.runreport.registry.policies]]
require = { stage = "Production", filter = "metrics.r2_score >= 0.8" }
"""


def test_no_file_gives_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_config(tmp_path).registry == RegistryConfig()


def test_runreport_yaml(tmp_path: Path) -> None:
    (tmp_path / "runreport.yaml").write_text(YAML_CONFIG)
    config = load_config(tmp_path)
    assert config.source == "runreport.yaml"
    assert config.registry.path == tmp_path.absolute() / "models/stages.yaml"
    limits, require = config.registry.policies
    assert limits == MaxVersionsPolicy(
        {"Production": 1, "Staging": 2}, (), where="runreport.yaml:5"
    )
    assert require == RequirePolicy(
        "Production", "metrics.r2_score >= 0.8", ("Purchase*",), where="runreport.yaml:6"
    )
    assert require.applies_to("PurchasePredictionModel") and not require.applies_to("Churn")
    assert limits.applies_to("anything")


def test_pyproject_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    config = load_config(tmp_path)
    assert config.source == "pyproject.toml"
    assert config.registry.path == tmp_path.absolute() / "registry/stages.yaml"
    assert [type(p).__name__ for p in config.registry.policies] == [
        "MaxVersionsPolicy",
        "RequirePolicy",
    ]
    assert config.registry.policies[1].where == (
        "pyproject.toml [tool.runreport.registry.policies[1]]"
    )


def test_runreport_yaml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "runreport.yaml").write_text("registry: {path: here.yaml}\n")
    assert load_config(tmp_path).registry.path == tmp_path.absolute() / "here.yaml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("registy: {}\n", "runreport.yaml:1: unknown key 'registy'; expected one of registry"),
        ("[1, 2]\n", "runreport.yaml:1: the configuration must be a mapping of sections"),
        (
            "registry:\n  path: a\n  polices: []\n",
            "runreport.yaml:3: unknown key 'polices'; expected one of path, policies",
        ),
        ("registry:\n  path: 3\n", "runreport.yaml:2: path must be a file path, not 3"),
        ("registry:\n  policies: {a: 1}\n", "runreport.yaml:2: policies must be a list"),
        (
            "registry:\n  policies:\n    - at_most_one_production\n",
            "runreport.yaml:3: each policy must be a mapping, not 'at_most_one_production'",
        ),
        (
            "registry:\n  policies:\n    - {models: [A]}\n",
            "runreport.yaml:3: a policy needs exactly one of max_versions_per_stage, require",
        ),
        (
            "registry:\n  policies:\n    - max_versions_per_stage: {Prod: 1}\n",
            "runreport.yaml:3: stage 'Prod' is not valid; expected one of None, Staging, "
            "Production, Archived",
        ),
        (
            "registry:\n  policies:\n    - max_versions_per_stage:\n        Production: -1\n",
            "runreport.yaml:4: the limit for Production must be a count >= 0",
        ),
        (
            "registry:\n  policies:\n    - require: {stage: Production}\n",
            "runreport.yaml:3: require needs filter",
        ),
        (
            "registry:\n  policies:\n    - require:\n        stage: Production\n"
            "        filter: metrics.r2 >> 1\n",
            "runreport.yaml:5: Invalid filter 'metrics.r2 >> 1'",
        ),
        (
            "registry:\n  policies:\n    - require: {stage: Production, filter: 'metrics.a > 1'"
            ", when: x}\n",
            "runreport.yaml:3: unknown key 'when'; expected one of filter, stage",
        ),
        ("registry: [\n", "runreport.yaml:2: malformed YAML"),
        ("registry: !!python/name:os.system\n", "runreport.yaml:1: YAML tag"),
    ],
)
def test_yaml_errors_name_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "runreport.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(expected), str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[tool.runreport]\nregisty = 1\n",
            "pyproject.toml [tool.runreport]: unknown key 'registy'",
        ),
        (
            "[tool.runreport.registry]\npth = 'a'\n",
            "pyproject.toml [tool.runreport.registry]: unknown key 'pth'",
        ),
        ("[tool.runreport\n", "pyproject.toml: invalid TOML"),
    ],
)
def test_pyproject_errors_name_the_table(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(expected), str(caught.value)


def test_registry_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNREPORT_REGISTRY", raising=False)
    assert registry_path() == tmp_path / "stages.yaml"
    (tmp_path / "runreport.yaml").write_text("registry: {path: conf/stages.yaml}\n")
    assert registry_path() == tmp_path / "conf" / "stages.yaml"
    monkeypatch.setenv("RUNREPORT_REGISTRY", "env.yaml")
    assert registry_path() == tmp_path / "env.yaml"
    assert registry_path("explicit.yaml") == tmp_path / "explicit.yaml"
    (tmp_path / "folder").mkdir()
    assert registry_path("folder") == tmp_path / "folder" / "stages.yaml"
