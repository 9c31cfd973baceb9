"""Helpers shared by the site tests (this module holds no tests): sample runs logged with the
public API, bad run folders, and HTML parsing."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from bs4 import BeautifulSoup

import runreport
from runreport.site.build import BuildOptions, BuildReport, build_site

GITHUB_REMOTE = "https://github.com/acme/churn.git"
COMMIT = "3f2c9e1d5b7a4c6e8f0a1b2c3d4e5f6a7b8c9d0e"


@dataclass
class Sample:
    root: Path
    experiment_id: str
    parent: str
    children: list[str]
    failed: str
    model_run: str
    other_experiment_id: str
    secret: Path


def log_sample_runs(root: Path) -> Sample:
    """Two experiments: a parent run with two nested children (metrics with steps, every kind
    of artifact, a symlink pointing outside), a failed run, a run with an sklearn model."""
    from sklearn.linear_model import LinearRegression

    from runreport.models import infer_signature

    runreport.set_tracking_uri(str(root))
    secret = root.parent / "secret.txt"
    secret.write_text("do not publish", encoding="utf-8")
    experiment_id = runreport.set_experiment("Purchase Prediction").experiment_id
    description = "## Notes\n\nBaseline with **ridge**. [docs](https://example.com/docs)"
    tags = {"mlflow.source.git.commit": COMMIT, "mlflow.source.git.repoURL": GITHUB_REMOTE}
    with runreport.start_run(run_name="sweep", description=description, tags=tags) as parent:
        runreport.log_params({"model_type": "Ridge", "alpha": 0.5})
        for step in range(40):
            runreport.log_metric("loss", 1.0 / (step + 1), step=step)
            runreport.log_metric("accuracy", step / 40, step=step)
        _log_artifacts(root)
        children = []
        for alpha in (0.1, 1.0):
            with runreport.start_run(run_name=f"alpha-{alpha}", nested=True) as child:
                runreport.log_param("alpha", alpha)
                runreport.log_metric("loss", alpha / 2)
            children.append(child.info.run_id)
    artifacts = Path(
        runreport.get_run(parent.info.run_id).info.artifact_uri.removeprefix("file://")
    )
    os.symlink(secret, artifacts / "leak.txt")
    try:
        with runreport.start_run(run_name="crashes") as failed:
            runreport.log_metric("loss", float("nan"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    frame = pd.DataFrame({"age": [31.0, 45.0, 22.0], "income": [1.5, 2.5, 0.7]})
    model = LinearRegression().fit(frame, [0, 1, 0])
    with runreport.start_run(run_name="linear") as model_run:
        runreport.log_metric("loss", 0.25)
        runreport.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(frame, model.predict(frame)),
            input_example=frame.iloc[:2],
        )
    other = runreport.set_experiment("Tiny").experiment_id
    with runreport.start_run(run_name="only"):
        runreport.log_metric("r2_score", 0.9)
    return Sample(
        root,
        experiment_id,
        parent.info.run_id,
        children,
        failed.info.run_id,
        model_run.info.run_id,
        other,
        secret,
    )


def _log_artifacts(root: Path) -> None:
    image = np.zeros((8, 8, 3), dtype=np.uint8)
    image[:, :4] = 255
    runreport.log_image(image, "plots/square.png")
    runreport.log_text("epoch,loss\n1,0.5\n2,0.25\n", "metrics/history.csv")
    runreport.log_text("a\tb\n1\t2\n", "metrics/table.tsv")
    runreport.log_dict({"alpha": 0.5, "layers": [1, 2]}, "config.json")
    runreport.log_dict({"alpha": 0.5}, "config.yaml")
    runreport.log_text("# Report\n\nAll **good**.", "report.md")
    runreport.log_text("<html><body><h1>Report</h1></body></html>", "report.html")
    runreport.log_text("line 1\nline 2\n", "logs/train.log")


def write_bad_runs(root: Path, experiment_id: str) -> dict[str, Path]:
    """A corrupt run, a half-written run and a run from a future format, in one experiment."""
    folder = root / experiment_id
    corrupt = folder / "0000000000000000000000000000c0de"
    corrupt.mkdir()
    (corrupt / "run.json").write_text("{not json", encoding="utf-8")
    half = folder / "0000000000000000000000000000ba1f"
    half.mkdir()
    (half / "metrics.tsv").write_text("loss\t1\t0\t0.5\n", encoding="utf-8")
    future = folder / "00000000000000000000000000000f7e"
    future.mkdir()
    record = {
        "format_version": 99,
        "run_id": future.name,
        "experiment_id": experiment_id,
        "run_name": "from the future",
        "status": "FINISHED",
        "lifecycle_stage": "active",
    }
    (future / "run.json").write_text(json.dumps(record), encoding="utf-8")
    return {"corrupt": corrupt, "half": half, "future": future}


def build(root: Path, out: Path, **options: object) -> BuildReport:
    return build_site(BuildOptions(runs_dirs=[root], output=out, **options))  # type: ignore[arg-type]


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def page_data(document: BeautifulSoup) -> dict[str, object]:
    node = document.select_one("script#page-data")
    assert node is not None
    return json.loads(node.string or "")


def js_data(path: Path) -> dict[str, object]:
    """The JSON assigned by one of the site's data scripts (runs.js, runs/<id>.js)."""
    text = path.read_text(encoding="utf-8").rstrip()
    marker = "] = " if text.startswith("(") else " = "
    return json.loads(text[text.index(marker) + len(marker) :].removesuffix(";"))


def site_files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }
