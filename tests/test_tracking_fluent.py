"""The fluent API on real run folders: runs, params, metrics, tags, statuses, nesting."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import pytest

import runreport
from runreport.exceptions import InvalidParameterError, RunReportError
from runreport.store import format as fmt


def _run_json(root: Path, run: runreport.Run) -> dict:
    return json.loads((root / run.info.experiment_id / run.info.run_id / fmt.RUN_FILE).read_text())


def test_tutorial_tracking_calls_write_a_complete_run(runs_root: Path) -> None:
    experiment = runreport.set_experiment("Purchase Prediction")
    with runreport.start_run(run_name="linear_regression_v1") as run:
        runreport.log_param("model_type", "LinearRegression")
        runreport.log_params({"test_size": 0.2, "random_state": 42})
        runreport.log_metric("r2_score", 0.81)
        runreport.log_metrics({"rmse": 59.3, "mae": 43.2})
        runreport.set_tag("team", "data-science")
        runreport.set_tags({"dataset": "gold.products"})
    got = runreport.get_run(run.info.run_id)
    assert got.info.experiment_id == experiment.experiment_id
    assert got.info.run_name == "linear_regression_v1"
    assert got.info.status == "FINISHED"
    assert got.info.end_time >= got.info.start_time
    assert got.data.params == {
        "model_type": "LinearRegression",
        "test_size": "0.2",
        "random_state": "42",
    }
    assert got.data.metrics == {"r2_score": 0.81, "rmse": 59.3, "mae": 43.2}
    assert got.data.tags["team"] == "data-science"
    assert got.data.tags["mlflow.runName"] == "linear_regression_v1"
    assert got.data.tags["mlflow.user"]
    assert (runs_root / experiment.experiment_id / run.info.run_id / "artifacts").is_dir()


def test_default_experiment_is_zero_and_run_names_are_generated(runs_root: Path) -> None:
    with runreport.start_run() as run:
        pass
    assert run.info.experiment_id == "0"
    assert runreport.get_experiment("0").name == "Default"
    assert len(run.info.run_name.split("-")) == 3


def test_run_ids_are_unique_and_sort_by_creation(runs_root: Path) -> None:
    ids = []
    for _ in range(20):
        with runreport.start_run() as run:
            ids.append(run.info.run_id)
    assert len(set(ids)) == 20
    assert ids == sorted(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_unicode_experiment_names_and_stable_ids(runs_root: Path) -> None:
    first = runreport.set_experiment("Prédiction — 購入 🚀")
    again = runreport.set_experiment("Prédiction — 購入 🚀")
    assert first.experiment_id == again.experiment_id
    assert (
        runreport.get_experiment_by_name("Prédiction — 購入 🚀").experiment_id
        == first.experiment_id
    )
    assert runreport.get_experiment_by_name("nope") is None


def test_create_experiment_twice_is_an_error(runs_root: Path) -> None:
    runreport.create_experiment("exp")
    with pytest.raises(runreport.ResourceExistsError, match="'exp' already exists"):
        runreport.create_experiment("exp")


def test_changing_a_param_names_key_and_both_values(runs_root: Path) -> None:
    with runreport.start_run():
        runreport.log_param("lr", 0.1)
        runreport.log_param("lr", 0.1)  # same value is fine
        with pytest.raises(InvalidParameterError) as info:
            runreport.log_param("lr", 0.2)
    message = str(info.value)
    assert "'lr'" in message and "'0.1'" in message and "'0.2'" in message


def test_exception_marks_failed_and_propagates(runs_root: Path) -> None:
    with pytest.raises(ZeroDivisionError), runreport.start_run() as run:
        1 / 0  # noqa: B018
    assert runreport.get_run(run.info.run_id).info.status == "FAILED"
    assert runreport.active_run() is None


def test_keyboard_interrupt_marks_killed(runs_root: Path) -> None:
    with pytest.raises(KeyboardInterrupt), runreport.start_run() as run:
        raise KeyboardInterrupt
    assert runreport.get_run(run.info.run_id).info.status == "KILLED"


def test_nested_runs_record_their_parent(runs_root: Path) -> None:
    with runreport.start_run(run_name="sweep") as parent:
        with runreport.start_run(run_name="child", nested=True) as child:
            assert runreport.active_run().info.run_id == child.info.run_id
        assert runreport.active_run().info.run_id == parent.info.run_id
        with pytest.raises(InvalidParameterError, match="already active"):
            runreport.start_run()
    got = runreport.get_run(child.info.run_id)
    assert got.info.parent_run_id == parent.info.run_id
    assert got.data.tags["mlflow.parentRunId"] == parent.info.run_id


def test_resume_a_run_by_id(runs_root: Path) -> None:
    with runreport.start_run(tags={"phase": "1"}) as run:
        runreport.log_metric("loss", 1.0, step=0)
    with runreport.start_run(run_id=run.info.run_id, description="resumed"):
        runreport.log_metric("loss", 0.5, step=1)
    got = runreport.get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.info.description == "resumed"
    assert got.data.tags["mlflow.note.content"] == "resumed"
    assert got.data.metric_summaries["loss"].count == 2
    assert got.data.metrics["loss"] == 0.5


def test_end_run_with_status_and_last_active_run(runs_root: Path) -> None:
    run = runreport.start_run()
    runreport.end_run(status="KILLED")
    assert runreport.active_run() is None
    assert runreport.last_active_run().info.run_id == run.info.run_id
    assert runreport.last_active_run().info.status == "KILLED"
    runreport.end_run()  # no active run: a no-op
    with pytest.raises(InvalidParameterError, match="not valid"):
        runreport.start_run()
        runreport.end_run(status="DONE")


def test_logging_without_a_run_starts_one_like_mlflow(runs_root: Path) -> None:
    runreport.log_metric("x", 1.0)
    run = runreport.active_run()
    assert run is not None
    runreport.end_run()
    assert runreport.get_run(run.info.run_id).data.metrics == {"x": 1.0}


def test_metric_history_steps_timestamps_nan_and_inf(runs_root: Path) -> None:
    with runreport.start_run() as run:
        for step in range(5):
            runreport.log_metric("loss", 1.0 / (step + 1), step=step)
        runreport.log_metric("weird", float("nan"), step=0)
        runreport.log_metric("weird", float("inf"), step=1, timestamp=123)
    history = runreport.Client().get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4]
    assert history[-1].value == 0.2
    weird = runreport.Client().get_metric_history(run.info.run_id, "weird")
    assert math.isnan(weird[0].value) and weird[1].value == math.inf and weird[1].timestamp == 123
    summary = runreport.get_run(run.info.run_id).data.metric_summaries["loss"]
    assert (summary.min, summary.max, summary.count, summary.latest.step) == (0.2, 1.0, 5, 4)


def test_latest_metric_is_highest_step_not_last_logged(runs_root: Path) -> None:
    with runreport.start_run() as run:
        runreport.log_metric("m", 5.0, step=10)
        runreport.log_metric("m", 1.0, step=2)
    assert runreport.get_run(run.info.run_id).data.metrics["m"] == 5.0


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: runreport.log_metric("bad\tkey", 1.0), "not valid"),
        (lambda: runreport.log_metric("../up", 1.0), "relative path"),
        (lambda: runreport.log_metric("m", "high"), "expected a number"),
        (lambda: runreport.log_metric("m", 1.0, step=1.5), "expected an integer"),
        (lambda: runreport.log_param("k" * 251, 1), "at most 250"),
        (lambda: runreport.log_param("p", "v" * 6001), "at most 6000"),
        (lambda: runreport.set_tag("t", "v" * 8001), "at most 8000"),
    ],
)
def test_invalid_values_get_clear_errors(runs_root: Path, call, fragment: str) -> None:
    with runreport.start_run(), pytest.raises(RunReportError, match=fragment):
        call()


def test_numpy_values_are_accepted(runs_root: Path) -> None:
    np = pytest.importorskip("numpy")
    with runreport.start_run() as run:
        runreport.log_metric("a", np.float32(0.5), step=np.int64(3))
        runreport.log_metric("b", np.int64(7))
        runreport.log_param("c", np.float64(0.25))
    got = runreport.get_run(run.info.run_id)
    assert got.data.metrics == {"a": 0.5, "b": 7.0}
    assert got.data.params == {"c": "0.25"}


def test_tags_are_mutable_and_deletable(runs_root: Path) -> None:
    with runreport.start_run() as run:
        runreport.set_tag("stage", "draft")
        runreport.set_tag("stage", "final")
        runreport.set_tag("gone", "x")
        runreport.delete_tag("gone")
        runreport.set_tag("mlflow.runName", "renamed")
        with pytest.raises(runreport.ResourceNotFoundError):
            runreport.delete_tag("never-set")
    got = runreport.get_run(run.info.run_id)
    assert got.data.tags["stage"] == "final" and "gone" not in got.data.tags
    assert got.info.run_name == "renamed"
    record = _run_json(runs_root, run)
    assert "mlflow.runName" not in record["tags"]  # meta is stored once, as a field


def test_two_threads_logging_to_one_run_lose_nothing(runs_root: Path) -> None:
    with runreport.start_run() as run:

        def work(name: str) -> None:
            for step in range(2000):
                runreport.log_metric(name, float(step), step=step)
            runreport.log_param(name, "done")
            runreport.set_tag(name, "done")

        threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    got = runreport.get_run(run.info.run_id)
    assert {k: s.count for k, s in got.data.metric_summaries.items()} == {"t0": 2000, "t1": 2000}
    assert got.data.params == {"t0": "done", "t1": "done"}
    assert got.data.tags["t0"] == got.data.tags["t1"] == "done"


def test_get_artifact_uri_and_tracking_uri(runs_root: Path) -> None:
    assert runreport.get_tracking_uri() == str(runs_root)
    with runreport.start_run() as run:
        uri = runreport.get_artifact_uri()
        assert uri == run.info.artifact_uri and uri.startswith("file://")
        assert runreport.get_artifact_uri("model").endswith("/artifacts/model")
        with pytest.raises(InvalidParameterError):
            runreport.get_artifact_uri("../../etc")


def test_tracking_uri_from_environment_and_file_uri(
    tmp_path: Path, monkeypatch, runs_root: Path
) -> None:
    from runreport.tracking import location

    location.reset_tracking_uri()
    monkeypatch.setenv("RUNREPORT_TRACKING_URI", (tmp_path / "env-runs").as_uri())
    with runreport.start_run():
        pass
    assert (tmp_path / "env-runs" / "0").is_dir()
    with pytest.raises(InvalidParameterError, match="no server"):
        runreport.set_tracking_uri("http://mlflow-server:5000")
