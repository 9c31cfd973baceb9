"""``runreport ui``: build, serve the site with the standard library, rebuild on changes.

Changes are found by polling: the modification times and sizes of every experiment and run
record, summary, history and artifacts folder, and of ``stages.yaml``. A rebuild reuses every
unchanged run (see :mod:`runreport.site.output`), so it costs about as much as the changes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from runreport.site.build import BuildOptions, build_site
from runreport.store import format as fmt

Echo = Callable[[str], None]
_WATCHED = (fmt.RUN_FILE, fmt.SUMMARY_FILE, fmt.METRICS_FILE, fmt.ARTIFACTS_DIR)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def snapshot(options: BuildOptions) -> tuple[tuple[str, int, int], ...]:
    """What the site is built from, as (path, mtime_ns, size) of every watched file."""
    return tuple(_stats(options))


def _stats(options: BuildOptions) -> Iterator[tuple[str, int, int]]:
    paths: list[Path] = [options.registry] if options.registry else []
    for root in options.runs_dirs:
        for experiment in _subdirs(Path(root)):
            paths.append(experiment / fmt.EXPERIMENT_FILE)
            for run in _subdirs(experiment):
                paths.extend(run / name for name in _WATCHED)
    for path in paths:
        with contextlib.suppress(OSError):
            st = os.stat(path)
            yield (str(path), st.st_mtime_ns, st.st_size)


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(
            Path(e.path) for e in os.scandir(folder) if e.is_dir() and not e.name.startswith(".")
        )
    except OSError:
        return []


def rebuild(options: BuildOptions, echo: Echo) -> None:
    report = build_site(options)
    for problem in report.problems:
        echo(f"Warning: skipped {problem.path}: {problem.reason}")
    echo(f"Built {options.output}: {report.summary()}")


def watch(
    options: BuildOptions,
    interval: float,
    stop: threading.Event,
    echo: Echo,
    last: tuple[tuple[str, int, int], ...] | None = None,
) -> None:
    """Rebuild whenever the snapshot differs from ``last`` (default: now), until ``stop``."""
    if last is None:
        last = snapshot(options)
    while not stop.wait(interval):
        current = snapshot(options)
        if current != last:
            last = current
            try:
                rebuild(options, echo)
            except Exception as exc:  # keep serving the last good site
                echo(f"Rebuild failed: {exc}")


def make_server(options: BuildOptions, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server for the site folder (``port`` 0 picks a free port)."""
    handler = functools.partial(_QuietHandler, directory=str(options.output))
    return ThreadingHTTPServer((host, port), handler)


def serve(options: BuildOptions, host: str, port: int, interval: float, echo: Echo) -> None:
    """Build, then serve ``options.output`` until interrupted, rebuilding on changes."""
    before = snapshot(options)  # changes made during the first build trigger a rebuild
    rebuild(options, echo)
    server = make_server(options, host, port)
    stop = threading.Event()
    watcher = threading.Thread(
        target=watch, args=(options, interval, stop, echo, before), daemon=True
    )
    watcher.start()
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{server.server_address[1]}/"
    echo(f"Serving {options.output} at {url} (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        echo("Stopped.")
    finally:
        stop.set()
        server.server_close()
