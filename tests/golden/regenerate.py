"""The golden site: a small, fixed set of runs built into tests/golden/site/.

    python tests/golden/regenerate.py

Runs are written with the store's writer (``runreport.store.writer``) with fixed ids, names,
times and metric points, so the same site comes out on every machine; artifacts are written as
plain files (a hand-written MLmodel stands for a model, so no pickle is involved). The build
uses ``SOURCE_DATE_EPOCH``. ``tests/test_site_golden.py`` builds the same runs and compares the
result with the committed folder file by file. Left out of the golden folder: the Vega bundle
(``assets/vega.js``, large and owned by vl-convert) and the build manifest (which records file
times). Regenerate after a deliberate change to templates, assets or page models, and review
the diff.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "site"
EPOCH = "1780000000"
EXCLUDED = frozenset({"assets/vega.js", ".runreport-build.json"})
START = 1_780_000_000_000

_MLMODEL = """\
artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: model.pkl
    python_version: 3.11.7
  sklearn:
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.5.0
model_uuid: 0123456789abcdef0123456789abcdef
run_id: {run_id}
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  type: dataframe
signature:
  inputs: '[{{"type": "double", "name": "age", "required": true}},
    {{"type": "double", "name": "income", "required": true}}]'
  outputs: '[{{"type": "tensor", "tensor-spec": {{"dtype": "float64", "shape": [-1]}}}}]'
  params: null
utc_time_created: '2026-05-28 20:26:40.000000'
"""


def make_runs(root: Path) -> None:
    """Write the golden runs into ``root``."""
    from runreport.store import format as fmt
    from runreport.store import ids, writer
    from runreport.store.files import atomic_write

    def experiment(name: str, tags: dict[str, str]) -> str:
        experiment_id = ids.experiment_id_for(name)
        folder = root / experiment_id
        folder.mkdir(parents=True)
        record = fmt.ExperimentRecord(experiment_id, name, "active", START, START, tags)
        atomic_write(folder / fmt.EXPERIMENT_FILE, record.to_json())
        return experiment_id

    def run(experiment_id: str, index: int, name: str, **fields: object) -> Path:
        start = START + index * 600_000
        record = fmt.RunRecord(
            run_id=f"{index + 1:02d}" + "0" * 29 + "a",
            experiment_id=experiment_id,
            run_name=name,
            status=str(fields.pop("status", "FINISHED")),
            start_time=start,
            end_time=start + 192_000,
            user_id="ada",
            **fields,  # type: ignore[arg-type]
        )
        return writer.create_run(root, record)

    main = experiment("Churn model", {"runreport.primary_metric": "val_loss"})
    tags = {
        "mlflow.source.name": "train.py",
        "mlflow.source.git.commit": "3f2c9e1d5b7a4c6e8f0a1b2c3d4e5f6a7b8c9d0e",
        "mlflow.source.git.repoURL": "https://github.com/acme/churn.git",
    }
    parent = run(
        main,
        0,
        "sweep",
        params={"model": "ridge", "alpha": "0.5"},
        tags=tags,
        description="Baseline sweep over **alpha**.",
    )
    points = [
        (key, START + step * 1000, step, round(value, 6))
        for step in range(30)
        for key, value in (("val_loss", 1 / (step + 1)), ("accuracy", step / 30))
    ]
    writer.MetricAppender(parent).append(points)
    artifacts = parent / fmt.ARTIFACTS_DIR
    (artifacts / "plots").mkdir()
    (artifacts / "plots" / "curve.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
        '<path d="M0 20 L20 5 L40 0" stroke="#0b5cad" fill="none"/></svg>\n',
        encoding="utf-8",
    )
    (artifacts / "history.csv").write_text("epoch,val_loss\n1,0.5\n2,0.33\n", encoding="utf-8")
    (artifacts / "config.json").write_text(json.dumps({"alpha": 0.5, "folds": 5}), encoding="utf-8")
    (artifacts / "notes.md").write_text("# Notes\n\nLooks *fine*.\n", encoding="utf-8")
    for index, alpha in enumerate(("0.1", "1.0"), start=1):
        child = run(
            main,
            index,
            f"alpha-{alpha}",
            params={"model": "ridge", "alpha": alpha},
            parent_run_id=parent.name,
        )
        writer.MetricAppender(child).append([("val_loss", START + index, 0, float(alpha) / 4)])
    failed = run(main, 3, "diverged", status="FAILED", params={"model": "sgd", "alpha": "10"})
    writer.MetricAppender(failed).append([("val_loss", START + 3, 0, float("nan"))])
    with_model = run(main, 4, "linear", params={"model": "linear"})
    writer.MetricAppender(with_model).append([("val_loss", START + 4, 0, 0.2)])
    model = with_model / fmt.ARTIFACTS_DIR / "model"
    model.mkdir()
    (model / "MLmodel").write_text(_MLMODEL.format(run_id=with_model.name), encoding="utf-8")
    (model / "requirements.txt").write_text("scikit-learn==1.5.0\n", encoding="utf-8")
    (model / "input_example.json").write_text(
        json.dumps({"columns": ["age", "income"], "data": [[31.0, 1.5], [45.0, 2.5]]}),
        encoding="utf-8",
    )
    other = experiment("Ranking", {})
    ranked = run(other, 5, "lambdamart", params={"trees": "300"})
    writer.MetricAppender(ranked).append([("ndcg", START + 5, 0, 0.71)])


def build_golden(out: Path) -> None:
    """Build the golden site into ``out`` (made from fresh runs in a temporary folder)."""
    from runreport.site.build import BuildOptions, build_site

    with tempfile.TemporaryDirectory(prefix="runreport-golden-") as tmp:
        runs = Path(tmp) / "runs"
        make_runs(runs)
        previous = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = EPOCH
        try:
            build_site(BuildOptions(runs_dirs=[runs], output=out, title="Golden"))
        finally:
            if previous is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = previous


def golden_files(site: Path) -> dict[str, bytes]:
    """Every file of a built site that the golden comparison covers."""
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and p.relative_to(site).as_posix() not in EXCLUDED
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="runreport-golden-site-") as tmp:
        built = Path(tmp) / "site"
        build_golden(built)
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, data in golden_files(built).items():
            target = GOLDEN / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    total = sum(p.stat().st_size for p in GOLDEN.rglob("*") if p.is_file())
    print(f"wrote {GOLDEN} ({total / 1024:.0f} KB)")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1] / "src"))
    main()
