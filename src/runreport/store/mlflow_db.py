"""Reading MLflow's SQLite backend (``mlflow.db``, MLflow's default since 3.13) without MLflow.

The database is opened read-only. Runs come from the ``runs``, ``params``, ``tags``,
``latest_metrics`` and ``metrics`` tables (``is_nan`` rows read as NaN); the registry from
``registered_models``, ``model_versions`` (soft-deleted versions left out),
``registered_model_aliases`` and the tag tables. Only the columns runreport needs are selected,
so older schemas read too.

The file is not trusted: those tables must be plain tables (a view could be an endless query),
text that is not UTF-8 is decoded with replacement characters, and every value is checked for
its type (SQLite stores any type in any column). A run with a bad value is skipped with the
reason; a database that cannot be read at all is a RunFormatError naming the file.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

from runreport.exceptions import ResourceNotFoundError, RunFormatError
from runreport.store import format as fmt
from runreport.store.mlflow_files import DELETED_STAGE, _local_path, artifacts_folder
from runreport.store.reader import SkippedRun, to_run, unreadable
from runreport.store.sources import MLFLOW_SQLITE, RegistryModel, RegistryVersion, RunSource
from runreport.tracking.entities import Experiment, Metric, Run

NAN = float("nan")

# The tables runreport reads; each must be a plain table when it exists.
_TABLES = (
    "experiments",
    "experiment_tags",
    "runs",
    "params",
    "tags",
    "metrics",
    "latest_metrics",
    "logged_models",
    "registered_models",
    "model_versions",
    "registered_model_aliases",
    "registered_model_tags",
    "model_version_tags",
)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _check_tables(db: sqlite3.Connection, path: Path) -> None:
    marks = ",".join("?" * len(_TABLES))
    for name, kind, sql in db.execute(
        f"SELECT name, type, sql FROM sqlite_master WHERE name IN ({marks})", _TABLES
    ):
        if kind != "table" or str(sql or "").lstrip().upper().startswith("CREATE VIRTUAL"):
            raise RunFormatError(
                path, f"{name!r} is a {kind} here, not a table; this is not an MLflow database"
            )


def _is_int(value: object, low: int = fmt.INT64_MIN, high: int = fmt.INT64_MAX) -> bool:
    return type(value) is int and low <= value <= high  # bool is not an int here


def _time(value: object, what: str) -> int | None:
    if value is None or _is_int(value, 0, fmt.MAX_TIME_MS):
        return value  # type: ignore[return-value]
    raise ValueError(f"{what} is {_shown(value)}; expected milliseconds since 1970 or null")


def _text(value: object, what: str, default: str | None = None) -> str | None:
    if value is None:
        return default
    if isinstance(value, str):
        return value
    if _is_int(value):
        return str(value)
    raise ValueError(f"{what} is {_shown(value)}; expected text")


def _number(value: object, what: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            pass
    raise ValueError(f"{what} is {_shown(value)}; expected a number")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


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
                connection.text_factory = _decode
                _check_tables(connection, self.location)
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
        found = []
        for row in rows:
            try:
                found.append(_experiment(row, tags))
            except ValueError:
                continue  # left out, as runreport's own unreadable experiments are
        return found

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
                        row, params.get(row[0], {}), tags.get(row[0], {}), summaries.get(row[0], [])
                    )
                )
            except (ValueError, TypeError, ArithmeticError) as exc:
                shown = row[0] if isinstance(row[0], str) and len(row[0]) <= 64 else _shown(row[0])
                skipped.append(SkippedRun(f"{self.location}#run={shown}", unreadable(exc)))
        return runs, skipped

    def _run(
        self,
        row: tuple[Any, ...],
        params: dict[Any, Any],
        tags: dict[Any, Any],
        metrics: list[tuple[Any, ...]],
    ) -> Run:
        run_id, experiment_id, name, status, start, end, user, stage, artifact_uri = row
        if not isinstance(run_id, str) or not run_id:
            raise ValueError(f"run_uuid is {_shown(run_id)}; expected text")
        tags = _text_map(tags, "tag")
        stage = _text(stage, "lifecycle_stage", "active") or "active"
        if stage not in fmt.LIFECYCLE_STAGES:
            raise ValueError(f"lifecycle_stage is {_shown(stage)}; expected active or deleted")
        record = fmt.RunRecord(
            run_id=run_id,
            experiment_id=str(_text(experiment_id, "experiment_id", "")),
            run_name=_text(name, "name") or tags.get(fmt.TAG_RUN_NAME, ""),
            status=status if status in fmt.RUN_STATUSES else "RUNNING",
            start_time=_time(start, "start_time"),
            end_time=_time(end, "end_time"),
            user_id=_text(user, "user_id") or tags.get(fmt.TAG_USER, ""),
            parent_run_id=tags.pop(fmt.TAG_PARENT_RUN_ID, None),
            lifecycle_stage=stage,
            description=tags.pop(fmt.TAG_DESCRIPTION, None),
            params=_text_map(params, "param"),
            tags={k: v for k, v in tags.items() if k not in (fmt.TAG_RUN_NAME, fmt.TAG_USER)},
        )
        rows = dict(_summary_row(*metric) for metric in metrics)
        artifact_uri = _text(artifact_uri, "artifact_uri", "")
        run = to_run(record, rows, self.location.parent.absolute().as_uri())
        run.info.artifact_uri = self._artifact_uri(artifact_uri or "", record.experiment_id, run_id)
        run.source = f"{self.location}#run={run_id}"
        return run

    def _artifact_uri(self, recorded: str, experiment_id: str, run_id: str) -> str:
        local = _local_path(recorded)
        if local is None and recorded:
            return recorded  # remote: shown as such
        beside = self.location.parent / "mlruns" / experiment_id / run_id / "artifacts"
        found = artifacts_folder(local, run_id) or artifacts_folder(beside, run_id)
        return (found or local or beside).absolute().as_uri()

    def metric_history(self, run_id: str, key: str | None = None) -> list[Metric]:
        query = "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ?"
        args: list[Any] = [run_id]
        if key is not None:
            query += " AND key = ?"
            args.append(key)
        with self._db() as db:
            rows = db.execute(query + " ORDER BY key, timestamp, step", args).fetchall()
        history = []
        for k, v, ts, step, is_nan in rows:
            if isinstance(k, str) and _is_int(ts) and _is_int(step):
                try:
                    history.append(Metric(k, NAN if is_nan else _number(v, "value"), ts, step))
                except ValueError:
                    continue  # a malformed point is skipped, as in metrics.tsv
        return history

    def artifacts_dir(self, run_id: str) -> Path | None:
        return artifacts_folder(_local_path(self.get_run(run_id).info.artifact_uri), run_id)

    def _logged_models(self, column: str, value: str) -> list[tuple[str, str, str, str]]:
        """(model_id, experiment_id, name, artifact_location) of MLflow 3 logged models."""
        with self._db() as db:
            try:
                rows = db.execute(
                    "SELECT model_id, experiment_id, name, artifact_location FROM logged_models "
                    f"WHERE {column} = ? ORDER BY creation_timestamp_ms",
                    [value],
                ).fetchall()
            except sqlite3.OperationalError:  # MLflow 2 schema: no logged models
                return []
        return [
            (model_id, str(experiment), name if isinstance(name, str) else "", location or "")
            for model_id, experiment, name, location in rows
            if isinstance(model_id, str)
            and model_id
            and "/" not in model_id
            and model_id not in (".", "..")
            and (_is_int(experiment) or isinstance(experiment, str))
            and (location is None or isinstance(location, str))
        ]

    def _model_folder(self, model_id: str, experiment_id: str, recorded: str) -> Path | None:
        local = _local_path(recorded) if recorded else None
        beside = self.location.parent / "mlruns" / str(experiment_id) / "models" / model_id
        return artifacts_folder(local, model_id) or artifacts_folder(beside / "artifacts", model_id)

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
        by_name = {}
        for name, description in models:
            with suppress(ValueError):
                by_name[name] = RegistryModel(
                    _text(name, "name") or "",
                    _text(description, "description"),
                    _text_map(model_tags.get(name, {}), "tag"),
                )
        for name, version, stage, source, run_id, description, created, updated in versions:
            if name in by_name and stage != DELETED_STAGE and _is_int(version, 1):
                with suppress(ValueError):  # a malformed version is left out
                    by_name[name].versions.append(
                        RegistryVersion(
                            version,
                            _text(stage, "current_stage") or "None",
                            _text(source, "source") or "",
                            _text(run_id, "run_id"),
                            _text(description, "description"),
                            _text_map(version_tags.get(f"{name}/{version}", {}), "tag"),
                            _time(created, "creation_time"),
                            _time(updated, "last_updated_time"),
                        )
                    )
        for name, alias, version in aliases:
            if name in by_name and isinstance(alias, str) and _is_int(version, 1):
                by_name[name].aliases[alias] = version
        return list(by_name.values())


def _where(column: str, values: list[str] | None) -> tuple[str, list[Any]]:
    if values is None:
        return "", []
    marks = ",".join("?" * len(values)) or "NULL"
    return f"WHERE CAST({column} AS TEXT) IN ({marks})", [str(v) for v in values]


def _experiment(row: tuple[Any, ...], tags: dict[Any, dict[Any, Any]]) -> Experiment:
    i, name, location, stage, created, updated = row
    if not (_is_int(i) or isinstance(i, str)) or not isinstance(name, str):
        raise ValueError(f"experiment {_shown(i)} has no valid id and name")
    stage = _text(stage, "lifecycle_stage", "active") or "active"
    if stage not in fmt.LIFECYCLE_STAGES:
        raise ValueError(f"lifecycle_stage is {_shown(stage)}; expected active or deleted")
    return Experiment(
        str(i),
        name,
        _text(location, "artifact_location", "") or "",
        stage,
        _text_map(tags.get(i, {}), "tag"),
        _time(created, "creation_time"),
        _time(updated, "last_update_time"),
    )


def _text_map(values: dict[Any, Any], what: str) -> dict[str, str]:
    """Params or tags as read: every key and value must be text."""
    for key, value in values.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(f"{what} {_shown(key)} is {_shown(value)}; expected text")
    return dict(values)


def _grouped(
    db: sqlite3.Connection, query: str, ids: list[str] | None = None
) -> dict[Any, dict[Any, Any]]:
    """Rows of (owner, key, value) as {owner: {key: value}}, optionally only for ``ids``."""
    wanted = None if ids is None else set(ids)
    found: dict[Any, dict[Any, Any]] = defaultdict(dict)
    for owner, key, value in db.execute(query):
        if wanted is None or owner in wanted:
            found[owner][key] = value if value is not None else ""
    return found


def _summaries(db: sqlite3.Connection, ids: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Per run, rows of (key, value, timestamp, step, is_nan, min, max, count): the latest value
    (MLflow's latest_metrics) plus min, max ignoring NaN, and count; checked by the run."""
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
    found: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for run, key, value, timestamp, step, is_nan in db.execute(
        "SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics"
    ):
        if run in wanted:
            low, high, count = stats.get((run, key), (None, None, 1))
            found[run].append((key, value, timestamp, step, is_nan, low, high, count))
    return found


def _summary_row(
    key: Any, value: Any, timestamp: Any, step: Any, is_nan: Any, low: Any, high: Any, count: Any
) -> tuple[str, fmt.SummaryRow]:
    if not isinstance(key, str) or not (_is_int(timestamp) and _is_int(step) and _is_int(count)):
        raise ValueError(
            f"metric {_shown(key)} has timestamp {_shown(timestamp)} and step {_shown(step)}; "
            "expected a text key and integers"
        )
    return key, [
        NAN if is_nan else _number(value, f"metric {key!r}"),
        timestamp,
        step,
        NAN if low is None else _number(low, f"metric {key!r}"),
        NAN if high is None else _number(high, f"metric {key!r}"),
        count,
    ]
