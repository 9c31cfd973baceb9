"""Comparison reports: golden outputs, verdicts, noise, truncation, escaping, the CLI."""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

from runreport.cli import main
from runreport.reports import (
    MARKER,
    MetricSemantics,
    compare,
    default_direction,
    render_html,
    render_markdown,
)
from runreport.reports.compare import sparkline
from runreport.reports.semantics import BETTER, UNCHANGED, UNKNOWN, WORSE
from runreport.tracking.client import Client
from runreport.tracking.entities import Metric, Run, RunData, RunInfo
from tests.golden_reports.cases import CASES, render_case
from tests.golden_reports.runs import RUN_IDS, write_runs

GOLDEN = Path(__file__).resolve().parent / "golden_reports"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_reports(name: str, tmp_path: Path) -> None:
    """Regenerate with: python tests/golden_reports/regenerate.py"""
    assert render_case(name, tmp_path / "runs") == (GOLDEN / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("key", "direction"),
    [
        ("val_loss", False),
        ("rmse", False),
        ("test_mae", False),
        ("error_rate", False),
        ("mse", False),
        ("accuracy", True),
        ("r2_score", True),
        ("f1", True),
        ("roc_auc", True),
        ("precision", True),
        ("recall", True),
        ("epochs", None),
        ("coef_views", None),
    ],
)
def test_default_directions(key: str, direction: bool | None) -> None:
    assert default_direction(key) is direction


def test_noise_thresholds_and_verdicts() -> None:
    sem = MetricSemantics("r2", True, noise_abs=0.01)
    assert sem.judge(0.80, 0.805) == UNCHANGED
    assert sem.judge(0.80, 0.82) == BETTER
    assert sem.judge(0.80, 0.70) == WORSE
    relative = MetricSemantics("rmse", False, noise_rel=0.05)
    assert relative.judge(100.0, 104.0) == UNCHANGED
    assert relative.judge(100.0, 94.0) == BETTER
    assert sem.judge(None, 0.5) == UNKNOWN
    assert sem.judge(0.5, math.nan) == UNKNOWN
    assert MetricSemantics("epochs").judge(1.0, 2.0) == UNKNOWN


def _run(name: str, metrics: dict[str, float], params: dict[str, str] | None = None) -> Run:
    info = RunInfo(name, "0", name, "u", "FINISHED", 0, 1, "file:///x")
    return Run(info, RunData(metrics=metrics, params=params or {}))


def test_sparkline_keeps_the_shape() -> None:
    points = [Metric("m", float(v), i, i) for i, v in enumerate([5, 4, 3, 2, 1, 0] * 10)]
    line = sparkline(points)
    assert len(line) == 16 and set(line) <= set("▁▂▃▄▅▆▇█")
    assert sparkline(points[:1]) == ""
    assert sparkline([Metric("m", math.nan, 0, 0), Metric("m", 1.0, 0, 1)]) == " ▁"


def test_markdown_stays_under_the_comment_limit_with_a_note() -> None:
    metrics = {f"metric_{i:04d}_loss": float(i) for i in range(3000)}
    comparison = compare(
        _run("base", metrics), [_run("cand", {k: v + 1 for k, v in metrics.items()})], lambda *_: []
    )
    text = render_markdown(comparison)
    assert len(text) <= 60_000
    assert text.startswith(MARKER)
    assert "more metrics are not shown" in text


def test_hostile_names_are_inert_in_markdown_and_html() -> None:
    evil = '<script>alert(1)</script>|"><img src=x onerror=alert(2)>'
    comparison = compare(
        _run("base", {"r2_score": 0.5}, {"p": evil}),
        [
            _run(
                evil,
                {"r2_score": 0.6, evil.replace("<", "x").replace(">", "x")[:20]: 1.0},
                {"p": "2"},
            )
        ],
        lambda *_: [],
    )
    from markdown_it import MarkdownIt

    # Rendered the way GitHub does (raw HTML allowed), the comment holds no live tag.
    rendered = (
        MarkdownIt("commonmark", {"html": True}).enable("table").render(render_markdown(comparison))
    )
    assert "<script" not in rendered and "<img" not in rendered
    page = render_html(comparison, "https://example.org/site")

    class Tags(HTMLParser):
        found: ClassVar[list[str]] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
            self.found.append(tag)
            for name, value in attrs:
                assert not name.startswith("on")
                if name in ("href", "src"):
                    assert value.startswith("https://example.org/site/")

    parser = Tags()
    parser.feed(page)
    assert "script" not in parser.found and "img" not in parser.found


def test_a_metric_on_one_side_and_nan_are_explained() -> None:
    comparison = compare(
        _run("base", {"loss": 1.0, "only_base": 2.0, "nan_metric": math.nan}),
        [_run("cand", {"loss": 0.5, "only_cand": 3.0, "nan_metric": 1.0})],
        lambda *_: [],
    )
    notes = {row.semantics.key: row.note for row in comparison.metrics}
    assert notes["only_base"] == "missing in some candidates"
    assert notes["only_cand"] == "not logged by the baseline"
    assert notes["nan_metric"] == "NaN values"
    assert comparison.verdict == BETTER and comparison.primary == "loss"


