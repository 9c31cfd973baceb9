"""MLflow as the peer: its client against runreport's server, its server's answers as the spec.

MLflow is a test peer only. These tests skip when mlflow is not installed, except in CI
(``CI=true``), where a missing mlflow is a failure.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from tests.conftest import import_mlflow
from tests.test_serving_support import Server, need

mlflow = import_mlflow("pyfunc", "pyfunc.scoring_server", "pyfunc.scoring_server.client", "sklearn")

need("uvicorn", "starlette")  # the serve extra

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:Hint. Inferred schema contains integer:UserWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:mlflow"),
    pytest.mark.filterwarnings("ignore::FutureWarning:mlflow"),
]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {"a": rng.integers(0, 9, 40), "b": rng.normal(size=40), "c": rng.normal(size=40)}
    )


@pytest.fixture(scope="module")
def mlflow_model(tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame) -> Path:
    """A model saved by real MLflow (cloudpickle, with MLflow's own signature)."""
    path = tmp_path_factory.mktemp("mlflow") / "model"
    model = LinearRegression().fit(frame, frame["a"] + frame["b"] - frame["c"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signature = mlflow.models.infer_signature(frame, model.predict(frame))
        mlflow.sklearn.save_model(
            model,
            str(path),
            signature=signature,
            serialization_format="cloudpickle",
            pip_requirements=["scikit-learn", "cloudpickle"],
        )
    return path


@pytest.fixture(scope="module")
def server(mlflow_model: Path) -> Iterator[Server]:
    started = Server(str(mlflow_model), mlflow_model.parent)
    try:
        yield started.wait_ready()
    finally:
        started.stop()


@pytest.fixture(scope="module")
def theirs(mlflow_model: Path) -> Any:
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
        warnings.simplefilter("ignore")
        return mlflow.pyfunc.load_model(str(mlflow_model))


def test_mlflows_client_scores_with_runreports_server(
    server: Server, theirs: Any, frame: pd.DataFrame
) -> None:
    client = mlflow.pyfunc.scoring_server.client.ScoringServerClient("127.0.0.1", server.port)
    client.wait_server_ready(timeout=10)
    predictions = client.invoke(frame).get_predictions(predictions_format="ndarray")
    np.testing.assert_allclose(predictions.reshape(-1), theirs.predict(frame))
    serving_input = mlflow.models.convert_input_example_to_serving_input(frame.head(3))
    status, _, body = server.request(
        "POST", "/invocations", serving_input, {"Content-Type": "application/json"}
    )
    assert status == 200
    np.testing.assert_allclose(json.loads(body)["predictions"], theirs.predict(frame.head(3)))


JSON = "application/json"
SAME_AS_MLFLOW = [
    ('{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 0.5, 0.1]]}}', JSON),
    ('{"dataframe_records": [{"a": 1, "b": 0.5, "c": 1}]}', JSON),
    ('{"instances": [{"a": 1, "b": 0.5, "c": 1}]}', JSON),
    ('{"inputs": {"a": [1, 2], "b": [0.5, 1], "c": [1, 0]}}', JSON),
    ('{"inputs": {"a": 1, "b": 0.5, "c": 1}}', JSON),
    ('{"inputs": [{"a": 1, "b": 0.5, "c": 1}]}', JSON),
    ('{"dataframe_records": [{"a": 1, "b": 0.5, "c": 1}], "params": [1]}', JSON),
    ("a,b,c\n1,0.5,1\n2,1.5,0\n", "text/csv"),
    ('{"dataframe_records": [{"a": 1, "b": 0.5}]}', JSON),
    ('{"dataframe_records": [{"a": "x", "b": 0.5, "c": 1}]}', JSON),
    ('{"dataframe_split": {"data": 5}}', JSON),
    ("[1]", JSON),
    ('{"x": 1}', JSON),
    ('{"inputs": {}, "instances": []}', JSON),
    ("{bad", JSON),
    ("a,b\n1,0.5\n", "text/csv"),
    ("", "text/csv"),
    ("x", "text/plain"),
    ("{}", "application/json; charset=latin-1"),
]


def _mlflow_answer(model: Any, body: str, content_type: str) -> tuple[int, Any]:
    scoring = mlflow.pyfunc.scoring_server
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            answer = scoring.invocations(
                body.encode(), content_type, model, model.metadata.get_input_schema()
            )
        except mlflow.exceptions.MlflowException as exc:
            return exc.get_http_status_code(), exc.error_code
    return answer.status, json.loads(answer.response) if answer.status == 200 else None


@pytest.mark.parametrize(("body", "content_type"), SAME_AS_MLFLOW)
def test_status_and_predictions_match_mlflows_scoring_server(
    server: Server, theirs: Any, body: str, content_type: str
) -> None:
    status, got = _mlflow_answer(theirs, body, content_type)
    ours, _, raw = server.request("POST", "/invocations", body, {"Content-Type": content_type})
    assert ours == status
    answer = json.loads(raw)
    if status == 200:
        np.testing.assert_allclose(answer["predictions"], got["predictions"])
    elif status == 400:
        assert answer["error_code"] in ("BAD_REQUEST", "INVALID_PARAMETER_VALUE")


def test_runreport_refuses_lossy_conversions_that_mlflow_makes(server: Server, theirs: Any) -> None:
    body = '{"dataframe_records": [{"a": 1.5, "b": 0.5, "c": 1}]}'
    assert _mlflow_answer(theirs, body, JSON)[0] == 200  # MLflow truncates 1.5 to 1
    status, _, raw = server.request("POST", "/invocations", body, {"Content-Type": JSON})
    answer = json.loads(raw)
    assert status == 400 and answer["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "'a'" in answer["message"] and "float64" in answer["message"]
