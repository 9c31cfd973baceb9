"""``runreport build`` speed, memory and page weight; the 10,000-run table in Chromium.

    python bench/bench_build.py [--runs 1000] [--params 20] [--metrics 5] [--steps 1000]
                                [--table-runs 10000] [--table-columns 200]

1. Writes ``--runs`` runs (each with ``--params`` params and ``--metrics`` metrics of ``--steps``
   points) with the store's writer, in this process, into bench/out/build-*/runs.
2. Full build in a child process (``python -m runreport build``): seconds, and the peak memory
   of the children (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``).
3. Adds one run and builds again: seconds (a rebuild reuses every unchanged run).
4. The largest run page apart from shared assets (its HTML plus its data file).
5. An experiment of ``--table-runs`` runs and ``--table-columns`` columns (params and metrics),
   built and opened in Chromium from file://: milliseconds until the table is interactive
   (``window.__runreportReady``, set when the first page of rows is drawn and the controls
   work, measured from navigation start).

Targets (issue 4): build <= 30 s and <= 1.5 GB; rebuild <= 3 s; run page <= 300 KB; 10,000-run
page interactive <= 2 s.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, machine, row

from runreport.store import format as fmt
from runreport.store import ids, writer
from runreport.store.files import atomic_write

START_MS = 1_780_000_000_000
CHROMIUM = "/usr/bin/chromium"


def write_runs(
    root: Path, name: str, runs: int, params: int, metrics: int, steps: int, seed: int = 42
) -> str:
    """Write ``runs`` finished runs with the store's writer; return the experiment id."""
    rng = random.Random(seed)
    experiment = writer.get_or_create_experiment(root, name)
    for index in range(runs):
        add_run(root, experiment.experiment_id, index, params, metrics, steps, rng)
    return experiment.experiment_id


def add_run(
    root: Path,
    experiment_id: str,
    index: int,
    params: int,
    metrics: int,
    steps: int,
    rng: random.Random,
) -> None:
    start = START_MS + index * 60_000
    record = fmt.RunRecord(
        run_id=ids.new_run_id(start),
        experiment_id=experiment_id,
        run_name=f"run-{index:05d}",
        status="FINISHED",
        start_time=start,
        end_time=start + 55_000,
        user_id="bench",
        params={
            f"p{j:03d}": str(rng.choice((0.001, 0.01, 0.1, 1.0)) * (j + 1)) for j in range(params)
        },
        tags={"team": "bench", "mlflow.source.git.commit": f"{index:040x}"},
    )
    run_dir = writer.create_run(root, record)
    if steps == 1:
        summary = fmt.Summary()
        lines = []
        for j in range(metrics):
            value = rng.random()
            summary.add(f"m{j:03d}", start, 0, value)
            lines.append(fmt.format_metric_line(f"m{j:03d}", start, 0, value))
        data = "".join(lines).encode()
        (run_dir / fmt.METRICS_FILE).write_bytes(data)
        summary.covered_bytes = len(data)
        atomic_write(run_dir / fmt.SUMMARY_FILE, summary.to_json())
        return
    scale = rng.random()
    points = [
        (
            f"m{j}",
            start + step * 50,
            step,
            scale / (1 + step * (j + 1) * 0.01) + rng.random() * 0.01,
        )
        for j in range(metrics)
        for step in range(steps)
    ]
    writer.MetricAppender(run_dir).append(points)


def build(runs_dir: Path, site: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "runreport", "build", str(runs_dir), "-o", str(site)],
        cwd=runs_dir.parent,  # no stray ./stages.yaml is picked up
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def largest_run_page(site: Path) -> tuple[int, int]:
    """(HTML + data file bytes, HTML bytes) of the heaviest run page."""
    best = (0, 0)
    for page in (site / "runs").glob("*.html"):
        html = page.stat().st_size
        data = page.with_suffix(".js").stat().st_size
        best = max(best, (html + data, html))
    return best


def table_ready_ms(page: Path) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            tab = browser.new_page()
            tab.goto(page.as_uri())
            tab.wait_for_function("window.__runreportReady !== undefined", timeout=60_000)
            return float(tab.evaluate("window.__runreportReady"))
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--params", type=int, default=20)
    parser.add_argument("--metrics", type=int, default=5)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--table-runs", type=int, default=10_000)
    parser.add_argument("--table-columns", type=int, default=200)
    args = parser.parse_args()

    print(f"runreport build benchmark ({machine()})")
    work = OUT / f"build-{args.runs}-{args.params}-{args.metrics}-{args.steps}"
    shutil.rmtree(work, ignore_errors=True)
    runs_dir, site = work / "runs", work / "site"
    started = time.perf_counter()
    experiment_id = write_runs(
        runs_dir, "bench-build", args.runs, args.params, args.metrics, args.steps
    )
    print(
        f"  wrote {args.runs:,} runs x {args.params} params x {args.metrics} metrics x "
        f"{args.steps:,} steps in {time.perf_counter() - started:.1f} s"
    )

    # Runs are usually logged well before a build; the store's cache only keeps runs whose
    # files are older than two seconds, so wait that long, as a real project would have.
    time.sleep(2.5)
    full = build(runs_dir, site)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    add_run(
        runs_dir, experiment_id, args.runs, args.params, args.metrics, args.steps, random.Random(7)
    )
    rebuild = build(runs_dir, site)
    total, html = largest_run_page(site)

    table_work = OUT / f"build-table-{args.table_runs}-{args.table_columns}"
    shutil.rmtree(table_work, ignore_errors=True)
    n_metrics = args.table_columns // 4
    table_id = write_runs(
        table_work / "runs",
        "bench-table",
        args.table_runs,
        args.table_columns - n_metrics,
        n_metrics,
        1,
    )
    time.sleep(2.5)
    table_build = build(table_work / "runs", table_work / "site")
    page = table_work / "site" / "experiments" / f"{table_id}.html"
    data = page.parent / table_id / "runs.js"
    ready = table_ready_ms(page) if Path(CHROMIUM).exists() else float("nan")

    print()
    row("figure", "measured", "target")
    row(f"full build, {args.runs:,} runs (s)", f"{full:.1f}", "<= 30")
    row("peak memory of the build (MB)", f"{peak_mb:,.0f}", "<= 1,536")
    row("rebuild after one new run (s)", f"{rebuild:.1f}", "<= 3")
    row("largest run page + its data file (KB)", f"{total / 1024:,.0f}", "<= 300")
    row("  of which HTML (KB)", f"{html / 1024:,.0f}", "")
    row(f"{args.table_runs:,}-run table: build (s)", f"{table_build:.1f}", "")
    row(f"{args.table_runs:,}-run table: runs.js (MB)", f"{data.stat().st_size / 2**20:.1f}", "")
    row(f"{args.table_runs:,}-run page interactive (ms)", f"{ready:,.0f}", "<= 2,000")


if __name__ == "__main__":
    main()
