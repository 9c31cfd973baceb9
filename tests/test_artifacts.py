"""Artifacts: logging files, folders, text, dicts, figures, images; listing; downloading."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import runreport
from runreport.exceptions import InvalidParameterError


def _artifacts(run: runreport.Run) -> Path:
    return Path(runreport.Client().artifacts_dir(run.info.run_id))


def test_log_artifact_and_artifacts_copy_files(runs_root: Path, tmp_path: Path) -> None:
    (tmp_path / "plot.png").write_bytes(b"\x89PNG fake")
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.csv").write_text("x,y\n1,2\n")
    (data / "sub" / "b.txt").write_text("hello")
    with runreport.start_run() as run:
        runreport.log_artifact(str(tmp_path / "plot.png"))
        runreport.log_artifact(tmp_path / "plot.png", artifact_path="figures/eval")
        runreport.log_artifacts(str(data), artifact_path="data")
    root = _artifacts(run)
    assert (root / "plot.png").read_bytes() == b"\x89PNG fake"
    assert (root / "figures" / "eval" / "plot.png").exists()
    assert (root / "data" / "sub" / "b.txt").read_text() == "hello"
    client = runreport.Client()
    top = client.list_artifacts(run.info.run_id)
    assert [(f.path, f.is_dir) for f in top] == [
        ("data", True),
        ("figures", True),
        ("plot.png", False),
    ]
    assert top[2].file_size == len(b"\x89PNG fake")
    assert [f.path for f in client.list_artifacts(run.info.run_id, "data")] == [
        "data/a.csv",
        "data/sub",
    ]
    local = client.download_artifacts(run.info.run_id, "data", str(tmp_path / "dl"))
    assert Path(local, "sub", "b.txt").read_text() == "hello"


@pytest.mark.parametrize("bad", ["../outside", "/etc", "a/../../b", "~/x"])
def test_artifact_paths_cannot_escape_the_run(runs_root: Path, tmp_path: Path, bad: str) -> None:
    (tmp_path / "f.txt").write_text("x")
    with runreport.start_run(), pytest.raises(InvalidParameterError, match="not allowed"):
        runreport.log_artifact(str(tmp_path / "f.txt"), artifact_path=bad)
    assert not (tmp_path / "outside").exists()


def test_artifact_path_through_a_symlink_out_is_refused(runs_root: Path, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with runreport.start_run() as run:
        os.symlink(outside, _artifacts(run) / "link")
        with pytest.raises(InvalidParameterError, match="outside"):
            runreport.log_artifact(str(tmp_path / "f.txt"), artifact_path="link")
    assert not (outside / "f.txt").exists()


def test_logging_a_missing_file_or_folder_is_a_clear_error(runs_root: Path, tmp_path: Path) -> None:
    with runreport.start_run():
        with pytest.raises(InvalidParameterError, match="missing"):
            runreport.log_artifact(str(tmp_path / "nope.txt"))
        with pytest.raises(InvalidParameterError, match="not a folder"):
            runreport.log_artifacts(str(tmp_path / "nope"))


def test_log_text_and_dict(runs_root: Path) -> None:
    with runreport.start_run() as run:
        runreport.log_text("héllo", "notes/readme.md")
        runreport.log_dict({"a": 1, "b": [1, 2]}, "config.json")
        runreport.log_dict({"a": 1}, "config.yaml")
    root = _artifacts(run)
    assert (root / "notes" / "readme.md").read_text(encoding="utf-8") == "héllo"
    assert json.loads((root / "config.json").read_text()) == {"a": 1, "b": [1, 2]}
    assert (root / "config.yaml").read_text() == "a: 1\n"


def test_log_figure_matplotlib_and_altair(runs_root: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import altair as alt
    import matplotlib.pyplot as plt
    import pandas as pd

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    chart = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_line().encode(x="x", y="y")
    with runreport.start_run() as run:
        runreport.log_figure(fig, "plots/curve.png")
        runreport.log_figure(chart, "plots/chart.json")
    plt.close(fig)
    root = _artifacts(run)
    assert (root / "plots" / "curve.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((root / "plots" / "chart.json").read_text())["mark"]["type"] == "line"


def test_log_image_from_numpy(runs_root: Path) -> None:
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    with runreport.start_run() as run:
        runreport.log_image(np.zeros((4, 5, 3), dtype="uint8"), "img/black.png")
        runreport.log_image(np.full((2, 2), 0.5), "img/grey.png")
        with pytest.raises(InvalidParameterError, match="between 0 and 1"):
            runreport.log_image(np.full((2, 2), 3.0), "img/bad.png")
    assert (_artifacts(run) / "img" / "black.png").read_bytes()[:4] == b"\x89PNG"
