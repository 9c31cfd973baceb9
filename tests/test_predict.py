"""``runreport predict``: batch scoring of CSV, JSON, JSON lines and Parquet files in chunks."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import runreport.pyfunc
from runreport.cli import main
from runreport.exceptions import RunReportError
from runreport.models import ColSpec, ModelSignature, Schema
from runreport.serving.batch import score_file
from tests.conftest import python_env
from tests.test_serving_support import need, purchase_frame, save_purchase_model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models") / "purchase"
    save_purchase_model(path)
    return path


@pytest.fixture(scope="module")
def chunk_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model whose prediction for each row is the number of rows it was called with."""

    class ChunkSize(runreport.pyfunc.PythonModel):
        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return np.full(len(model_input), len(model_input))

    path = tmp_path_factory.mktemp("models") / "chunks"
    signature = ModelSignature(inputs=Schema([ColSpec("long", "visits")]))
    runreport.pyfunc.save_model(path, python_model=ChunkSize(), signature=signature)
    return path


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return purchase_frame(50, seed=11)


@pytest.fixture(scope="module")
def expected(model: Path, rows: pd.DataFrame) -> np.ndarray:
    return runreport.pyfunc.load_model(model).predict(rows)


def predict(*args: str) -> Any:
    return CliRunner().invoke(main, ["predict", *args], catch_exceptions=False)


# ---------------------------------------------------------------- formats


def test_csv_to_json_on_stdout(
    model: Path, rows: pd.DataFrame, expected: Any, tmp_path: Path
) -> None:
    rows.to_csv(tmp_path / "rows.csv", index=False)
    result = predict("-m", str(model), "-i", str(tmp_path / "rows.csv"), "--chunk-size", "7")
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(json.loads(result.output)["predictions"], expected)


def test_csv_to_csv_file(model: Path, rows: pd.DataFrame, expected: Any, tmp_path: Path) -> None:
    rows.to_csv(tmp_path / "rows.csv", index=False)
    out = tmp_path / "out" / "scores.csv"
    result = predict("-m", str(model), "-i", str(tmp_path / "rows.csv"), "-o", str(out))
    assert result.exit_code == 0 and "scored 50 rows" in result.output
    np.testing.assert_allclose(pd.read_csv(out)["prediction"], expected)


@pytest.mark.parametrize("key", ["dataframe_split", "dataframe_records", "inputs"])
def test_a_json_request_payload(
    model: Path, rows: pd.DataFrame, expected: Any, tmp_path: Path, key: str
) -> None:
    payload = {
        "dataframe_split": json.loads(rows.to_json(orient="split", index=False)),
        "dataframe_records": rows.to_dict("records"),
        "inputs": rows.to_dict("list"),
    }[key]
    (tmp_path / "in.json").write_text(json.dumps({key: payload}, indent=2, default=int))
    result = predict("-m", str(model), "-i", str(tmp_path / "in.json"))
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(json.loads(result.output)["predictions"], expected)


