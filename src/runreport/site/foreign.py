"""Building from MLflow stores: ``runreport build mlruns/`` and ``runreport build mlflow.db``.

An MLflow store is converted into run folders in a temporary folder for the length of the build
(artifacts are hard-linked where the filesystem allows, so this is cheap; those folders become
``linked_roots``, whose files may have one hard link more), and its registry into a temporary
stages.yaml when no registry was given. Runreport's own run folders are used as they are, so
MLflow and runreport sources mix in one build. The runs a conversion leaves out become the
build's problems (``source_problems``), as bad runreport run folders do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runreport.exceptions import InvalidParameterError
from runreport.site.inputs import Problem
from runreport.store.reader import SkippedRun
from runreport.store.sources import MLFLOW_SQLITE, RUNREPORT, detect_kind, open_source, path_of


def _kind(location: str) -> str:
    if location.startswith("sqlite:"):
        return MLFLOW_SQLITE
    try:
        return detect_kind(path_of(location))
    except (InvalidParameterError, OSError):
        return RUNREPORT  # the read phase reports what is wrong with it


@contextlib.contextmanager
def readable_sources(options: Any) -> Iterator[Any]:
    """``options`` with every MLflow store replaced by a temporary conversion of it."""
    from runreport.store.importer import import_source

    locations = [str(p) for p in options.runs_dirs]
    if all(_kind(text) == RUNREPORT for text in locations):
        yield options
        return
    with tempfile.TemporaryDirectory(prefix="runreport-build-") as tmp:
        dirs: list[Path] = []
        problems: list[Problem] = []
        registry = options.registry
        for index, text in enumerate(locations):
            if _kind(text) == RUNREPORT:
                dirs.append(Path(text))
                continue
            target = Path(tmp) / f"source-{index}" / "runs"
            stages = Path(tmp) / f"source-{index}" / "stages.yaml" if registry is None else None
            source = open_source(text)
            report = import_source(source, target, stages, link=True)
            problems += [_import_problem(source.location, s) for s in report.skipped]
            dirs.append(target)
            if stages is not None and stages.exists():
                registry = stages
        linked = tuple(d for d in dirs if Path(tmp) in d.parents)
        yield dataclasses.replace(
            options,
            runs_dirs=dirs,
            registry=registry,
            linked_roots=linked,
            source_problems=tuple(problems),
        )


def _import_problem(store: Path, skipped: SkippedRun) -> Problem:
    """A run the conversion of the MLflow store at ``store`` left out, as a build problem.

    It names the run's folder (or database and run id); the published path and reason show the
    store by its name only.
    """
    where, name = str(store), store.name
    if skipped.path.startswith(where):
        shown = name + skipped.path[len(where) :].replace(os.sep, "/")
    else:
        shown = os.path.basename(skipped.path)
    return Problem(skipped.path, skipped.reason.replace(where, name), shown)
