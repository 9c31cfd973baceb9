"""log_metric speed: median per call over 100,000 calls in one run, side by side with MLflow.

    python bench/bench_log_metric.py [--calls 100000] [--mlflow-calls 2000] [--history 1000000]

Prints runreport's per-call median/p90/p99, the memory held while logging a 1,000,000-step
history, and (when MLflow is installed: pip install -e '.[bench]') MLflow's per-call median with
its file store and its SQLite store, and the ratios.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import have_mlflow, machine, per_call_ns, percentile, quiet_mlflow, row


def bench_runreport(root: Path, calls: int) -> list[int]:
    import runreport

    runreport.set_tracking_uri(str(root))
    with runreport.start_run():
        log_metric = runreport.log_metric
        gc.collect()
        times = per_call_ns(lambda i: log_metric("loss", 0.5, step=i), calls)
    run = runreport.last_active_run()
    assert run.data.metric_summaries["loss"].count == calls, "points were lost"
    return times


def history_memory(root: Path, steps: int) -> tuple[int, int]:
    """Peak traced memory (bytes) while logging ``steps`` points, and the history size on disk."""
    import runreport

    runreport.set_tracking_uri(str(root))
    with runreport.start_run() as run:
        tracemalloc.start()
        for step in range(steps):
            runreport.log_metric("loss", 1.0 / (step + 1), step=step)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    run_dir = runreport.Client().run_dir(run.info.run_id)
    assert runreport.get_run(run.info.run_id).data.metric_summaries["loss"].count == steps
    return peak, (run_dir / "metrics.tsv").stat().st_size


def bench_mlflow(uri: str, calls: int) -> list[int]:
    quiet_mlflow()
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("bench-log-metric")
    with mlflow.start_run():
        mlflow.log_metric("warmup", 0.0)
        return per_call_ns(lambda i: mlflow.log_metric("loss", 0.5, step=i), calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--mlflow-calls", type=int, default=2_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"log_metric benchmark ({machine()})")
    with tempfile.TemporaryDirectory() as tmp:
        ours = bench_runreport(Path(tmp) / "runs", args.calls)
        ours_median = percentile(ours, 0.5) / 1000
        row("", "median us", "p90 us", "p99 us")
        row(
            f"runreport ({args.calls:,} calls)",
            f"{ours_median:.2f}",
            f"{percentile(ours, 0.9) / 1000:.2f}",
            f"{percentile(ours, 0.99) / 1000:.2f}",
        )
        peak, size = history_memory(Path(tmp) / "history", args.history)
        print(
            f"  {args.history:,}-step history: peak traced memory {peak / 2**20:.1f} MiB, "
            f"metrics.tsv {size / 2**20:.1f} MiB"
        )
        if not have_mlflow():
            print("  MLflow not installed: pip install -e '.[bench]' for the side-by-side figures")
            return
        for label, uri in [
            ("file store", (Path(tmp) / "mlruns").as_uri()),
            ("SQLite store", f"sqlite:///{Path(tmp) / 'mlflow.db'}"),
        ]:
            theirs = bench_mlflow(uri, args.mlflow_calls)
            their_median = percentile(theirs, 0.5) / 1000
            row(
                f"MLflow {label} ({args.mlflow_calls:,} calls)",
                f"{their_median:.2f}",
                f"{percentile(theirs, 0.9) / 1000:.2f}",
                f"{percentile(theirs, 0.99) / 1000:.2f}",
            )
            print(
                f"  -> runreport is {their_median / ours_median:,.0f}x faster than MLflow's {label}"
            )


if __name__ == "__main__":
    main()
