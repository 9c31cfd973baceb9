"""``runreport import mlflow``: convert an MLflow store into runreport's run folders, losslessly.

Ids, names, times, statuses, params, tags, full metric histories, artifacts and models are kept.
Each run is written into a hidden temporary folder and renamed into place when complete, so the
import is idempotent (a run already imported is skipped) and resumable (an interrupted run is
redone; leftovers of a killed import are removed).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runreport.store import format as fmt
from runreport.store import ids, reader
from runreport.store.files import atomic_write, create_exclusive
from runreport.store.reader import SkippedRun
from runreport.store.sources import RunSource
from runreport.tracking.entities import Experiment, Run

TEMP_RUN_PREFIX = ".import-"


@dataclass
class ImportReport:
    """What an import did: counts, and the runs it could not read."""

    experiments_created: int = 0
    runs_imported: int = 0
    runs_skipped_existing: int = 0
    metric_points: int = 0
    models_registered: int = 0
    problems: list[str] = field(default_factory=list)
    moved_sources: dict[str, str] = field(default_factory=dict)
    # The runs behind ``problems``: where each was read from, and why it was left out.
    skipped: list[SkippedRun] = field(default_factory=list)

    def skip(self, path: str, reason: str) -> None:
        """Record a run (or folder) of the source that was not imported, and why."""
        self.skipped.append(SkippedRun(path, reason))
        self.problems.append(f"{path}: {reason}")

    def summary(self) -> str:
        text = (
            f"imported {self.runs_imported} runs ({self.metric_points:,} metric points) into "
            f"{self.experiments_created} new experiments; {self.runs_skipped_existing} runs were "
            f"already there; {self.models_registered} registered models added"
        )
        return text + (f"; {len(self.problems)} problems" if self.problems else "")


def import_source(
    source: RunSource, target: Path, registry_file: Path | None = None, link: bool = False
) -> ImportReport:
    """Copy every experiment and run of ``source`` into run folders under ``target``, and its
    registered models into ``registry_file`` (a stages.yaml) when given."""
    report = ImportReport()
    target.mkdir(parents=True, exist_ok=True)
    experiment_ids = {
        e.experiment_id: _target_experiment(e, target, report) for e in source.experiments()
    }
    runs, skipped = source.scan_runs(None)
    for s in skipped:
        report.skip(s.path, s.reason)
    for run in runs:
        exp_id = experiment_ids.get(run.info.experiment_id)
        if exp_id is None:
            report.skip(_where(run), f"its experiment {run.info.experiment_id} is missing")
            continue
        _import_run(source, run, target / exp_id, report, link)
    if registry_file is not None:
        report.models_registered = import_registry(source, registry_file, report.moved_sources)
    return report


def _where(run: Run) -> str:
    """Where the source keeps ``run`` (its folder, or database and id), for messages."""
    return run.source or f"run {run.info.run_id}"


def _target_experiment(experiment: Experiment, target: Path, report: ImportReport) -> str:
    """The id the experiment has under ``target``: an existing one of that name, else a new one."""
    existing = reader.find_experiment_by_name(target, experiment.name)
    if existing is not None:
        return existing.experiment_id
    wanted = experiment.experiment_id
    attempt = 0
    while True:
        folder = target / wanted
        folder.mkdir(exist_ok=True)
        record = fmt.ExperimentRecord(
            wanted,
            experiment.name,
            experiment.lifecycle_stage,
            experiment.creation_time,
            experiment.last_update_time,
            dict(experiment.tags),
        )
        if create_exclusive(folder / fmt.EXPERIMENT_FILE, record.to_json()):
            report.experiments_created += 1
            return wanted
        if reader.read_experiment_record(folder).name == experiment.name:
            return wanted
        wanted = ids.experiment_id_for(experiment.name, attempt)
        attempt += 1


def _import_run(
    source: RunSource, run: Run, experiment_dir: Path, report: ImportReport, link: bool
) -> None:
    final = experiment_dir / run.info.run_id
    if (final / fmt.RUN_FILE).is_file():
        report.runs_skipped_existing += 1
        return
    temp = experiment_dir / f"{TEMP_RUN_PREFIX}{run.info.run_id}"
    shutil.rmtree(temp, ignore_errors=True)
    (temp / fmt.ARTIFACTS_DIR).mkdir(parents=True)
    try:
        points = _write_history(source, run, temp)
        _copy_artifacts(source, run, temp / fmt.ARTIFACTS_DIR, report.moved_sources, link)
        atomic_write(temp / fmt.RUN_FILE, _record(run, experiment_dir.name).to_json())
        os.rename(temp, final)
    except (OSError, ValueError) as exc:
        shutil.rmtree(temp, ignore_errors=True)
        report.skip(_where(run), str(exc))
        return
    report.runs_imported += 1
    report.metric_points += points


def _record(run: Run, experiment_id: str) -> fmt.RunRecord:
    info = run.info
    tags = {k: v for k, v in run.data.tags.items() if k not in fmt.META_TAGS}
    return fmt.RunRecord(
        run_id=info.run_id,
        experiment_id=experiment_id,
        run_name=info.run_name,
        status=info.status,
        start_time=info.start_time,
        end_time=info.end_time,
        user_id=info.user_id,
        parent_run_id=info.parent_run_id,
        lifecycle_stage=info.lifecycle_stage,
        description=info.description,
        params=dict(run.data.params),
        tags=tags,
    )


def _write_history(source: RunSource, run: Run, run_dir: Path) -> int:
    history = source.metric_history(run.info.run_id)
    if not history:
        return 0
    data = "".join(fmt.format_metric_line(m.key, m.timestamp, m.step, m.value) for m in history)
    encoded = data.encode("utf-8")
    (run_dir / fmt.METRICS_FILE).write_bytes(encoded)
    summary = fmt.Summary()
    summary.covered_bytes = summary.add_bytes(encoded)
    atomic_write(run_dir / fmt.SUMMARY_FILE, summary.to_json())
    return len(history)


def _copy_artifacts(
    source: RunSource, run: Run, destination: Path, moved: dict[str, str], link: bool
) -> None:
    """The run's artifacts (regular files only), plus MLflow 3 models kept outside the run."""
    artifacts = source.artifacts_dir(run.info.run_id)
    if artifacts is not None and artifacts.is_dir():
        _copy_tree(artifacts, destination, link)
    for name, model_dir in source.model_dirs(run.info.run_id).items():
        if artifacts is not None and artifacts in model_dir.parents:
            continue  # MLflow 2 model: already copied with the artifacts
        target = destination / name
        if target.exists():
            target = destination / "models" / model_dir.parent.name
        _copy_tree(model_dir, target, link)
        relative = target.relative_to(destination).as_posix()
        moved[f"models:/{model_dir.parent.name}"] = f"runs:/{run.info.run_id}/{relative}"


