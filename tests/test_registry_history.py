"""Registry history from real git repositories: merges, squashes, renames, broken commits,
uncommitted changes, shallow clones, and no git at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import runreport
from runreport.cli import main
from runreport.registry import changelog
from runreport.registry.events import pull_request_number
from runreport.registry.git import HistoryUnavailableError
from runreport.registry.history import registry_history
from tests.conftest import git
from tests.test_registry_client import log_model_run


def commit(repo: Path, subject: str) -> str:
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", subject)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository (the current directory) whose runs live outside it."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    monkeypatch.chdir(path)
    monkeypatch.delenv("RUNREPORT_REGISTRY", raising=False)
    return path


@pytest.fixture
def story(repo: Path) -> dict[str, str]:
    """A registry's life: a commit, a merged PR, a squash merge, a rename, a broken commit, a
    fix, and an uncommitted change. Returns the run ids and commit shas."""
    ids = {"run1": log_model_run(1.0, 0.80), "run2": log_model_run(2.0, 0.85)}
    ids["run3"] = log_model_run(3.0, 0.9)
    client = runreport.Client()
    runreport.register_model(f"runs:/{ids['run1']}/model", "Shop")
    client.transition_model_version_stage("Shop", 1, "Production")
    ids["first"] = commit(repo, "Register the baseline")
    git(repo, "checkout", "-q", "-b", "feature")
    runreport.register_model(f"runs:/{ids['run2']}/model", "Shop")
    client.transition_model_version_stage("Shop", 2, "Production", archive_existing_versions=True)
    commit(repo, "Promote v2")
    git(repo, "checkout", "-q", "main")
    (repo / "README.md").write_text("shop\n")
    commit(repo, "Unrelated change")
    git(repo, "-c", "commit.gpgsign=false", "merge", "-q", "--no-ff", "feature", "-m",
        "Merge pull request #12 from x/y")  # fmt: skip
    ids["merge"] = git(repo, "rev-parse", "HEAD").strip()
    client.set_registered_model_alias("Shop", "champion", 2)
    client.update_registered_model("Shop", "Predicts purchases")
    ids["squash"] = commit(repo, "Promote model (#13)")
    git(repo, "mv", "stages.yaml", "registry.yaml")
    ids["rename"] = commit(repo, "Move the registry")
    good = (repo / "registry.yaml").read_text()
    (repo / "registry.yaml").write_text("models:\n  Shop: [\n")
    ids["broken"] = commit(repo, "Break the file")
    (repo / "registry.yaml").write_text(good)
    registry = runreport.Client(registry_uri="registry.yaml")
    runreport.register_model(f"runs:/{ids['run3']}/model", "Shop")  # default path: stages.yaml
    (repo / "stages.yaml").unlink()
    registry.create_model_version("Shop", f"runs:/{ids['run3']}/model")
    ids["fix"] = commit(repo, "Fix the file")
    registry.transition_model_version_stage("Shop", 3, "Staging")
    return ids


def _summary(events: list) -> list[tuple[str, str, int | None]]:
    return [(e.commit.short_sha, e.describe(), e.commit.pr) for e in events]


def test_history_of_a_registry_through_merges_squashes_renames_and_breakage(
    story: dict[str, str],
) -> None:
    events = registry_history("registry.yaml")
    pending, rest = events[0], events[1:]
    assert pending.commit.pending and pending.commit.sha is None
    assert pending.describe() == "Shop v3: None -> Staging"
    assert pending.deltas == () and pending.compared_to is None  # first version in Staging
    by_commit: dict[str, list[str]] = {}
    for event in rest:
        by_commit.setdefault(event.commit.sha or "", []).append(event.describe())
    assert list(by_commit) == [
        story["fix"], story["broken"], story["rename"], story["squash"], story["merge"],
        story["first"],
    ]  # fmt: skip
    run3 = story["run3"]
    assert by_commit[story["fix"]] == [f"Shop v3 registered from runs:/{run3}/model"]
    assert by_commit[story["broken"]] == [
        "registry file does not parse: registry.yaml:3: malformed YAML: while parsing a flow "
        "node: expected the node content, but found '<stream end>'"
    ]
    assert by_commit[story["rename"]] == ["registry file renamed from stages.yaml to registry.yaml"]
    assert by_commit[story["squash"]] == [
        "Shop description changed",
        "Shop alias champion -> v2",
    ]
    assert by_commit[story["merge"]] == [
        "Shop v1: Production -> Archived",
        f"Shop v2 registered from runs:/{story['run2']}/model",
        "Shop v2: None -> Production",
    ]
    assert by_commit[story["first"]] == [
        "model Shop added",
        f"Shop v1 registered from runs:/{story['run1']}/model",
        "Shop v1: None -> Production",
    ]


def test_commit_details_pull_requests_and_deltas(story: dict[str, str]) -> None:
    events = registry_history("registry.yaml", include_pending=False)
    merge = [e for e in events if e.commit.sha == story["merge"]]
    assert {e.commit.pr for e in merge} == {12}
    assert merge[0].commit.subject == "Merge pull request #12 from x/y"
    assert merge[0].commit.author == "Ada" and merge[0].commit.email == "ada@example.com"
    assert merge[0].commit.date and merge[0].commit.date[4] == "-" and "T" in merge[0].commit.date
    promotion = next(e for e in merge if e.kind == "stage_changed" and e.after == "Production")
    assert promotion.compared_to == 1
    deltas = {
        d.key: tuple(round(x, 6) for x in (d.before, d.after, d.delta)) for d in promotion.deltas
    }
    assert deltas == {"r2_score": (0.80, 0.85, 0.05), "rmse": (0.2, 0.15, -0.05)}
    assert {e.commit.pr for e in events if e.commit.sha == story["squash"]} == {13}
    assert {e.commit.pr for e in events if e.commit.sha == story["first"]} == {None}
    broken = next(e for e in events if e.kind == "file_invalid")
    assert broken.line == 3
    assert all(not e.commit.pending for e in events)


def test_renderers(story: dict[str, str]) -> None:
    events = registry_history("registry.yaml")
    markdown = changelog.to_markdown(events)
    assert markdown.startswith("# Registry changelog\n\n## Pending (uncommitted changes)\n\n")
    assert "PR #12: Merge pull request #12 from x/y (`" in markdown
    assert "  - r2\\_score 0.8 -> 0.85 (+0.05)\n" in markdown
    assert "  - compared with v1\n" in markdown
    data = json.loads(changelog.to_json(events))
    promotion = next(e for e in data if e["kind"] == "stage_changed" and e["deltas"])
    assert promotion["commit"]["pr"] == 12 and promotion["commit"]["short_sha"]
    assert promotion["description"] == "Shop v2: None -> Production"
    assert {d["key"] for d in promotion["deltas"]} == {"r2_score", "rmse"}
    rows = changelog.event_rows(events)
    assert rows[0]["date"] == "pending" and rows[0]["commit"] == "pending"
    assert any(row["pr"] == "#12" and row["metrics"].startswith("vs v1: r2_score") for row in rows)


def test_history_cli_formats(story: dict[str, str]) -> None:
    runner = CliRunner()
    table = runner.invoke(main, ["registry", "history", "--registry", "registry.yaml"])
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[0].split() == ["date", "commit", "pr", "event", "metrics"]
    assert "Shop v3: None -> Staging" in table.output
    markdown = runner.invoke(
        main, ["registry", "history", "--registry", "registry.yaml", "--format", "markdown"]
    )
    assert markdown.output.startswith("# Registry changelog")
    data = runner.invoke(
        main,
        ["registry", "history", "--registry", "registry.yaml", "--format", "json", "--no-pending"],
    )
    assert not any(event["commit"]["pending"] for event in json.loads(data.output))


def test_missing_source_runs_give_a_note_instead_of_deltas(repo: Path) -> None:
    (repo / "m1").mkdir()
    (repo / "stages.yaml").write_text(
        "models:\n  M:\n    versions:\n      1: {source: 'runs:/aaaa/model', stage: Production}\n"
    )
    commit(repo, "Add M")
    (repo / "stages.yaml").write_text(
        "models:\n  M:\n    versions:\n      1: {source: 'runs:/aaaa/model', stage: Archived}\n"
        "      2: {source: 'runs:/bbbb/model', stage: Production}\n"
    )
    events = registry_history()
    promotion = next(e for e in events if e.kind == "stage_changed" and e.after == "Production")
    assert promotion.commit.pending and promotion.compared_to == 1 and promotion.deltas == ()
    assert promotion.note == "no metric deltas: source run of v1 (aaaa), v2 (bbbb) not found"


def test_a_repository_without_commits_shows_everything_pending(repo: Path) -> None:
    (repo / "stages.yaml").write_text("models:\n  M:\n    versions:\n      1: {source: x}\n")
    events = registry_history()
    assert [e.describe() for e in events] == ["model M added", "M v1 registered from x"]
    assert all(e.commit.pending for e in events)


def test_a_shallow_clone_says_history_is_cut(repo: Path, tmp_path: Path) -> None:
    (repo / "stages.yaml").write_text("models: {}\n")
    commit(repo, "one")
    (repo / "stages.yaml").write_text("models:\n  M: {}\n")
    commit(repo, "two")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", repo.as_uri(), str(clone))
    with pytest.raises(HistoryUnavailableError) as caught:
        registry_history(clone / "stages.yaml")
    assert "shallow clone" in str(caught.value)
    assert "fetch-depth: 0" in str(caught.value) and "git fetch --unshallow" in str(caught.value)
    result = CliRunner().invoke(main, ["registry", "history", "--registry", str(clone)])
    assert result.exit_code == 1 and "Error: this is a shallow clone" in result.output


def test_outside_a_git_repository_history_says_so_and_the_rest_works(
    runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    runreport.Client().create_registered_model("M")
    with pytest.raises(HistoryUnavailableError, match="is not inside a git repository"):
        registry_history()
    assert runreport.Client().get_registered_model("M").name == "M"


def test_without_a_git_binary_history_says_so(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "stages.yaml").write_text("models: {}\n")
    monkeypatch.setenv("PATH", str(repo / "no-such-bin"))
    with pytest.raises(HistoryUnavailableError, match="no 'git' executable is on PATH"):
        registry_history()
    assert runreport.Client().search_registered_models() == []


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("Merge pull request #12 from x/y", 12),
        ("Promote model (#13)", 13),
        ("Promote model (#13)  ", 13),
        ("Fix #14 in passing", None),
        ("Merge branch 'main' into feature", None),
    ],
)
def test_pull_request_numbers(subject: str, number: int | None) -> None:
    assert pull_request_number(subject) == number
