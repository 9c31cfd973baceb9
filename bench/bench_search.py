"""search_runs speed over many runs, side by side with MLflow's SQLite store.

    python bench/bench_search.py [--runs 10000] [--params 20] [--metrics 10] [--repeat 5]

Creates the runs once with runreport's client (and, when MLflow is installed, the same runs in
an MLflow SQLite database, cached in bench/out/ because MLflow needs minutes to log them), then
times ``search_runs`` with a filter and without, returning DataFrames as the tutorial does.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, have_mlflow, machine, quiet_mlflow, row

from runreport.store.cache import CACHE_DIR

FILTER = "metrics.m3 > 0.5 AND params.p7 = 'v1'"
# The query (a param and a metric), a filter on metrics alone (no run can be ruled out
# before its metrics are read), and no filter at all.
QUERIES = [("filtered", FILTER), ("metric-only filter", "metrics.m3 > 0.5"), ("unfiltered", "")]


def synthetic_runs(
    n: int, n_params: int, n_metrics: int
) -> list[tuple[dict[str, str], dict[str, float]]]:
    rng = random.Random(42)
    return [
        (
            {f"p{j}": f"v{rng.randrange(10)}" for j in range(n_params)},
            {f"m{j}": rng.random() for j in range(n_metrics)},
        )
        for _ in range(n)
    ]


def build_runreport(root: Path, runs) -> str:  # type: ignore[no-untyped-def]
    from runreport import Client, Metric, Param

    client = Client(str(root))
    exp = client.create_experiment("bench-search")
    for params, metrics in runs:
        run_id = client.create_run(exp).info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, 0, 0) for k, v in metrics.items()],
            params=[Param(k, v) for k, v in params.items()],
        )
        client.set_terminated(run_id)
    return exp


def build_mlflow(db: Path, runs) -> None:  # type: ignore[no-untyped-def]
    quiet_mlflow()
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient(f"sqlite:///{db}")
    exp = client.create_experiment("bench-search")
    for params, metrics in runs:
        run_id = client.create_run(exp).info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, 0, 0) for k, v in metrics.items()],
            params=[Param(k, v) for k, v in params.items()],
        )
        client.set_terminated(run_id)


PROBE = """
import json, sys, time
import pandas  # imported before timing, as in any script that uses the DataFrame
which, location, exp, text = sys.argv[1:5]
repeat = int(sys.argv[5])
if which == "runreport":
    import runreport as tool
    tool.set_tracking_uri(location)
    if not exp:
        exp = tool.get_experiment_by_name(sys.argv[6]).experiment_id
else:
    import logging, os, warnings
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    import mlflow as tool
    tool.set_tracking_uri(location)
    exp = tool.get_experiment_by_name(exp).experiment_id
times = []
for _ in range(repeat + 1):
    start = time.perf_counter()
    rows = len(tool.search_runs([exp], text, max_results=100_000))
    times.append(time.perf_counter() - start)
later = sorted(times[1:])
print(json.dumps({"first": times[0], "later": later[len(later) // 2], "rows": rows}))
"""


def probe(
    which: str, location: str, exp: str, text: str, repeat: int, experiment_name: str = ""
) -> dict[str, float]:
    """Time search_runs in a fresh interpreter: the first call, then the median of repeats."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, which, location, exp, text, str(repeat), experiment_name],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--params", type=int, default=20)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(
        f"search_runs benchmark: {args.runs:,} runs x {args.params} params x "
        f"{args.metrics} metrics ({machine()})"
    )
    runs = synthetic_runs(args.runs, args.params, args.metrics)
    root = OUT / f"search-{args.runs}-{args.params}-{args.metrics}" / "runs"
    if root.exists():
        shutil.rmtree(root)
    start = time.perf_counter()
    exp = build_runreport(root, runs)
    print(f"  logged the runs with runreport in {time.perf_counter() - start:.1f} s")
    time.sleep(2.5)  # let the runs age past the cache's racy-mtime window
    row("(fresh process each; seconds)", "first call", "repeat median", "rows")
    ours = {}
    for label, text in QUERIES:
        shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
        cold = probe("runreport", str(root), exp, text, args.repeat)
        warm = probe("runreport", str(root), exp, text, args.repeat)
        ours[label] = warm
        row(
            f"runreport {label}, no index yet",
            f"{cold['first']:.3f}",
            f"{cold['later']:.3f}",
            cold["rows"],
        )
        row(
            f"runreport {label}, index present",
            f"{warm['first']:.3f}",
            f"{warm['later']:.3f}",
            warm["rows"],
        )
    if not have_mlflow():
        print("  MLflow not installed: pip install -e '.[bench]' for the side-by-side figures")
        return
    db = OUT / f"mlflow-search-{args.runs}-{args.params}-{args.metrics}.db"
    if not db.exists():
        start = time.perf_counter()
        build_mlflow(db.with_suffix(".partial"), runs)
        db.with_suffix(".partial").rename(db)
        print(f"  logged the runs with MLflow (SQLite) in {time.perf_counter() - start:.1f} s")
    for label, text in QUERIES:
        theirs = probe("mlflow", f"sqlite:///{db}", "bench-search", text, args.repeat)
        row(
            f"MLflow SQLite {label}",
            f"{theirs['first']:.3f}",
            f"{theirs['later']:.3f}",
            theirs["rows"],
        )
        print(
            f"  -> runreport/MLflow speed-up ({label}): first call "
            f"{theirs['first'] / ours[label]['first']:.1f}x, "
            f"repeat {theirs['later'] / ours[label]['later']:.1f}x"
        )


if __name__ == "__main__":
    main()