def _copy_tree(src: Path, dst: Path, link: bool = False) -> None:
    """Copy regular files (symlinks are left out); ``link`` hard-links where possible."""
    for folder, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        relative = Path(folder).relative_to(src)
        for name in files:
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            (dst / relative).mkdir(parents=True, exist_ok=True)
            if link:
                try:
                    os.link(path, dst / relative / name)
                    continue
                except OSError:
                    pass  # another filesystem: copy
            shutil.copyfile(path, dst / relative / name)


def import_registry(source: RunSource, registry_file: Path, moved: dict[str, str]) -> int:
    """Add the source's registered models to ``registry_file`` (stages.yaml); return how many.

    Models already in the file are left alone (the import is idempotent). Version numbers,
    stages, aliases, descriptions and tags are kept; a source pointing at an MLflow 3 logged
    model (``models:/m-...``) becomes the ``runs:/`` URI of the copy made in its run.
    """
    models = source.registry()
    if not models:
        return 0
    from runreport.registry import edits
    from runreport.registry.location import RegistryFile

    def change(root: Any, registry: Any) -> tuple[Any, int]:
        added = 0
        for model in models:
            if model.name in registry.models:
                continue
            root = edits.add_model(root, model.name, model.description, dict(model.tags) or None)
            for v in model.versions:
                src = moved.get(v.source, v.source)
                root = edits.add_version(
                    root, model.name, v.version, src, v.description, dict(v.tags) or None
                )
                edits.set_field(edits.version_entry(root, model.name, v.version), "stage", v.stage)
            for alias, version in model.aliases.items():
                edits.set_alias(root, model.name, alias, version)
            added += 1
        return root, added

    return RegistryFile(registry_file).edit(change)
