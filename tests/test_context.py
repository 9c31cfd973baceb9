"""Automatic system tags from a real git repository and a real script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from runreport.tracking.context import strip_credentials
from tests.conftest import git, python_env

SCRIPT = """
import runreport
runreport.set_tracking_uri({root!r})
with runreport.start_run() as run:
    pass
print(run.info.run_id)
"""


def _repo_with_script(tmp_path: Path) -> tuple[Path, Path]:
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "feature/x")
    git(repo, "remote", "add", "origin", "https://ada:s3cret-token@github.com/acme/churn.git")
    script = repo / "train.py"
    script.write_text(SCRIPT.format(root=str(tmp_path / "runs")))
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "train")
    return repo, script


def _tags(tmp_path: Path, repo: Path, script: Path) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=repo,
        env=python_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    run_id = done.stdout.strip()
    record = next((tmp_path / "runs").glob(f"*/{run_id}/run.json"))
    return json.loads(record.read_text())["tags"]


def test_git_and_source_tags_of_a_clean_checkout(tmp_path: Path) -> None:
    repo, script = _repo_with_script(tmp_path)
    tags = _tags(tmp_path, repo, script)
    assert tags["mlflow.source.git.commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert tags["mlflow.source.git.branch"] == "feature/x"
    assert tags["mlflow.source.git.repoURL"] == "https://github.com/acme/churn.git"
    assert tags["mlflow.gitRepoURL"] == tags["mlflow.source.git.repoURL"]
    assert "s3cret" not in json.dumps(tags)
    assert tags["runreport.git.dirty"] == "false"
    assert tags["mlflow.source.name"] == str(script)
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["runreport.python_version"].count(".") == 2
    assert tags["runreport.host"]


def test_dirty_flag_when_tracked_files_changed(tmp_path: Path) -> None:
    repo, script = _repo_with_script(tmp_path)
    script.write_text(script.read_text() + "\n# edited\n")
    assert _tags(tmp_path, repo, script)["runreport.git.dirty"] == "true"


def test_no_git_tags_outside_a_repository(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    script = folder / "train.py"
    script.write_text(SCRIPT.format(root=str(tmp_path / "runs")))
    tags = _tags(tmp_path, folder, script)
    assert not any(k.startswith("mlflow.source.git") for k in tags)
    assert tags["mlflow.source.name"] == str(script)


def test_strip_credentials() -> None:
    assert strip_credentials("https://u:p@host/x.git") == "https://host/x.git"
    assert strip_credentials("git@github.com:acme/x.git") == "git@github.com:acme/x.git"
    assert strip_credentials("ssh://git@host:22/x") == "ssh://host:22/x"
