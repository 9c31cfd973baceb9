"""runreport.Client: MlflowClient's tracking methods on real run folders."""

from __future__ import annotations

import pytest

import runreport
from runreport import Client, Metric, Param, RunTag, ViewType
from runreport.exceptions import InvalidStateError, ResourceNotFoundError


def test_client_aliases_and_experiment_methods(runs_root) -> None:
    assert runreport.RunReportClient is Client
    client = Client()
    exp_id = client.create_experiment("churn", tags={"team": "ds"})
    experiment = client.get_experiment(exp_id)
    assert experiment.name == "churn" and experiment.tags == {"team": "ds"}
    assert experiment.artifact_location.startswith("file://")
    assert client.get_experiment_by_name("churn").experiment_id == exp_id
    client.create_experiment("other")
    names = [e.name for e in client.search_experiments(order_by=["name ASC"])]
    assert names == ["churn", "other"]
    client.delete_experiment(exp_id)
    assert [e.name for e in client.search_experiments()] == ["other"]
    assert [e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)] == ["churn"]
    with pytest.raises(InvalidStateError, match="deleted"):
        client.create_run(exp_id)
    client.restore_experiment(exp_id)
    client.rename_experiment(exp_id, "churn-v2")
    assert client.get_experiment(exp_id).name == "churn-v2"
    with pytest.raises(ResourceNotFoundError, match="known ids"):
        client.get_experiment("12345")


def test_create_run_log_batch_and_terminate(runs_root) -> None:
    client = Client()
    exp_id = client.create_experiment("e")
    run = client.create_run(exp_id, start_time=1000, tags={"k": "v"}, run_name="r1")
    run_id = run.info.run_id
    assert (run.info.run_name, run.info.status, run.info.start_time) == ("r1", "RUNNING", 1000)
    client.log_batch(
        run_id,
        metrics=[Metric("acc", 0.5, 1, 0), Metric("acc", 0.7, 2, 1)],
        params=[Param("lr", "0.1")],
        tags=[RunTag("t", "x")],
    )
    client.log_metric(run_id, "loss", 0.3, timestamp=5, step=2)
    client.log_param(run_id, "depth", 3)
    client.set_tag(run_id, "mlflow.note.content", "# Notes")
    client.set_terminated(run_id, status="FAILED", end_time=2000)
    got = client.get_run(run_id)
    assert got.info.status == "FAILED" and got.info.end_time == 2000
    assert got.info.description == "# Notes"
    assert got.data.metrics == {"acc": 0.7, "loss": 0.3}
    assert got.data.params == {"lr": "0.1", "depth": "3"}
    assert [m.value for m in client.get_metric_history(run_id, "acc")] == [0.5, 0.7]
    assert client.get_metric_history(run_id, "missing") == []


def test_delete_and_restore_run_hide_it_from_search(runs_root) -> None:
    client = Client()
    exp_id = client.create_experiment("e")
    keep = client.create_run(exp_id).info.run_id
    gone = client.create_run(exp_id).info.run_id
    client.delete_run(gone)
    assert [r.info.run_id for r in client.search_runs([exp_id])] == [keep]
    deleted = client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [gone]
    assert len(client.search_runs([exp_id], run_view_type=ViewType.ALL)) == 2
    with pytest.raises(InvalidStateError):
        client.log_param(gone, "a", 1)
    client.restore_run(gone)
    assert len(client.search_runs(exp_id)) == 2


def test_unknown_run_is_a_clear_error(runs_root) -> None:
    with pytest.raises(ResourceNotFoundError, match="'nope' does not exist"):
        Client().get_run("nope")
    with pytest.raises(ResourceNotFoundError):
        Client().get_run("../../etc")


def test_search_runs_paging_and_max_results(runs_root) -> None:
    client = Client()
    exp_id = client.create_experiment("e")
    ids = [client.create_run(exp_id, start_time=i).info.run_id for i in range(7)]
    page = client.search_runs([exp_id], max_results=3, order_by=["attributes.start_time ASC"])
    seen = [r.info.run_id for r in page]
    while page.token:
        page = client.search_runs(
            [exp_id], max_results=3, order_by=["start_time ASC"], page_token=page.token
        )
        seen += [r.info.run_id for r in page]
    assert seen == ids
    with pytest.raises(runreport.InvalidParameterError):
        client.search_runs([exp_id], page_token="garbage")


def test_a_corrupt_run_is_skipped_by_search_with_a_warning(runs_root, caplog) -> None:
    client = Client()
    exp_id = client.create_experiment("e")
    good = client.create_run(exp_id).info.run_id
    bad = client.create_run(exp_id).info.run_id
    (client.run_dir(bad) / "run.json").write_text("{ torn")
    with caplog.at_level("WARNING", logger="runreport"):
        found = client.search_runs([exp_id])
    assert [r.info.run_id for r in found] == [good]
    assert bad in caplog.text and "not valid JSON" in caplog.text
