"""Reading MLflow's SQLite backend (``mlflow.db``, MLflow's default since 3.13) without MLflow.

The database is opened read-only. Runs come from the ``runs``, ``params``, ``tags``,
``latest_metrics`` and ``metrics`` tables (``is_nan`` rows read as NaN); the registry from
``registered_models``, ``model_versions`` (soft-deleted versions left out),
``registered_model_aliases`` and the tag tables. Only the columns runreport needs are selected,
so older schemas read too.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

from runreport.exceptions import ResourceNotFoundError, RunFormatError
from runreport.store import format as fmt
from runreport.store.mlflow_files import DELETED_STAGE, _local_path
from runreport.store.reader import SkippedRun, to_run
from runreport.store.sources import MLFLOW_SQLITE, RegistryModel, RegistryVersion, RunSource
from runreport.tracking.entities import Experiment, Metric, Run

NAN = float("nan")


class MlflowDbSource(RunSource):
    """An MLflow SQLite database, read-only."""

    kind = MLFLOW_SQLITE

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        if not self.location.is_file():
            raise ResourceNotFoundError(f"MLflow database {self.location} does not exist")
        uri = f"file:{pathname2url(str(self.location))}?mode=ro"
        try:
            with closing(sqlite3.connect(uri, uri=True)) as connection:
                yield connection
        except sqlite3.DatabaseError as exc:
            raise RunFormatError(
                self.location, f"cannot be read as an MLflow database ({exc})"
            ) from None

    # ------------------------------------------------------------ experiments

    def experiments(self) -> list[Experiment]:
        with self._db() as db:
            tags = _grouped(db, "SELECT experiment_id, key, value FROM experiment_tags")
            rows = db.execute(
                "SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, "
                "last_update_time FROM experiments ORDER BY experiment_id"
            ).fetchall()
        return [
            Experiment(
                str(i), name, location or "", stage or "active", tags.get(i, {}), created, updated
            )
            for i, name, location, stage, created, updated in rows
        ]

    # ------------------------------------------------------------ runs

    def scan_runs(
        self, experiment_ids: list[str] | None = None
    ) -> tuple[list[Run], list[SkippedRun]]:
        with self._db() as db:
            return self._runs(db, "experiment_id", experiment_ids)

    def get_run(self, run_id: str) -> Run:
        with self._db() as db:
            runs, _ = self._runs(db, "run_uuid", [run_id])
        if not runs:
            raise ResourceNotFoundError(f"run {run_id!r} does not exist in {self.location}")
        return runs[0]

    def _runs(
        self, db: sqlite3.Connection, column: str, values: list[str] | None
    ) -> tuple[list[Run], list[SkippedRun]]:
        where, args = _where(column, values)
        rows = db.execute(
            "SELECT run_uuid, experiment_id, name, status, start_time, end_time, user_id, "
            f"lifecycle_stage, artifact_uri FROM runs {where} ORDER BY run_uuid",
            args,
        ).fetchall()
        ids = [r[0] for r in rows]
        params = _grouped(db, "SELECT run_uuid, key, value FROM params", ids)
        tags = _grouped(db, "SELECT run_uuid, key, value FROM tags", ids)
        summaries = _summaries(db, ids)
        runs, skipped = [], []
        for row in rows:
            try:
                runs.append(
                    self._run(
                        row, params.get(row[0], {}), tags.get(row[0], {}), summaries.get(row[0], {})
                    )
                )
            except (ValueError, TypeError) as exc:
                skipped.append(
                    SkippedRun(f"{self.location}#run={row[0]}", f"cannot be read ({exc})")
                )
        return runs, skipped

    def _run(
        self,
        row: tuple[Any, ...],
        params: dict[str, str],
        tags: dict[str, str],
        rows: dict[str, fmt.SummaryRow],
    ) -> Run:
        run_id, experiment_id, name, status, start, end, user, stage, artifact_uri = row
        tags = dict(tags)
        record = fmt.RunRecord(
            run_id=run_id,
            experiment_id=str(experiment_id),
            run_name=name or tags.get(fmt.TAG_RUN_NAME, ""),
            status=status if status in fmt.RUN_STATUSES else "RUNNING",
            start_time=start,
            end_time=end,
            user_id=user or tags.get(fmt.TAG_USER, ""),
            parent_run_id=tags.pop(fmt.TAG_PARENT_RUN_ID, None),
            lifecycle_stage=stage or "active",
            description=tags.pop(fmt.TAG_DESCRIPTION, None),
            params=params,
            tags={k: v for k, v in tags.items() if k not in (fmt.TAG_RUN_NAME, fmt.TAG_USER)},
        )
        run = to_run(record, rows, self.location.parent.absolute().as_uri())
        run.info.artifact_uri = self._artifact_uri(artifact_uri or "", str(experiment_id), run_id)
        run.source = f"{self.location}#run={run_id}"
        return run

    def _artifact_uri(self, recorded: str, experiment_id: str, run_id: str) -> str:
        local = _local_path(recorded)
        if local is None and recorded:
            return recorded  # remote: shown as such
        if local is not None and local.is_dir():
            return local.absolute().as_uri()
        beside = self.location.parent / "mlruns" / experiment_id / run_id / "artifacts"
        return (
            beside.absolute().as_uri() if beside.is_dir() else (local or beside).absolute().as_uri()
        )

    def metric_history(self, run_id: str, key: str | None = None) -> list[Metric]:
        query = "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ?"
        args: list[Any] = [run_id]
        if key is not None:
            query += " AND key = ?"
            args.append(key)
        with self._db() as db:
            rows = db.execute(query + " ORDER BY key, timestamp, step", args).fetchall()
        return [
            Metric(k, NAN if is_nan else float(v), int(ts), int(step))
            for k, v, ts, step, is_nan in rows
        ]

    def artifacts_dir(self, run_id: str) -> Path | None:
        return _local_path(self.get_run(run_id).info.artifact_uri)

    def _logged_models(self, column: str, value: str) -> list[tuple[str, str, str, str]]:
        """(model_id, experiment_id, name, artifact_location) of MLflow 3 logged models."""
        with self._db() as db:
            try:
                return db.execute(
                    "SELECT model_id, experiment_id, name, artifact_location FROM logged_models "
                    f"WHERE {column} = ? ORDER BY creation_timestamp_ms",
                    [value],
                ).fetchall()
            except sqlite3.OperationalError:  # MLflow 2 schema: no logged models
                return []

    def _model_folder(self, model_id: str, experiment_id: str, recorded: str) -> Path | None:
        local = _local_path(recorded) if recorded else None
        if local is not None and local.is_dir():
            return local
        beside = self.location.parent / "mlruns" / str(experiment_id) / "models" / model_id
        beside = beside / "artifacts"
        return beside if beside.is_dir() else None

    def logged_model_dir(self, model_id: str) -> Path | None:
        for found_id, experiment_id, _name, location in self._logged_models("model_id", model_id):
            return self._model_folder(found_id, experiment_id, location)
        return None

    def model_dirs(self, run_id: str) -> dict[str, Path]:
        found = super().model_dirs(run_id)
        for model_id, experiment_id, name, location in self._logged_models("source_run_id", run_id):
            folder = self._model_folder(model_id, experiment_id, location)
            if folder is not None:
                found.setdefault(name or model_id, folder)
        return found

    # ------------------------------------------------------------ registry

    def registry(self) -> list[RegistryModel]:
        with self._db() as db:
            try:
                models = db.execute(
                    "SELECT name, description FROM registered_models ORDER BY name"
                ).fetchall()
            except sqlite3.OperationalError:
                return []
            versions = db.execute(
                "SELECT name, version, current_stage, source, run_id, description, creation_time, "
                "last_updated_time FROM model_versions ORDER BY name, version"
            ).fetchall()
            aliases = db.execute(
                "SELECT name, alias, version FROM registered_model_aliases"
            ).fetchall()
            model_tags = _grouped(db, "SELECT name, key, value FROM registered_model_tags")
            version_tags = _grouped(
                db, "SELECT name || '/' || version, key, value FROM model_version_tags"
            )
        by_name = {
            name: RegistryModel(name, description, model_tags.get(name, {}))
            for name, description in models
        }
        for name, version, stage, source, run_id, description, created, updated in versions:
            if name in by_name and stage != DELETED_STAGE:
                by_name[name].versions.append(
                    RegistryVersion(
                        int(version),
                        stage or "None",
                        source or "",
                        run_id,
                        description,
                        version_tags.get(f"{name}/{version}", {}),
                        created,
                        updated,
                    )
                )
        for name, alias, version in aliases:
            if name in by_name:
                by_name[name].aliases[alias] = int(version)
        return list(by_name.values())


def _where(column: str, values: list[str] | None) -> tuple[str, list[Any]]:
    if values is None:
        return "", []
    marks = ",".join("?" * len(values)) or "NULL"
    return f"WHERE CAST({column} AS TEXT) IN ({marks})", [str(v) for v in values]


def _grouped(
    db: sqlite3.Connection, query: str, ids: list[str] | None = None
) -> dict[Any, dict[str, str]]:
    """Rows of (owner, key, value) as {owner: {key: value}}, optionally only for ``ids``."""
    wanted = None if ids is None else set(ids)
    found: dict[Any, dict[str, str]] = defaultdict(dict)
    for owner, key, value in db.execute(query):
        if wanted is None or owner in wanted:
            found[owner][key] = value if value is not None else ""
    return found


def _summaries(db: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, fmt.SummaryRow]]:
    """Latest value (MLflow's latest_metrics) plus min, max ignoring NaN, and count per metric."""
    wanted = set(ids)
    stats = {
        (run, key): (low, high, count)
        for run, key, low, high, count in db.execute(
            "SELECT run_uuid, key, MIN(CASE WHEN is_nan THEN NULL ELSE value END), "
            "MAX(CASE WHEN is_nan THEN NULL ELSE value END), COUNT(*) "
            "FROM metrics GROUP BY run_uuid, key"
        )
        if run in wanted
    }
    found: dict[str, dict[str, fmt.SummaryRow]] = defaultdict(dict)
    for run, key, value, timestamp, step, is_nan in db.execute(
        "SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics"
    ):
        if run in wanted:
            low, high, count = stats.get((run, key), (None, None, 1))
            found[run][key] = [
                NAN if is_nan else float(value),
                int(timestamp),
                int(step),
                NAN if low is None else float(low),
                NAN if high is None else float(high),
                int(count),
            ]
    return found
