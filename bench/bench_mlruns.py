"""Reading and searching an MLflow file store (mlruns/): runreport vs MLflow, side by side.

    python bench/bench_mlruns.py [--runs 1000] [--params 10] [--metrics 5] [--steps 100]

Logs the runs once with real MLflow into bench/out/ (cached), then times ``search_runs`` with a
filter on that folder in fresh processes: runreport (reading mlruns/ directly, no MLflow) and
``mlflow.search_runs``. Needs the ``bench`` extra (MLflow).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, have_mlflow, machine, quiet_mlflow, row
from bench_search import probe

FILTER = "metrics.m2 > 0.5 AND params.p3 = 'v1'"


def build(folder: Path, runs: int, params: int, metrics: int, steps: int) -> None:
    quiet_mlflow()
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    rng = random.Random(7)
    client = MlflowClient(folder.as_uri())
    exp = client.create_experiment("bench-mlruns")
    for _ in range(runs):
        run_id = client.create_run(exp).info.run_id
        points = [
            Metric(f"m{j}", rng.random(), 1_700_000_000_000 + s, s)
            for j in range(metrics)
            for s in range(steps)
        ]
        for start in range(0, len(points), 1000):
            client.log_batch(run_id, metrics=points[start : start + 1000])
        client.log_batch(
            run_id, params=[Param(f"p{j}", f"v{rng.randrange(10)}") for j in range(params)]
        )
        client.set_terminated(run_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--params", type=int, default=10)
    parser.add_argument("--metrics", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not have_mlflow():
        print("MLflow is needed to write the mlruns/ folder: pip install -e '.[bench]'")
        return
    print(
        f"mlruns/ benchmark: {args.runs:,} runs x {args.params} params x {args.metrics} metrics "
        f"x {args.steps} steps ({machine()})"
    )
    folder = OUT / f"mlruns-{args.runs}-{args.params}-{args.metrics}-{args.steps}"
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        start = time.perf_counter()
        build(folder, args.runs, args.params, args.metrics, args.steps)
        (folder / "done").write_text("")
        print(f"  logged the runs with MLflow's file store in {time.perf_counter() - start:.1f} s")
    row("(fresh process each; seconds)", "first call", "repeat median", "rows")
    ours = probe("runreport", str(folder), "", FILTER, args.repeat, experiment_name="bench-mlruns")
    row(
        "runreport search_runs on mlruns/",
        f"{ours['first']:.3f}",
        f"{ours['later']:.3f}",
        ours["rows"],
    )
    theirs = probe("mlflow", folder.as_uri(), "bench-mlruns", FILTER, args.repeat)
    row(
        "mlflow.search_runs on mlruns/",
        f"{theirs['first']:.3f}",
        f"{theirs['later']:.3f}",
        theirs["rows"],
    )
    print(
        f"  -> runreport is {theirs['first'] / ours['first']:.1f}x faster on the first call, "
        f"{theirs['later'] / ours['later']:.1f}x on repeats"
    )


if __name__ == "__main__":
    main()
