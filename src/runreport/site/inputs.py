"""Phase one of a build: read every experiment and run (and the registry) before writing.

Runs come from :func:`runreport.store.reader.scan_runs`, which caches parsed runs. A run or
experiment that cannot be read is reported as a :class:`Problem` naming the folder and the
reason; the build goes on without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from runreport.exceptions import RunFormatError
from runreport.store import format as fmt
from runreport.store import reader
from runreport.tracking.entities import LifecycleStage, Run


@dataclass(frozen=True, slots=True)
class Problem:
    """A folder the build left out, and why."""

    path: str
    reason: str
    shown: str = ""  # the path relative to its runs folder, for the published site


@dataclass(slots=True)
class ExperimentInput:
    experiment_id: str
    name: str
    tags: dict[str, str]
    creation_time: int | None
    runs: list[Run] = field(default_factory=list)


@dataclass(slots=True)
class SiteInputs:
    """Everything the site shows, read and validated."""

    experiments: list[ExperimentInput]
    run_dirs: dict[str, Path]  # run id -> folder
    problems: list[Problem]
    registry: object | None = None  # filled by the registry phase when available

    @property
    def runs(self) -> list[Run]:
        return [run for experiment in self.experiments for run in experiment.runs]


def read_runs(roots: list[Path]) -> SiteInputs:
    """Read the experiments and active runs of every root (merged by experiment id)."""
    experiments: dict[str, ExperimentInput] = {}
    run_dirs: dict[str, Path] = {}
    problems: list[Problem] = []
    for root in roots:
        _read_root(Path(root), experiments, run_dirs, problems)
    ordered = sorted(experiments.values(), key=lambda e: (e.name.casefold(), e.experiment_id))
    for experiment in ordered:
        experiment.runs.sort(key=_run_order)
    return SiteInputs([e for e in ordered if e.runs or e.experiment_id != "0"], run_dirs, problems)


def _run_order(run: Run) -> tuple[int, str]:
    return (-(run.info.start_time or 0), run.info.run_id)


def _read_root(
    root: Path,
    experiments: dict[str, ExperimentInput],
    run_dirs: dict[str, Path],
    problems: list[Problem],
) -> None:
    if not root.is_dir():
        problems.append(Problem(str(root), "is not a folder of runs", root.name))
        return
    wanted = []
    for folder in reader.experiment_dirs(root):
        try:
            record = reader.read_experiment_record(folder)
        except RunFormatError as exc:
            problems.append(folder_problem(root, str(folder), exc.reason))
            continue
        if record.lifecycle_stage != LifecycleStage.ACTIVE:
            continue
        wanted.append(record.experiment_id)
        experiments.setdefault(
            record.experiment_id,
            ExperimentInput(
                record.experiment_id, record.name, dict(record.tags), record.creation_time
            ),
        )
    runs, skipped = reader.scan_runs(root, wanted)
    problems.extend(folder_problem(root, s.path, s.reason) for s in skipped)
    for run in runs:
        _add_run(run, root, experiments, run_dirs, problems)


def _add_run(
    run: Run,
    root: Path,
    experiments: dict[str, ExperimentInput],
    run_dirs: dict[str, Path],
    problems: list[Problem],
) -> None:
    folder = run_folder(run)
    if run.info.lifecycle_stage != LifecycleStage.ACTIVE:
        return
    experiment = experiments.get(folder.parent.name)
    if experiment is None:
        return
    if run.info.run_id in run_dirs:
        other = run_dirs[run.info.run_id]
        problems.append(folder_problem(root, str(folder), f"run id also exists in {other}"))
        return
    run_dirs[run.info.run_id] = folder
    experiment.runs.append(run)


def folder_problem(root: Path, path: str, reason: str) -> Problem:
    """A problem with ``path`` (a folder or file under the runs folder ``root``), shown on the
    published site relative to ``root``'s name."""
    try:
        shown = os.path.relpath(path, root).replace(os.sep, "/")
    except ValueError:
        shown = os.path.basename(path)
    return Problem(path, reason.replace(str(root), root.name), f"{root.name}/{shown}")


def run_folder(run: Run) -> Path:
    """The folder a scanned run was read from (``Run.source`` is its ``file://`` URI)."""
    return Path(unquote(urlsplit(run.source).path))


def artifacts_dir(run_dir: Path) -> Path:
    return run_dir / fmt.ARTIFACTS_DIR
