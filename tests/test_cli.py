"""The command line: experiments list, runs list/show, errors and exit codes."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import runreport
from runreport.cli import main
from tests.conftest import run_python


@pytest.fixture
def logged(runs_root: Path) -> dict[str, str]:
    runreport.set_experiment("Purchase Prediction")
    ids = {}
    for name, r2, model in [("lin", 0.81, "LinearRegression"), ("rf", 0.89, "=cmd|' /C calc'!A0")]:
        with runreport.start_run(run_name=name) as run:
            runreport.log_param("model_type", model)
            runreport.log_metric("r2_score", r2)
            runreport.log_text("hello", "notes.txt")
        ids[name] = run.info.run_id
    return ids


def invoke(root: Path, *args: str) -> object:
    return CliRunner().invoke(main, ["--tracking-uri", str(root), *args], catch_exceptions=False)


def test_experiments_list(runs_root: Path, logged: dict[str, str]) -> None:
    result = invoke(runs_root, "experiments", "list")
    assert result.exit_code == 0
    assert "Purchase Prediction" in result.output and "2" in result.output
    rows = json.loads(invoke(runs_root, "experiments", "list", "--format", "json").output)
    assert rows[0]["name"] == "Purchase Prediction" and rows[0]["runs"] == 2


def test_runs_list_filter_order_and_formats(runs_root: Path, logged: dict[str, str]) -> None:
    table = invoke(runs_root, "runs", "list", "--order-by", "metrics.r2_score DESC")
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert "r2_score" in lines[0]
    assert lines[2].split()[1] == "rf" and lines[3].split()[1] == "lin"
    filtered = invoke(
        runs_root,
        "runs",
        "list",
        "-e",
        "Purchase Prediction",
        "-f",
        "metrics.r2_score < 0.85",
        "--format",
        "json",
    )
    rows = json.loads(filtered.output)
    assert [r["run_name"] for r in rows] == ["lin"]
    assert rows[0]["params.model_type"] == "LinearRegression"
    out = invoke(runs_root, "runs", "list", "--format", "csv").output
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert {r["run_name"] for r in parsed} == {"lin", "rf"}
    risky = next(r for r in parsed if r["run_name"] == "rf")["params.model_type"]
    assert risky.startswith("'=")  # CSV-injection guard


def test_runs_show_text_and_json(runs_root: Path, logged: dict[str, str]) -> None:
    text = invoke(runs_root, "runs", "show", logged["lin"]).output
    assert "Run lin" in text and "r2_score" in text and "notes.txt (5 bytes)" in text
    data = json.loads(invoke(runs_root, "runs", "show", logged["lin"], "--format", "json").output)
    assert data["params"] == {"model_type": "LinearRegression"}
    assert data["metrics"]["r2_score"]["latest"] == 0.81


def test_user_errors_are_one_line_with_exit_1(runs_root: Path, logged: dict[str, str]) -> None:
    runner = CliRunner()
    bad_filter = runner.invoke(
        main, ["--tracking-uri", str(runs_root), "runs", "list", "-f", "metrics.r2 LIKE 'x'"]
    )
    assert bad_filter.exit_code == 1
    assert bad_filter.output.startswith("Error: Invalid filter")
    assert "Traceback" not in bad_filter.output
    missing = runner.invoke(main, ["--tracking-uri", str(runs_root), "runs", "show", "nope"])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    unknown = runner.invoke(main, ["--tracking-uri", str(runs_root), "runs", "list", "-e", "Nope"])
    assert unknown.exit_code == 1 and "'Purchase Prediction'" in unknown.output


def test_usage_errors_exit_2(runs_root: Path) -> None:
    result = CliRunner().invoke(main, ["runs", "list", "--bogus"])
    assert result.exit_code == 2


def test_python_dash_m_and_environment_variable(
    runs_root: Path, logged: dict[str, str], tmp_path: Path
) -> None:
    done = run_python(
        "import sys; from runreport.cli import main\n"
        "sys.argv = ['runreport', 'runs', 'list', '--format', 'json']; main()",
        cwd=tmp_path,
        RUNREPORT_TRACKING_URI=str(runs_root),
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 2
    module = run_python(
        "import runpy; runpy.run_module('runreport', run_name='__main__')", cwd=tmp_path
    )
    assert "Usage: runreport" in module.stdout + module.stderr


def test_cli_reference_is_current() -> None:
    """docs/cli.md is generated from --help; regenerate with python docs/gen_cli.py."""
    docs = Path(__file__).resolve().parents[1] / "docs"
    sys.path.insert(0, str(docs))
    try:
        import gen_cli
    finally:
        sys.path.remove(str(docs))
    assert (docs / "cli.md").read_text(encoding="utf-8") == gen_cli.render()