@pytest.fixture
def golden_root(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    write_runs(root)
    return root


def test_cli_compare_formats_and_output_file(golden_root: Path, tmp_path: Path) -> None:
    args = [
        "--tracking-uri",
        str(golden_root),
        "compare",
        RUN_IDS["candidate-forest"],
        "--baseline",
        RUN_IDS["baseline-ridge"],
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(MARKER) and "✅ better" in result.output
    data = json.loads(CliRunner().invoke(main, [*args, "--format", "json"]).output)
    assert data["verdict"] == "better" and data["baseline"]["run_name"] == "baseline-ridge"
    out = tmp_path / "report.html"
    assert CliRunner().invoke(main, [*args, "--format", "html", "-o", str(out)]).exit_code == 0
    assert out.read_text().startswith("<!doctype html>")


def test_cli_compare_errors(golden_root: Path) -> None:
    runner = CliRunner()
    none = runner.invoke(main, ["--tracking-uri", str(golden_root), "compare"])
    assert none.exit_code == 1 and "at least one candidate" in none.output
    unknown = runner.invoke(main, ["--tracking-uri", str(golden_root), "compare", "deadbeef"])
    assert unknown.exit_code == 1 and "'deadbeef' does not exist" in unknown.output


def test_cli_compare_against_the_production_model(
    golden_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = tmp_path / "stages.yaml"
    registry.write_text(
        "models:\n  PurchaseModel:\n    versions:\n"
        f"      1: {{source: 'runs:/{RUN_IDS['baseline-ridge']}/model', stage: Production}}\n"
        "    aliases: {champion: 1}\n"
    )
    monkeypatch.setenv("RUNREPORT_REGISTRY", str(registry))
    for baseline in (
        "models:/PurchaseModel/Production",
        "@champion",
        "models:/PurchaseModel@champion",
    ):
        result = CliRunner().invoke(
            main,
            [
                "--tracking-uri",
                str(golden_root),
                "compare",
                RUN_IDS["candidate-lasso"],
                "--baseline",
                baseline,
                "--format",
                "json",
            ],
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["baseline"]["run_name"] == "baseline-ridge" and data["verdict"] == "worse"


def test_metric_semantics_from_config(tmp_path: Path) -> None:
    from runreport.config import load_config

    (tmp_path / "runreport.yaml").write_text(
        "metrics:\n"
        "  r2_score: {direction: higher, display: R², format: .3f, noise: 0.005}\n"
        "  rmse: {noise: 2%}\n"
        "  '*_latency': {direction: lower}\n"
        "experiments:\n"
        "  Purchase Prediction: {primary_metric: rmse}\n"
    )
    config = load_config(tmp_path)
    table = config.metric_semantics()
    assert table["r2_score"].label == "R²" and table["r2_score"].show(0.81234) == "0.812"
    assert table["r2_score"].judge(0.8, 0.804) == UNCHANGED
    assert table["rmse"].higher_is_better is False and table["rmse"].noise_rel == 0.02
    assert table["p95_latency"].higher_is_better is False
    assert table["epochs"].higher_is_better is None
    assert config.primary_metrics() == {"Purchase Prediction": "rmse"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "metrics:\n  rmse: {direction: down}\n",
            "runreport.yaml:2: direction 'down' is not valid",
        ),
        ("metrics:\n  rmse: {noise: lots}\n", "noise 'lots' is not valid"),
        ("metrics:\n  rmse: {colour: red}\n", "unknown key 'colour'"),
        ("metrics:\n  rmse: {format: '%%'}\n", "not a Python format spec"),
        ("experiments:\n  E: {primary: x}\n", "unknown key 'primary'"),
    ],
)
def test_bad_metric_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    from runreport.config import load_config
    from runreport.exceptions import ConfigError

    (tmp_path / "runreport.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_config(tmp_path)


REPORT_SCRIPT = """
import sys, runreport
runreport.set_tracking_uri(sys.argv[1])
runreport.set_experiment("Churn")
with runreport.start_run(run_name=sys.argv[2]):
    runreport.log_param("model", sys.argv[2])
    runreport.log_metric("accuracy", float(sys.argv[3]))
"""


def test_report_compares_the_changes_runs_with_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    from tests.conftest import git, python_env

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "train.py").write_text(REPORT_SCRIPT)
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "baseline")
    runs = tmp_path / "runs"

    def train(name: str, accuracy: float) -> None:
        subprocess.run(
            [sys.executable, "train.py", str(runs), name, str(accuracy)],
            cwd=repo,
            env=python_env(),
            check=True,
        )

    train("prod-model", 0.90)
    prod_id = (
        Client(str(runs))
        .search_runs([Client(str(runs)).get_experiment_by_name("Churn").experiment_id])[0]
        .info.run_id
    )
    (repo / "stages.yaml").write_text(
        "models:\n  Churn:\n    versions:\n"
        f"      1: {{source: 'runs:/{prod_id}/model', stage: Production}}\n"
    )
    (repo / "train.py").write_text(REPORT_SCRIPT + "# tuned\n")
    git(repo, "commit", "-qam", "tune")
    train("tuned-model", 0.85)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["--tracking-uri", str(runs), "report", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [c["run_name"] for c in data["candidates"]] == ["tuned-model"]
    assert data["baseline_label"] == "Churn v1 (Production)" and data["verdict"] == "worse"
    failing = CliRunner().invoke(
        main, ["--tracking-uri", str(runs), "report", "--fail-on-regression"]
    )
    assert failing.exit_code == 1 and "got worse" in failing.output
    since = CliRunner().invoke(
        main, ["--tracking-uri", str(runs), "report", "--since", "HEAD~1", "--format", "json"]
    )
    assert since.exit_code == 0
    nothing = CliRunner().invoke(
        main, ["--tracking-uri", str(runs), "report", "--commit", "HEAD~1"]
    )
    assert nothing.exit_code == 0  # the baseline commit's own run is reported against itself
