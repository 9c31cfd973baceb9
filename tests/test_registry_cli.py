"""``runreport models ...`` and ``runreport registry check`` end to end, through click."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import runreport
from runreport.cli import main
from runreport.registry.check import check_registry
from tests.test_registry_client import log_model_run


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def shop(runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """stages.yaml in the current directory: Shop v1 (r2 0.7, Production), v2 (r2 0.85)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNREPORT_REGISTRY", raising=False)
    ids = {"run1": log_model_run(1.0, 0.7), "run2": log_model_run(2.0, 0.85)}
    runreport.register_model(f"runs:/{ids['run1']}/model", "Shop")
    runreport.register_model(f"runs:/{ids['run2']}/model", "Shop")
    client = runreport.Client()
    client.transition_model_version_stage("Shop", 1, "Production")
    client.update_registered_model("Shop", "Predicts purchases")
    return ids


def test_models_list_and_show(shop: dict[str, str]) -> None:
    listed = run("models", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[2].split() == [
        "Shop", "2", "Production:1", "Predicts", "purchases",
    ]  # fmt: skip
    data = json.loads(run("models", "list", "--format", "json").output)
    assert [m["name"] for m in data] == ["Shop"]
    shown = run("models", "show", "Shop")
    assert shown.exit_code == 0
    assert shown.output.startswith("Model Shop\n  description  Predicts purchases\n")
    assert ["1", "Production", f"runs:/{shop['run1']}/model"] in [
        line.split() for line in shown.output.splitlines()
    ]
    data = json.loads(run("models", "show", "Shop", "--format", "json").output)
    assert [v["version"] for v in data["versions"]] == [2, 1]
    missing = run("models", "show", "Nope")
    assert missing.exit_code == 1
    assert missing.output == (
        "Error: registered model 'Nope' does not exist in stages.yaml; models: 'Shop'\n"
    )


def test_models_promote_and_alias(shop: dict[str, str]) -> None:
    promoted = run("models", "promote", "Shop", "2", "production", "--archive-existing")
    assert promoted.exit_code == 0, promoted.output
    assert promoted.output == (
        "Shop v2: None -> Production\n"
        "Shop v1: Production -> Archived\n"
        "Edited stages.yaml; commit it in a pull request.\n"
    )
    aliased = run("models", "alias", "Shop", "champion", "2")
    assert aliased.output.startswith("Shop alias champion -> v2\n")
    text = Path("stages.yaml").read_text()
    assert "stage: Production}" in text and "aliases: {champion: 2}" in text
    bad = run("models", "promote", "Shop", "2", "prod")
    assert bad.exit_code == 1
    assert bad.output.startswith("Error: stage 'prod' is not valid; expected one of None, ")
    assert run("models", "alias", "Shop", "latest", "1").exit_code == 1
    assert run("models", "promote", "Shop", "2").exit_code == 2  # usage error


def test_registry_option_points_commands_at_another_file(shop: dict[str, str]) -> None:
    Path("other").mkdir()
    Path("other/stages.yaml").write_text(Path("stages.yaml").read_text().replace("Shop", "Other"))
    listed = run("models", "list", "--registry", "other/stages.yaml", "--format", "json")
    assert [m["name"] for m in json.loads(listed.output)] == ["Other"]
    promoted = run("models", "promote", "Other", "2", "Staging", "--registry", "other")
    assert promoted.output.endswith("Edited other/stages.yaml; commit it in a pull request.\n")


def test_registry_check_ok(shop: dict[str, str]) -> None:
    result = run("registry", "check")
    assert result.exit_code == 0, result.output
    assert result.output == "stages.yaml: OK (1 model, 2 versions, 0 policies)\n"


def test_registry_check_reports_every_problem_with_its_line(shop: dict[str, str]) -> None:
    text = Path("stages.yaml").read_text()
    text += (
        "      3: {source: 'runs:/ffff0000/model', stage: Staging}\n"
        "      4: {source: models/missing, stage: Prod}\n"
        "    aliases: {champion: 9}\n"
        "    colour: blue\n"
    )
    Path("stages.yaml").write_text(text)
    result = run("registry", "check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-1] == "stages.yaml: 5 problems (1 model, 4 versions, 0 policies)"
    assert lines[0] == (
        "stages.yaml:7: version 3 of model 'Shop': source 'runs:/ffff0000/model' does not "
        f"resolve: run 'ffff0000' does not exist in {Path.cwd() / 'runs'}"
    )
    assert lines[1] == (
        "stages.yaml:8: version 4 of model 'Shop': stage 'Prod' is not valid; expected one of "
        "None, Staging, Production, Archived"
    )
    assert lines[2].startswith(
        "stages.yaml:8: version 4 of model 'Shop': source 'models/missing' does not resolve: "
    )
    assert lines[3] == (
        "stages.yaml:9: alias 'champion' of model 'Shop' points to version 9, which does "
        "not exist; versions: 1, 2, 3, 4"
    )
    assert lines[4] == (
        "stages.yaml:10: unknown key 'colour' in model 'Shop'; expected one of aliases, "
        "description, tags, versions"
    )


POLICIES_YAML = """\
registry:
  policies:
    - max_versions_per_stage: {Production: 1}
    - require: {stage: Production, filter: "metrics.r2_score >= 0.8"}
"""

POLICIES_TOML = """\
[tool.runreport.registry]
policies = [
  { max_versions_per_stage = { Production = 1 } },
  { require = { stage = "Production", filter = "metrics.r2_score >= 0.8" } },
]
"""


@pytest.mark.parametrize(
    ("config_file", "text"),
    [("runreport.yaml", POLICIES_YAML), ("pyproject.toml", POLICIES_TOML)],
)
def test_registry_check_policies(shop: dict[str, str], config_file: str, text: str) -> None:
    Path(config_file).write_text(text)
    result = run("registry", "check")
    assert result.exit_code == 1
    where = (
        "runreport.yaml:4"
        if config_file == "runreport.yaml"
        else ("pyproject.toml [tool.runreport.registry.policies[1]]")
    )
    assert result.output.splitlines() == [
        f"stages.yaml:5: version 1 of model 'Shop' is in Production, but its source run "
        f"{shop['run1']} does not satisfy 'metrics.r2_score >= 0.8' (r2_score = 0.7) "
        f"(policy at {where})",
        "stages.yaml: 1 problem (1 model, 2 versions, 2 policies)",
    ]
    runreport.Client().transition_model_version_stage("Shop", 2, "Production")
    result = run("registry", "check", "--format", "github")
    assert result.exit_code == 1
    assert "stages.yaml:6: model 'Shop' has 2 versions in Production (1, 2); the policy at" in (
        result.output
    )
    assert "::error file=stages.yaml,line=6::model 'Shop' has 2 versions" in result.output
    runreport.Client().transition_model_version_stage("Shop", 1, "Archived")
    assert run("registry", "check").output == (
        "stages.yaml: OK (1 model, 2 versions, 2 policies)\n"
    )


def test_check_of_a_missing_or_broken_file(shop: dict[str, str]) -> None:
    report = check_registry("nowhere.yaml")
    assert not report.ok and "nowhere.yaml does not exist" in report.problems[0].message
    Path("stages.yaml").write_text("models:\n  Shop: !!python/object:os.system {}\n")
    result = run("registry", "check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "stages.yaml:2: YAML tag '!!python/object:os.system' is not allowed; use plain values"
    )


def test_a_bad_config_is_a_one_line_error(shop: dict[str, str]) -> None:
    Path("runreport.yaml").write_text("registry:\n  polices: []\n")
    result = run("registry", "check")
    assert result.exit_code == 1
    assert result.output == (
        "Error: runreport.yaml:2: unknown key 'polices'; expected one of path, policies\n"
    )


def test_a_policy_on_a_missing_run_is_a_problem(shop: dict[str, str]) -> None:
    Path("runreport.yaml").write_text(POLICIES_YAML)
    text = Path("stages.yaml").read_text().replace(shop["run1"], "ffff0000")
    Path("stages.yaml").write_text(text)
    problems = [str(p) for p in check_registry().problems]
    assert any(
        p.startswith(
            "stages.yaml:5: version 1 of model 'Shop' is in Production, but its source "
            "run cannot be read (run 'ffff0000' does not exist"
        )
        and p.endswith(
            "so 'metrics.r2_score >= 0.8' cannot be checked (policy at runreport.yaml:4)"
        )
        for p in problems
    ), problems
