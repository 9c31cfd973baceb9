"""stages.yaml: the schema, every validation error with its line, YAML safety, round-trip edits."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from runreport.registry import edits, yamlfile
from runreport.registry.location import RegistryFile
from runreport.registry.stages import (
    RegistryFormatError,
    canonical_stage,
    parse_registry,
    read_registry,
)
from runreport.registry.yamlfile import YamlFileError

EXAMPLE = """\
# The model registry: edit in a pull request.
models:
  PurchasePredictionModel:   # the main model
    description: Predicts purchases from views and cart adds
    versions:
      1: {source: "runs:/aaa/model", stage: Archived, description: first baseline}
      # the current champion
      2: {source: "runs:/bbb/model", stage: production}
    aliases: {champion: 2}

  ChurnModel:
    versions:
      1:
        source: models/churn     # a folder next to this file
        stage: Staging
"""


def test_parses_the_issue_schema() -> None:
    registry = parse_registry(EXAMPLE)
    model = registry.models["PurchasePredictionModel"]
    assert model.description == "Predicts purchases from views and cart adds"
    assert list(model.versions) == [1, 2]
    assert model.versions[1].stage == "Archived"
    assert model.versions[1].description == "first baseline"
    assert model.versions[2].stage == "Production"  # case-insensitive in, canonical out
    assert model.versions[2].line == 8
    assert model.aliases == {"champion": 2}
    churn = registry.models["ChurnModel"]
    assert churn.versions[1].source == "models/churn"
    assert churn.versions[1].stage_line == 15
    assert list(registry.models) == ["PurchasePredictionModel", "ChurnModel"]


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "models:\n", "models: {}\n"])
def test_empty_files_are_empty_registries(text: str) -> None:
    assert parse_registry(text).models == {}


def test_absent_and_null_stages_are_none() -> None:
    registry = parse_registry("models:\n  M:\n    versions:\n      1: {source: a, stage: null}\n")
    assert registry.models["M"].versions[1].stage == "None"
    assert parse_registry("models:\n  M:\n    versions:\n      1: {source: a}\n").models[
        "M"
    ].versions[1].stage == ("None")


def test_canonical_stage() -> None:
    assert canonical_stage("STAGING") == "Staging"
    assert canonical_stage(None) == "None"
    with pytest.raises(ValueError, match="stage 'prod' is not valid; expected one of None, "):
        canonical_stage("prod")


def _problems(text: str) -> list[str]:
    _, _, problems = read_registry(text, "stages.yaml")
    return [str(problem) for problem in problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", "stages.yaml:1: the file must be a mapping with a top-level 'models:' key"),
        (
            "modles: {}\n",
            "stages.yaml:1: unknown key 'modles' at the top level; expected one of models",
        ),
        ("models: [a]\n", "stages.yaml:1: 'models' must be a mapping, not a list"),
        (
            "models:\n  M:\n    descripton: x\n",
            "stages.yaml:3: unknown key 'descripton' in model 'M'; expected one of aliases, "
            "description, tags, versions",
        ),
        (
            "models:\n  M:\n    versions:\n      one: {source: a}\n",
            "stages.yaml:4: version 'one' of model 'M' must be a positive integer",
        ),
        (
            "models:\n  M:\n    versions:\n      '2': {source: a}\n",
            "stages.yaml:4: version '2' of model 'M' must be a positive integer (write 2, not '2')",
        ),
        (
            "models:\n  M:\n    versions:\n      0: {source: a}\n",
            "stages.yaml:4: version 0 of model 'M' must be a positive integer",
        ),
        (
            "models:\n  M:\n    versions:\n      1: {source: a, stage: prod}\n",
            "stages.yaml:4: version 1 of model 'M': stage 'prod' is not valid; expected one of "
            "None, Staging, Production, Archived",
        ),
        (
            "models:\n  M:\n    versions:\n      1:\n        stage: Staging\n",
            "stages.yaml:4: version 1 of model 'M' needs a source",
        ),
        (
            "models:\n  M:\n    versions:\n      1: {source: a, stagee: None}\n",
            "stages.yaml:4: unknown key 'stagee' in version 1 of model 'M'; expected one of "
            "description, source, stage, tags",
        ),
        (
            "models:\n  M:\n    versions:\n      1: {source: a}\n    aliases: {champion: 2}\n",
            "stages.yaml:5: alias 'champion' of model 'M' points to version 2, which does not "
            "exist; versions: 1",
        ),
        (
            "models:\n  M:\n    versions:\n      1: {source: a}\n    aliases: {latest: 1}\n",
            "stages.yaml:5: alias 'latest' is reserved",
        ),
        (
            "models:\n  M:\n    versions:\n      1: {source: a}\n    aliases: {champion: one}\n",
            "stages.yaml:5: alias 'champion' must name a version number, not 'one'",
        ),
        (
            "models:\n  M:\n    description: 2024-01-01\n",
            "stages.yaml:3: description of model 'M' must be text, not date 2024-01-01 (quote it)",
        ),
        (
            "models:\n  a/b:\n    versions: {}\n",
            "stages.yaml:2: model name 'a/b' is not valid",
        ),
        (
            "models:\n  M:\n    tags: {team: 1}\n",
            "stages.yaml:3: tag 'team' of model 'M' must map a text key to a text value",
        ),
    ],
)
def test_each_schema_error_names_its_line(text: str, expected: str) -> None:
    problems = _problems(text)
    assert problems and problems[0].startswith(expected), problems


def test_all_problems_are_collected_and_the_error_names_the_first() -> None:
    text = "models:\n  M:\n    versions:\n      1: {source: a, stage: x}\n      2: {stage: y}\n"
    assert len(_problems(text)) == 2
    with pytest.raises(RegistryFormatError) as caught:
        parse_registry(text)
    assert str(caught.value).startswith("stages.yaml:4: version 1 of model 'M': stage 'x'")
    assert "(and 1 more problem; see `runreport registry check`)" in str(caught.value)
    assert [p.line for p in caught.value.problems] == [4, 5]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "models:\n  M:\n    versions:\n      1: {source: a}\n      1: {source: b}\n",
            "stages.yaml:5: duplicate key '1' (first at line 4)",
        ),
        (
            "models:\n  M:\n    versions:\n      1: {source: a}\n      01: {source: b}\n",
            "stages.yaml:5: duplicate key",
        ),
        ("models:\n  M: [a\n", "stages.yaml:3: malformed YAML"),
        ("models: {}\n---\nmodels: {}\n", "stages.yaml:2: the file must hold one YAML document"),
        (
            "models: !!python/object/apply:os.system ['echo hacked']\n",
            "stages.yaml:1: YAML tag '!!python/object/apply:os.system' is not allowed",
        ),
        ("models:\n  M: !custom {}\n", "stages.yaml:2: YAML tag '!custom' is not allowed"),
        (
            "models:\n  M: &base {versions: {}}\n  N: *base\n",
            "stages.yaml:2: anchors and aliases (&name, *name) are not allowed",
        ),
    ],
)
def test_unsafe_or_malformed_yaml_is_refused_with_its_line(text: str, expected: str) -> None:
    with pytest.raises(YamlFileError) as caught:
        parse_registry(text)
    assert str(caught.value).startswith(expected), str(caught.value)


def test_billion_laughs_is_refused_before_expansion() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for index in range(1, 10):
        prev, name = chr(ord("a") + index - 1), chr(ord("a") + index)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    with pytest.raises(YamlFileError, match="anchors and aliases"):
        yamlfile.load("\n".join(lines) + "\n", "bomb.yaml")


def test_deep_nesting_and_huge_files_are_refused() -> None:
    with pytest.raises(YamlFileError, match="nests too deeply"):
        yamlfile.load("models: " + "[" * 5000 + "]" * 5000 + "\n", "stages.yaml")
    with pytest.raises(YamlFileError, match="larger than"):
        yamlfile.load("#" * (yamlfile.MAX_BYTES + 1), "stages.yaml")


# ---------------------------------------------------------------- round-trip edits


def _edit(path: Path, change: object) -> list[str]:
    """Apply ``change(root)`` through RegistryFile.edit; return the changed lines (-/+)."""
    before = path.read_text()

    def apply(root: object, registry: object) -> tuple[object, None]:
        return change(root) or root, None  # type: ignore[operator]

    RegistryFile(path).edit(apply)
    after = path.read_text()
    diff = difflib.ndiff(before.splitlines(), after.splitlines())
    return [line for line in diff if line[:1] in "+-"]


def test_edits_keep_comments_order_and_style_except_the_changed_line(tmp_path: Path) -> None:
    path = tmp_path / "stages.yaml"
    path.write_text(EXAMPLE)
    changed = _edit(
        path,
        lambda root: edits.set_field(
            edits.version_entry(root, "ChurnModel", 1), "stage", "Production"
        ),
    )
    assert changed == [
        "-         stage: Staging",
        "+         stage: Production",
    ]
    changed = _edit(
        path, lambda root: edits.set_alias(root, "PurchasePredictionModel", "champion", 1)
    )
    assert changed == ["-     aliases: {champion: 2}", "+     aliases: {champion: 1}"]
    changed = _edit(
        path,
        lambda root: edits.set_field(
            edits.version_entry(root, "PurchasePredictionModel", 2), "stage", "Archived"
        ),
    )
    assert changed == [
        '-       2: {source: "runs:/bbb/model", stage: production}',
        '+       2: {source: "runs:/bbb/model", stage: Archived}',
    ]


def test_adding_a_version_follows_its_siblings_style(tmp_path: Path) -> None:
    path = tmp_path / "stages.yaml"
    path.write_text(EXAMPLE)
    changed = _edit(
        path, lambda root: edits.add_version(root, "PurchasePredictionModel", 3, "runs:/ccc/model")
    )
    assert changed == ['+       3: {source: "runs:/ccc/model", stage: None}']
    changed = _edit(path, lambda root: edits.add_version(root, "ChurnModel", 2, "models/churn2"))
    assert changed == ["+       2:", '+         source: "models/churn2"', "+         stage: None"]


def test_edits_keep_four_space_indentation(tmp_path: Path) -> None:
    path = tmp_path / "stages.yaml"
    text = "models:\n    M:\n        versions:\n            1: {source: a}  # keep\n"
    path.write_text(text)
    changed = _edit(path, lambda root: edits.set_alias(root, "M", "champion", 1))
    assert changed == ["+         aliases: {champion: 1}"]
    assert path.read_text().startswith(text)


def test_a_comment_only_file_keeps_its_comments(tmp_path: Path) -> None:
    path = tmp_path / "stages.yaml"
    path.write_text("# Registry of the shop's models\n")
    _edit(path, lambda root: edits.add_model(root, "M", "desc", None))
    assert path.read_text() == (
        "# Registry of the shop's models\nmodels:\n  M:\n    description: desc\n    versions: {}\n"
    )


def test_an_invalid_file_is_never_edited(tmp_path: Path) -> None:
    path = tmp_path / "stages.yaml"
    path.write_text("models:\n  M:\n    versions:\n      1: {source: a, stage: bad}\n")
    with pytest.raises(RegistryFormatError, match=r"stages\.yaml:4"):
        _edit(path, lambda root: edits.set_alias(root, "M", "champion", 1))
    assert "champion" not in path.read_text()


def test_edits_leave_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "stages.yaml"
    path.write_text(EXAMPLE)
    _edit(path, lambda root: edits.rename_model(root, "ChurnModel", "Churn"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stages.yaml"]
    assert list(parse_registry(path.read_text()).models) == ["PurchasePredictionModel", "Churn"]
