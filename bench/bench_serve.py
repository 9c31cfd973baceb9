"""Scoring-server throughput and latency, side by side with ``mlflow models serve``.

    python bench/bench_serve.py [--requests 2000] [--rounds 3] [--concurrency 16] [--workers 1]

Saves a small scikit-learn model (a linear regression on 8 columns, with a signature) with
runreport, serves it with ``runreport serve`` and, when MLflow is installed, with
``mlflow models serve -m PATH --env-manager local`` on the same model folder, both on
127.0.0.1. For 1 and 64 rows per request, ``--concurrency`` keep-alive connections send
``--requests`` ``dataframe_split`` requests in total (after a warm-up), the servers taking turns
for ``--rounds`` rounds; the script prints requests per second and p50/p99 latency of each
server's median round, then stops both servers. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import have_mlflow, machine, percentile, row

COLUMNS = [f"x{i}" for i in range(8)]


def save_model(folder: Path) -> Path:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    import runreport.sklearn
    from runreport.models import infer_signature

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(500, len(COLUMNS))), columns=COLUMNS)
    model = LinearRegression().fit(frame, frame.sum(axis=1))
    path = folder / "model"
    runreport.sklearn.save_model(model, path, signature=infer_signature(frame))
    return path


def payload(rows: int) -> bytes:
    data = [[round(0.1 * (r + c), 3) for c in range(len(COLUMNS))] for r in range(rows)]
    return json.dumps({"dataframe_split": {"columns": COLUMNS, "data": data}}).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(command: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{command[:3]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{command[:3]} did not answer /ping in 120 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


async def _client(port: int, body: bytes, count: int, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    for _ in range(count):
        started = time.perf_counter()
        writer.write(head + body)
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        if b" 200 " not in status:
            raise SystemExit(f"server answered {status!r}")
    writer.close()


async def _load(port: int, body: bytes, requests: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    share = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]
    await asyncio.gather(*(_client(port, body, n, latencies) for n in share))
    return latencies


def measure(port: int, rows: int, requests: int, concurrency: int) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) for ``requests`` requests of ``rows`` rows."""
    body = payload(rows)
    asyncio.run(_load(port, body, max(200, requests // 10), concurrency))  # warm-up
    started = time.perf_counter()
    latencies = asyncio.run(_load(port, body, requests, concurrency))
    elapsed = time.perf_counter() - started
    ns = sorted(int(s * 1e9) for s in latencies)
    return requests / elapsed, percentile(ns, 0.50) / 1e6, percentile(ns, 0.99) / 1e6


def servers(model: Path, workers: int) -> dict[str, tuple[list[str], dict[str, str]]]:
    env = dict(os.environ)
    found = {
        "runreport serve": (
            [
                sys.executable,
                "-m",
                "runreport",
                "serve",
                "-m",
                str(model),
                "--workers",
                str(workers),
            ],
            env,
        )
    }
    if have_mlflow():
        mlflow_env = {
            **env,
            "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true",
            "MLFLOW_MODELS_WORKERS": str(workers),
        }
        command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(model)]
        found["mlflow models serve"] = ([*command, "--env-manager", "local"], mlflow_env)
    return found


def run(model: Path, args: argparse.Namespace) -> dict[tuple[str, int], list[tuple[float, ...]]]:
    """Start every server, then measure them in turns, ``--rounds`` times each."""
    started = {}
    try:
        for name, (command, env) in servers(model, args.workers).items():
            port = free_port()
            started[name] = (port, start([*command, "--port", str(port)], port, env))
        results: dict[tuple[str, int], list[tuple[float, ...]]] = {}
        for rows in (1, 64):
            for _ in range(args.rounds):
                for name, (port, _process) in started.items():
                    figures = measure(port, rows, args.requests, args.concurrency)
                    results.setdefault((name, rows), []).append(figures)
        return results
    finally:
        for _port, process in started.values():
            stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"scoring server benchmark: {args.requests} requests x {args.rounds} rounds per row, "
        f"{args.concurrency} connections, {args.workers} worker(s) ({machine()})"
    )
    print("  (median round by requests/s; the servers take turns, so load on the machine")
    print("  falls on both alike)")
    with tempfile.TemporaryDirectory() as folder:
        results = run(save_model(Path(folder)), args)
    medians = {key: sorted(rounds)[len(rounds) // 2] for key, rounds in results.items()}
    row("", "rows/request", "requests/s", "p50 ms", "p99 ms")
    for (name, rows), (rps, p50, p99) in medians.items():
        row(name, rows, f"{rps:,.0f}", f"{p50:.2f}", f"{p99:.2f}")
    for rows in (1, 64):
        ours, theirs = medians["runreport serve", rows], medians.get(("mlflow models serve", rows))
        if theirs:
            print(
                f"  -> {rows} row(s): runreport/MLflow throughput {ours[0] / theirs[0]:.2f}x, "
                f"p99 {ours[2]:.2f} ms vs {theirs[2]:.2f} ms"
            )


if __name__ == "__main__":
    main()