def test_json_lines_of_records_to_json_lines(
    model: Path, rows: pd.DataFrame, expected: Any, tmp_path: Path
) -> None:
    rows.to_json(tmp_path / "in.jsonl", orient="records", lines=True)
    out = tmp_path / "out.jsonl"
    result = predict(
        "-m", str(model), "-i", str(tmp_path / "in.jsonl"), "-o", str(out), "--chunk-size", "8"
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    np.testing.assert_allclose([json.loads(line) for line in lines], expected)


def test_json_lines_of_payloads(
    model: Path, rows: pd.DataFrame, expected: Any, tmp_path: Path
) -> None:
    halves = [rows.iloc[:20], rows.iloc[20:]]
    text = "".join(
        json.dumps({"dataframe_records": h.to_dict("records")}, default=int) + "\n" for h in halves
    )
    (tmp_path / "in.json").write_text(text)
    result = predict("-m", str(model), "-i", str(tmp_path / "in.json"))
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(json.loads(result.output)["predictions"], expected)


def test_parquet_by_record_batches(
    model: Path, rows: pd.DataFrame, expected: Any, tmp_path: Path
) -> None:
    need("pyarrow")
    rows.to_parquet(tmp_path / "rows.parquet", row_group_size=16)
    result = predict("-m", str(model), "-i", str(tmp_path / "rows.parquet"), "--chunk-size", "10")
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(json.loads(result.output)["predictions"], expected)


def test_stdin_to_stdout_in_a_real_process(model: Path, rows: pd.DataFrame, expected: Any) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runreport", "predict", "-m", str(model), "-i", "-", "-t", "csv"],
        input=rows.to_csv(index=False),
        env=python_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose(json.loads(done.stdout)["predictions"], expected)


# ---------------------------------------------------------------- streaming


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_the_model_sees_chunks_of_the_chunk_size(
    chunk_model: Path, tmp_path: Path, suffix: str
) -> None:
    frame = pd.DataFrame({"visits": np.arange(23)})
    source = tmp_path / f"in{suffix}"
    if suffix == ".parquet":
        need("pyarrow")
        frame.to_parquet(source)
    elif suffix == ".jsonl":
        frame.to_json(source, orient="records", lines=True)
    else:
        frame.to_csv(source, index=False)
    out = tmp_path / "out.csv"
    assert score_file(chunk_model, source, out, chunk_size=5) == 23
    assert pd.read_csv(out)["prediction"].tolist() == [5] * 20 + [3] * 3


def _peak_bytes(model: Path, source: Path, out: Path, chunk_size: int) -> int:
    tracemalloc.start()
    try:
        score_file(model, source, out, chunk_size=chunk_size)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_bounded_by_the_chunk_size(model: Path, tmp_path: Path) -> None:
    purchase_frame(30_000, seed=2).to_csv(tmp_path / "big.csv", index=False)
    whole = _peak_bytes(model, tmp_path / "big.csv", tmp_path / "a.csv", 30_000)
    chunked = _peak_bytes(model, tmp_path / "big.csv", tmp_path / "b.csv", 1_000)
    assert chunked * 4 < whole
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()


# ---------------------------------------------------------------- errors


def test_a_bad_chunk_names_its_rows_and_leaves_no_output(
    model: Path, rows: pd.DataFrame, tmp_path: Path
) -> None:
    bad = rows.astype({"visits": object})
    bad.loc[23, "visits"] = "many"
    bad.to_csv(tmp_path / "rows.csv", index=False)
    out = tmp_path / "out.json"
    result = predict(
        "-m", str(model), "-i", str(tmp_path / "rows.csv"), "-o", str(out), "--chunk-size", "10"
    )
    assert result.exit_code == 1
    assert "rows 21-30: Incompatible input types for column 'visits'" in result.output
    assert list(tmp_path.iterdir()) == [tmp_path / "rows.csv"]


def test_missing_input_and_unreadable_json(model: Path, tmp_path: Path) -> None:
    result = predict("-m", str(model), "-i", str(tmp_path / "none.csv"))
    assert result.exit_code == 1 and "does not exist" in result.output
    (tmp_path / "bad.json").write_text("{\n  nope\n")
    result = predict("-m", str(model), "-i", str(tmp_path / "bad.json"))
    assert result.exit_code == 1 and "valid JSON" in result.output


def test_parquet_without_pyarrow_says_what_to_install(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rows.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(RunReportError, match=r"pip install 'runreport\[parquet\]'"):
        score_file(model, tmp_path / "rows.parquet")


def test_a_bad_parquet_value_is_a_signature_error(model: Path, tmp_path: Path) -> None:
    need("pyarrow")
    purchase_frame(5).assign(visits=[1.5] * 5).to_parquet(tmp_path / "rows.parquet")
    result = predict("-m", str(model), "-i", str(tmp_path / "rows.parquet"))
    assert result.exit_code == 1
    assert "rows 1-5: Incompatible input types for column 'visits'" in result.output
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    result = predict("-m", str(model), "-i", str(tmp_path / "broken.parquet"))
    assert result.exit_code == 1 and "Failed to read the input as a Parquet file" in result.output
