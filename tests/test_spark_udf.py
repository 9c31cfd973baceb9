"""``runreport.pyfunc.spark_udf`` on a real local Spark session (``local[2]``, PyPI's pyspark).

One session for the module (Spark starts slowly). Skips when pyspark or Java is missing,
except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import runreport.pyfunc
import runreport.sklearn
from runreport.exceptions import InvalidParameterError
from runreport.models import infer_signature
from runreport.serving import spark as spark_module
from tests.conftest import SRC
from tests.test_serving_support import HAVE_REGISTRY, ci, purchase_frame, save_purchase_model


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").is_file():
        return str(Path(home, "bin", "java"))
    return shutil.which("java")


if ci():
    import pyspark  # noqa: F401 - in CI a missing pyspark is a failure, not a skip

    assert _java(), "Java is needed for the Spark tests: set JAVA_HOME or put java on PATH"
else:
    pytest.importorskip("pyspark", reason="the spark extra (pyspark) is not installed")
    if _java() is None:
        pytest.skip("no Java (JAVA_HOME or java on PATH) for Spark", allow_module_level=True)

from pyspark.errors import PythonException  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql.functions import col, struct  # noqa: E402

# pyspark 4 warns that pandas 3 is not fully supported yet and calls a deprecated pandas
# keyword; both are pyspark's own business, not this code's.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:DeprecationWarning"),
]
ROWS = 3000


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    saved = {
        k: os.environ.get(k) for k in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "PYTHONPATH")
    }
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), saved["PYTHONPATH"]]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = (
            SparkSession.builder.master("local[2]")
            .appName("runreport-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("FATAL")
    yield session
    session.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    frame = save_purchase_model(root / "purchase")
    labels = (frame["visits"] > 25).astype("int64")
    numeric = frame[["visits", "minutes"]]
    classifier = LogisticRegression().fit(numeric, labels)
    signature = infer_signature(numeric, classifier.predict(numeric))
    runreport.sklearn.save_model(classifier, root / "classifier", signature=signature)
    runreport.sklearn.save_model(
        classifier, root / "proba", signature=signature, pyfunc_predict_fn="predict_proba"
    )
    return root


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return purchase_frame(ROWS, seed=21)


@pytest.fixture(scope="module")
def frame(spark: SparkSession, rows: pd.DataFrame) -> Any:
    """The rows as a Spark DataFrame of 4 partitions, with a ``row_id`` to restore their order."""
    return spark.createDataFrame(rows.assign(row_id=np.arange(len(rows)))).repartition(4)


def _scored(frame: Any, rows: pd.DataFrame, **columns: Any) -> pd.DataFrame:
    """The selected prediction columns, in the order of ``rows``."""
    out = frame.select("row_id", *(c.alias(n) for n, c in columns.items())).toPandas()
    assert len(out) == len(rows)
    return out.sort_values("row_id").set_index("row_id")


def test_every_way_of_naming_columns_predicts_like_pyfunc(
    frame: Any, rows: pd.DataFrame, models: Path
) -> None:
    udf = runreport.pyfunc.spark_udf(frame.sparkSession, str(models / "purchase"))
    expected = runreport.pyfunc.load_model(models / "purchase").predict(rows)
    calls = {
        "by_struct": udf(struct("visits", "minutes", "channel")),
        "by_names": udf("channel", "visits", "minutes"),
        "by_signature": udf(),
        "by_columns": udf(col("minutes"), col("channel"), col("visits")),
    }
    for name, call in calls.items():  # one query each: chained UDFs would need more workers
        got = _scored(frame, rows, p=call)["p"]
        np.testing.assert_allclose(got.to_numpy(), expected, err_msg=name)


def test_unnamed_columns_follow_the_signature_order(
    frame: Any, rows: pd.DataFrame, models: Path
) -> None:
    udf = runreport.pyfunc.spark_udf(frame.sparkSession, str(models / "purchase"))
    renamed = frame.select(
        "row_id", col("visits").alias("x1"), col("minutes").alias("x2"), col("channel").alias("x3")
    )
    got = _scored(renamed, rows, p=udf("x1", "x2", "x3"))["p"]
    expected = runreport.pyfunc.load_model(models / "purchase").predict(rows)
    np.testing.assert_allclose(got.to_numpy(), expected)


@pytest.mark.parametrize(
    ("result_type", "convert"),
    [
        ("long", lambda p: p.astype("int64")),
        ("int", lambda p: p.astype("int32")),
        ("double", lambda p: p.astype("float64")),
        ("string", lambda p: p.astype(str)),
        (None, lambda p: p.astype("int64")),  # from the output signature (long)
    ],
)
def test_result_types(
    frame: Any, rows: pd.DataFrame, models: Path, result_type: str | None, convert: Any
) -> None:
    udf = runreport.pyfunc.spark_udf(frame.sparkSession, str(models / "classifier"), result_type)
    got = _scored(frame, rows, p=udf("visits", "minutes"))["p"]
    expected = convert(runreport.pyfunc.load_model(models / "classifier").predict(rows))
    assert got.tolist() == expected.tolist()


def test_array_results(frame: Any, rows: pd.DataFrame, models: Path) -> None:
    udf = runreport.pyfunc.spark_udf(frame.sparkSession, str(models / "proba"), "array<double>")
    got = _scored(frame, rows, p=udf(struct("visits", "minutes")))["p"]
    expected = runreport.pyfunc.load_model(models / "proba").predict(rows)
    np.testing.assert_allclose(np.stack(got.to_list()), expected)


def test_a_missing_input_fails_the_job_naming_it(frame: Any, models: Path) -> None:
    udf = runreport.pyfunc.spark_udf(frame.sparkSession, str(models / "purchase"))
    with pytest.raises(PythonException, match=r"Model is missing inputs \['channel'\]"):
        frame.select(udf("visits", "minutes").alias("p")).collect()


def test_a_model_shipped_to_workers_as_on_a_cluster(
    frame: Any, rows: pd.DataFrame, models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark_module, "_is_local", lambda spark: False)
    udf = runreport.pyfunc.spark_udf(frame.sparkSession, str(models / "purchase"))
    assert udf.spec.location.archive is not None  # zipped and added with addFile
    got = _scored(frame, rows, p=udf())["p"]
    expected = runreport.pyfunc.load_model(models / "purchase").predict(rows)
    np.testing.assert_allclose(got.to_numpy(), expected)


def test_options_are_checked_on_the_driver(frame: Any, models: Path) -> None:
    spark = frame.sparkSession
    with pytest.raises(InvalidParameterError, match="env_manager 'conda' is not supported"):
        runreport.pyfunc.spark_udf(spark, str(models / "purchase"), env_manager="conda")
    with pytest.raises(InvalidParameterError, match="result type 'map<string,int>'"):
        runreport.pyfunc.spark_udf(spark, str(models / "purchase"), "map<string,int>")


def test_a_registered_production_model(
    frame: Any, rows: pd.DataFrame, models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not HAVE_REGISTRY:
        pytest.skip("runreport.registry is not in this checkout yet (models:/ URIs need it)")
    monkeypatch.setenv("RUNREPORT_REGISTRY", str(tmp_path / "stages.yaml"))
    version = runreport.register_model(str(models / "purchase"), "PurchasePredictionModel")
    runreport.MlflowClient().transition_model_version_stage(
        "PurchasePredictionModel", version.version, "Production"
    )
    uri = "models:/PurchasePredictionModel/Production"
    got = _scored(frame, rows, p=runreport.pyfunc.spark_udf(frame.sparkSession, uri)())["p"]
    np.testing.assert_allclose(got.to_numpy(), runreport.pyfunc.load_model(uri).predict(rows))


def test_each_worker_process_loads_the_model_once(spark: SparkSession, tmp_path: Path) -> None:
    class Counted(runreport.pyfunc.PythonModel):
        def __init__(self, log: str) -> None:
            self.log = log

        def load_context(self, context: Any) -> None:
            with open(self.log, "a") as handle:
                handle.write(f"{os.getpid()}\n")

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return model_input["x"] * 2.0

    log = tmp_path / "loads.txt"
    signature = infer_signature(pd.DataFrame({"x": [1.0]}))
    runreport.pyfunc.save_model(tmp_path / "m", python_model=Counted(str(log)), signature=signature)
    log.unlink(missing_ok=True)  # in case saving loaded the model to check it
    udf = runreport.pyfunc.spark_udf(spark, str(tmp_path / "m"))
    numbers = spark.range(4000).select(col("id").cast("double").alias("x")).repartition(8)
    total = numbers.select(udf("x").alias("y")).groupBy().sum("y").first()[0]
    assert total == 2.0 * sum(range(4000))
    pids = log.read_text().split()
    assert len(pids) == len(set(pids)) < 8  # one load per worker process, not per partition
