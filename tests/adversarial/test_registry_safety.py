"""Promise 6 of issue 8: the registry is safe against hostile files.

1. A ``stages.yaml`` with YAML tricks (python tags, custom tags, anchors and alias bombs, merge
   keys, very deep nesting, a huge file...) is refused with a ``file:line`` error by every entry
   point: ``runreport registry check``, the registry API, ``models:/`` resolution, the site build
   and the registry history (real git). Payloads create a marker if executed; the marker never
   appears, and a control proves each payload does run under an unsafe loader.
2. The model hash check refuses a model whose pickle was swapped for another valid pickle (one that
   creates a marker when unpickled).
3. Loading a model from the registry never runs code from a file the registry did not point to:
   a ``loader_module`` naming an importable module, ``code:`` paths, model files that escape the
   model folder (``../``, absolute paths, symlinks), named pipes and ``runs:/`` sources that leave
   the run's artifacts are all refused.
"""

from __future__ import annotations

import importlib
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import runreport
from runreport.cli import main
from runreport.exceptions import RunReportError
from runreport.models.checksums import ModelIntegrityError
from runreport.site.build import BuildOptions, build_site
from runreport.tracking.client import Client
from tests.conftest import git

TIMEOUT = 30.0


def guarded(fn: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    """``fn()`` in a worker thread; fails the test when it has not returned in time."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # re-raised below, in the test's thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), f"did not return within {timeout:.0f} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


# ---------------------------------------------------------------- stages.yaml tricks

VALID = "models:\n  Shop:\n    versions:\n      1: {source: model, stage: Production}\n"


def _bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines) + f"\nmodels: *a{levels - 1}\n"


# name -> (text, the line the error must name, or None for a whole-file error). MARKER is the
# path a payload creates if anything executes it.
TRICKS: dict[str, tuple[str, int | None]] = {
    "python-apply-os-system": ('models: !!python/object/apply:os.system ["mkdir MARKER"]\n', 1),
    "python-apply-mkdir": ("models: !!python/object/apply:os.mkdir [MARKER]\n", 1),
    "python-apply-in-source": (
        "models:\n  Shop:\n    versions:\n      1:\n"
        "        source: !!python/object/apply:os.mkdir [MARKER]\n",
        5,
    ),
    "python-apply-as-key": ("models:\n  ? !!python/object/apply:os.mkdir [MARKER]\n  : {}\n", 2),
    "python-new": ("models: !!python/object/new:collections.OrderedDict [[[a, 1]]]\n", 1),
    "python-name": ("models: !!python/name:os.mkdir\n", 1),
    "python-module": ("models: !!python/module:os\n", 1),
    "python-object": ("models: !!python/object:os.stat_result {}\n", 1),
    "tag-directive": (
        "%TAG !x! tag:yaml.org,2002:python/object/apply:\n---\nmodels: !x!os.mkdir [MARKER]\n",
        3,
    ),
    "verbatim-tag": ("models: !<tag:yaml.org,2002:python/object/apply:os.mkdir> [MARKER]\n", 1),
    "custom-tag": ("models:\n  Shop: !custom {versions: {}}\n", 2),
    "local-tag-on-stage": (
        "models:\n  Shop:\n    versions:\n      1: {source: m, stage: !prod Production}\n",
        4,
    ),
    "binary": ("models:\n  Shop:\n    description: !!binary aGVsbG8=\n", 3),
    "set": ("models: !!set {Shop}\n", 1),
    "omap": ("models: !!omap [{Shop: {}}]\n", 1),
    "billion-laughs": (_bomb(), 1),
    "recursive-alias": ("models: &m {Shop: *m}\n", 1),
    "alias-merge": (
        "models:\n  Base: &base {versions: {1: {source: m}}}\n  Shop:\n    <<: *base\n",
        2,
    ),
    "inline-merge": ("models:\n  Shop:\n    <<: {versions: {1: {source: m}}}\n", 3),
    "undefined-alias": ("models: *nothing\n", 1),
    "flow-nesting-100k": ("models: " + "[" * 100_000 + "]" * 100_000 + "\n", 1),
    "flow-nesting-unclosed": ("models: " + "{a: " * 100_000 + "\n", 1),
    "dash-nesting-100k": ("models:\n  " + "- " * 100_000 + "x\n", 2),
    "key-nesting-100k": ("models:\n  " + "? " * 100_000 + "x\n", 2),
    "indent-nesting": (
        "models:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 200)),
        65,
    ),
    "huge-file": ("models:\n" + "#" * 6_000_000 + "\n", None),
    "several-documents": ("models: {}\n---\nmodels: {}\n", 2),
    "duplicate-model": ("models:\n  Shop: {}\n  Shop: {}\n", 3),
    "duplicate-version": (
        "models:\n  Shop:\n    versions:\n      1: {source: a}\n      01: {source: b}\n",
        5,
    ),
    "nul-byte": ('models:\n  Shop: {description: "a\x00b"}\n', 2),
    "complex-key": ("models:\n  ? [a, b]\n  : {versions: {}}\n", 2),
    "not-a-mapping": ("- models\n- Shop\n", 1),
}
BYTE_TRICKS: dict[str, tuple[bytes, int]] = {
    "invalid-utf8": (b"models:\n  Shop:\n    description: \xff\xfe\n", 3),
    "lone-surrogate-utf8": (b"models:\n  Shop:\n    description: \xed\xa0\x80\n", 3),
}


def _trick_bytes(name: str, marker: Path) -> bytes:
    if name in BYTE_TRICKS:
        return BYTE_TRICKS[name][0]
    return TRICKS[name][0].replace("MARKER", str(marker)).encode("utf-8")


def _trick_line(name: str) -> int | None:
    return BYTE_TRICKS[name][1] if name in BYTE_TRICKS else TRICKS[name][1]


ALL_TRICKS = [*TRICKS, *BYTE_TRICKS]
PAYLOADS = [name for name in TRICKS if "MARKER" in TRICKS[name][0]]


@pytest.mark.parametrize("name", PAYLOADS)
def test_each_payload_would_run_under_an_unsafe_loader(name: str, tmp_path: Path) -> None:
    """The control: the payloads are live, so their markers' absence below means something."""
    marker = tmp_path / "control-marker"
    yaml.load(_trick_bytes(name, marker), Loader=yaml.UnsafeLoader)  # the control
    assert marker.exists(), f"{name}: the payload did not run even when loaded unsafely"


@pytest.fixture
def hostile_registry(tmp_path: Path, runs_root: Path) -> Iterator[Callable[[str], Path]]:
    """Writes a trick as ``stages.yaml`` in a fresh folder; returns the file."""
    made: list[Path] = []

    def write(name: str) -> Path:
        folder = tmp_path / f"registry-{len(made)}"
        folder.mkdir()
        path = folder / "stages.yaml"
        path.write_bytes(_trick_bytes(name, tmp_path / "marker"))
        made.append(path)
        return path

    yield write
    assert not (tmp_path / "marker").exists(), "a payload in stages.yaml was executed"


def _assert_file_line(message: str, path: Path, name: str) -> None:
    line = _trick_line(name)
    where = f"stages.yaml:{line}:" if line is not None else "stages.yaml:"
    assert where in message, f"{name}: {message[:300]!r} does not name {where}"
    assert len(message) < 2_000, f"{name}: the message is {len(message)} characters long"


@pytest.mark.parametrize("name", ALL_TRICKS)
def test_registry_check_refuses_the_trick_with_file_and_line(
    name: str, hostile_registry: Callable[[str], Path]
) -> None:
    path = hostile_registry(name)
    result = guarded(
        lambda: CliRunner().invoke(main, ["registry", "check", "--registry", str(path)])
    )
    assert result.exit_code == 1, f"{name}: exit {result.exit_code}: {result.output[-500:]}"
    assert result.exception is None or isinstance(result.exception, SystemExit)
    _assert_file_line(result.output, path, name)


@pytest.mark.parametrize("name", ALL_TRICKS)
def test_the_registry_api_refuses_the_trick(
    name: str, hostile_registry: Callable[[str], Path]
) -> None:
    path = hostile_registry(name)
    client = Client(registry_uri=str(path))
    for call in (
        lambda: client.get_registered_model("Shop"),
        lambda: client.search_model_versions("name = 'Shop'"),
        lambda: client.transition_model_version_stage("Shop", 1, "Archived"),
    ):
        with pytest.raises(RunReportError) as caught:
            guarded(call)
        _assert_file_line(str(caught.value), path, name)
    assert path.read_bytes() == _trick_bytes(name, path.parent.parent / "marker"), "edited"


@pytest.mark.parametrize("name", ALL_TRICKS)
def test_models_uris_refuse_the_trick(
    name: str, hostile_registry: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = hostile_registry(name)
    monkeypatch.setenv("RUNREPORT_REGISTRY", str(path))
    for call in (
        lambda: runreport.registry.resolve_model_uri("models:/Shop/1"),
        lambda: runreport.pyfunc.load_model("models:/Shop/Production"),
        lambda: runreport.sklearn.load_model("models:/Shop@champion"),
    ):
        with pytest.raises(RunReportError) as caught:
            guarded(call)
        _assert_file_line(str(caught.value), path, name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL_TRICKS)
def test_the_site_build_reports_the_trick_and_goes_on(
    name: str, hostile_registry: Callable[[str], Path], runs_root: Path, tmp_path: Path
) -> None:
    path = hostile_registry(name)
    with runreport.start_run():
        runreport.log_metric("acc", 0.9)
    options = BuildOptions(runs_dirs=[runs_root], output=tmp_path / "site", registry=path)
    report = guarded(lambda: build_site(options))
    problems = [p for p in report.problems if Path(p.path) == path]
    assert len(problems) == 1, f"{name}: {report.problems}"
    _assert_file_line(problems[0].reason, path, name)
    assert (tmp_path / "site" / "index.html").is_file()
    assert report.runs == 1


@pytest.mark.slow
def test_registry_history_reports_each_trick_commit_and_never_executes_it(
    tmp_path: Path, runs_root: Path
) -> None:
    """Real git: every trick committed in turn between valid states is a file_invalid event."""
    from runreport.registry.history import registry_history

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    path = repo / "stages.yaml"
    path.write_text(VALID)
    git(repo, "add", "stages.yaml")
    git(repo, "commit", "-q", "-m", "valid")
    # Text tricks (history decodes committed bytes leniently); the repository is kept small.
    names = [n for n in TRICKS if n != "huge-file"]
    for name in names:
        path.write_bytes(_trick_bytes(name, tmp_path / "marker"))
        git(repo, "commit", "-q", "-am", f"trick {name}")
    path.write_text(VALID)
    git(repo, "commit", "-q", "-am", "valid again")
    events = guarded(lambda: registry_history(path, include_pending=True), 120)
    invalid = [e for e in events if e.kind == "file_invalid"]
    subjects = {e.commit.subject for e in invalid}
    assert subjects == {f"trick {n}" for n in names}, sorted(subjects)
    assert not (tmp_path / "marker").exists()
    with runreport.start_run():
        runreport.log_metric("acc", 0.9)
    report = guarded(
        lambda: build_site(
            BuildOptions(runs_dirs=[runs_root], output=tmp_path / "site", registry=path)
        ),
        120,
    )
    assert report.problems == []
    assert not (tmp_path / "marker").exists()


@pytest.mark.parametrize("kind", ["fifo", "directory", "symlink-to-fifo", "sparse-1GiB"])
def test_a_registry_that_is_not_a_regular_file_is_refused_without_blocking(
    kind: str, tmp_path: Path, runs_root: Path
) -> None:
    path = tmp_path / "stages.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":  # a folder means the stages.yaml inside it: make that one a pipe
        path.mkdir()
        os.mkfifo(path / "stages.yaml")
    elif kind == "symlink-to-fifo":
        os.mkfifo(tmp_path / "pipe")
        path.symlink_to(tmp_path / "pipe")
    else:
        with open(path, "wb") as handle:
            handle.truncate(2**30)
    client = Client(registry_uri=str(path))
    with pytest.raises(RunReportError) as caught:
        guarded(lambda: client.get_registered_model("Shop"))
    assert "stages.yaml" in str(caught.value)
    result = guarded(
        lambda: CliRunner().invoke(main, ["registry", "check", "--registry", str(path)])
    )
    assert result.exit_code == 1, result.output


# ---------------------------------------------------------------- swapped model files


class Payload:
    """A valid pickle whose unpickling creates a folder: what a swapped model file could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (self.marker,))


def payload(marker: Path) -> bytes:
    return pickle.dumps(Payload(marker))


def test_the_pickle_payload_runs_when_unpickled(tmp_path: Path) -> None:
    """The control for the swapped-file tests: this pickle does run code."""
    marker = tmp_path / "control-marker"
    pickle.loads(payload(marker))  # the point of the control
    assert marker.is_dir()


def save_sklearn_model(path: Path) -> Path:
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(np.array([[1.0], [2.0], [3.0]]), np.array([2.0, 4.0, 6.0]))
    runreport.sklearn.save_model(model, path, pip_requirements=["scikit-learn"])
    return path


def write_registry(folder: Path, source: str | Path, name: str = "Shop") -> Path:
    path = folder / "stages.yaml"
    path.write_text(
        f"models:\n  {name}:\n    versions:\n      1: {{source: '{source}', stage: Production}}\n"
        f"    aliases: {{champion: 1}}\n"
    )
    return path


def loaders(uri: str) -> list[tuple[str, Callable[[], Any]]]:
    return [
        ("pyfunc", lambda: runreport.pyfunc.load_model(uri)),
        ("sklearn", lambda: runreport.sklearn.load_model(uri)),
    ]


@pytest.fixture
def registry_env(tmp_path: Path, runs_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "registry"
    folder.mkdir()
    monkeypatch.setenv("RUNREPORT_REGISTRY", str(folder / "stages.yaml"))
    return folder


def test_a_swapped_pickle_is_refused_and_never_unpickled(
    tmp_path: Path, registry_env: Path
) -> None:
    model = save_sklearn_model(registry_env / "model")
    write_registry(registry_env, "model")
    prediction = runreport.pyfunc.load_model("models:/Shop/1").predict(np.array([[4.0]]))
    assert prediction[0] == pytest.approx(8.0)
    marker = tmp_path / "marker"
    (model / "model.pkl").write_bytes(payload(marker))
    for uri in ("models:/Shop/1", "models:/Shop/Production", "models:/Shop@champion", str(model)):
        for what, load in loaders(uri):
            with pytest.raises(ModelIntegrityError) as caught:
                guarded(load)
            message = str(caught.value)
            assert "model.pkl" in message and "changed" in message, f"{what} {uri}: {message}"
    assert not marker.exists(), "the swapped pickle was unpickled"


def test_a_swapped_pickle_of_a_logged_and_registered_model_is_refused(
    tmp_path: Path, registry_env: Path
) -> None:
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(np.array([[1.0], [2.0]]), np.array([1.0, 2.0]))
    with runreport.start_run() as run:
        runreport.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"])
    runreport.register_model(f"runs:/{run.info.run_id}/model", "Shop")
    artifacts = Path(runreport.get_run(run.info.run_id).info.artifact_uri.removeprefix("file://"))
    marker = tmp_path / "marker"
    (artifacts / "model" / "model.pkl").write_bytes(payload(marker))
    for _what, load in loaders("models:/Shop/1") + loaders(f"runs:/{run.info.run_id}/model"):
        with pytest.raises(ModelIntegrityError, match=r"model\.pkl"):
            guarded(load)
    assert not marker.exists()


def _edit_mlmodel(model: Path, old: str, new: str) -> None:
    text = (model / "MLmodel").read_text()
    assert old in text, text
    (model / "MLmodel").write_text(text.replace(old, new))


SWAPS: dict[str, Callable[[Path, Path], None]] = {
    # another file, not listed in checksums.sha256, named by an edited MLmodel
    "unlisted-file": lambda m, marker: (
        (m / "evil.pkl").write_bytes(payload(marker)),
        _edit_mlmodel(m, "model.pkl", "evil.pkl"),
    ),
    # the pickle swapped and its checksum line rewritten, but the checksums file no longer matches
    # the MLmodel it lists
    "mlmodel-edited": lambda m, marker: _edit_mlmodel(m, "predict_fn: predict", "predict_fn: x"),
    "checksums-a-fifo": lambda m, marker: (
        (m / "model.pkl").write_bytes(payload(marker)),
        (m / "checksums.sha256").unlink(),
        os.mkfifo(m / "checksums.sha256"),
    ),
    "checksums-a-folder": lambda m, marker: (
        (m / "model.pkl").write_bytes(payload(marker)),
        (m / "checksums.sha256").unlink(),
        (m / "checksums.sha256").mkdir(),
    ),
    "checksums-dangling-symlink": lambda m, marker: (
        (m / "model.pkl").write_bytes(payload(marker)),
        (m / "checksums.sha256").unlink(),
        (m / "checksums.sha256").symlink_to(m / "nowhere"),
    ),
    "checksum-line-escapes": lambda m, marker: (
        (m / "model.pkl").write_bytes(payload(marker)),
        (m / "checksums.sha256").write_text("0" * 64 + "  ../../evil.pkl\n"),
    ),
    "checksums-garbage": lambda m, marker: (
        (m / "model.pkl").write_bytes(payload(marker)),
        (m / "checksums.sha256").write_bytes(b"\xff\xfe\x00garbage\n"),
    ),
}


@pytest.mark.parametrize("swap", list(SWAPS))
def test_tampering_with_a_saved_model_is_refused(
    swap: str, tmp_path: Path, registry_env: Path
) -> None:
    model = save_sklearn_model(registry_env / "model")
    write_registry(registry_env, "model")
    marker = tmp_path / "marker"
    SWAPS[swap](model, marker)
    for what, load in loaders("models:/Shop/1"):
        with pytest.raises(RunReportError) as caught:
            guarded(load)
        assert str(model) in str(caught.value) or "model.pkl" in str(caught.value), (
            f"{swap}/{what}: the error does not name the model's file: {caught.value}"
        )
    assert not marker.exists()


# ---------------------------------------------------------------- code the registry never named


def mlflow_style_model(folder: Path, marker: Path) -> Path:
    """A model folder as MLflow writes it (no checksums.sha256), with a harmless pickle."""
    save_sklearn_model(folder)
    (folder / "checksums.sha256").unlink()
    (folder.parent / "evil.pkl").write_bytes(payload(marker))
    return folder


EVIL_MODULE = "runreport_adversarial_evil_loader"


def _evil_module(path: Path) -> None:
    (path / f"{EVIL_MODULE}.py").write_text(
        "import os\nos.mkdir(os.environ['RUNREPORT_ADVERSARIAL_MARKER'])\n"
        "def _load_pyfunc(path):\n    return None\n"
    )


def _outside_link(model: Path, marker: Path) -> None:
    (model / "model.pkl").unlink()
    (model / "model.pkl").symlink_to(model.parent / "evil.pkl")


def _outside_folder(model: Path, marker: Path) -> None:
    outside = model.parent / "outside"
    outside.mkdir()
    (outside / "model.pkl").write_bytes(payload(marker))
    (model / "sub").symlink_to(outside)
    _edit_mlmodel(model, "model.pkl", "sub/model.pkl")


def _fifo(model: Path, marker: Path) -> None:
    (model / "model.pkl").unlink()
    os.mkfifo(model / "model.pkl")


def _python_model_artifact(model: Path, marker: Path) -> None:
    (model / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n"
        "    python_model: python_model.pkl\n"
        "    artifacts: {data: {path: ../evil.pkl, uri: x}}\n"
    )
    (model / "python_model.pkl").write_bytes(payload(marker))


# name -> (how the model folder is changed, what the refusal says, the loaders that must refuse:
# sklearn.load_model never looks at python_function's loader_module, so it may load the intact
# scikit-learn flavor of those models; nothing the registry did not point to runs either way).
BOTH = ("pyfunc", "sklearn")
HOSTILE_MODELS: dict[str, tuple[Callable[[Path, Path], None], str, tuple[str, ...]]] = {
    "loader-module-importable": (
        lambda m, marker: _edit_mlmodel(m, "mlflow.sklearn", EVIL_MODULE),
        "loader_module",
        ("pyfunc",),
    ),
    "loader-module-os": (
        lambda m, marker: _edit_mlmodel(m, "mlflow.sklearn", "os"),
        "loader_module",
        ("pyfunc",),
    ),
    "code-path": (
        lambda m, marker: (
            (m / "code").mkdir(),
            (m / "code" / "evil.py").write_text("import os\nos.mkdir('marker')\n"),
            _edit_mlmodel(m, "    loader_module", "    code: code\n    loader_module"),
            _edit_mlmodel(m, "code: null", "code: code"),
        ),
        "code",
        BOTH,
    ),
    "model-path-escapes": (
        lambda m, marker: _edit_mlmodel(m, "model.pkl", "../evil.pkl"),
        "outside",
        BOTH,
    ),
    "model-path-deep-escape": (
        lambda m, marker: _edit_mlmodel(m, "model.pkl", "a/../../evil.pkl"),
        "outside",
        BOTH,
    ),
    "model-path-absolute": (
        lambda m, marker: _edit_mlmodel(m, "model.pkl", str(m.parent / "evil.pkl")),
        "outside",
        BOTH,
    ),
    "model-path-backslashes": (
        lambda m, marker: _edit_mlmodel(m, "model.pkl", "..\\\\evil.pkl"),
        "outside",
        BOTH,
    ),
    "model-file-symlink-outside": (_outside_link, "outside", BOTH),
    "model-folder-symlink-outside": (_outside_folder, "outside", BOTH),
    "model-file-a-fifo": (_fifo, "not a regular file", BOTH),
    "python-model-artifact-escapes": (_python_model_artifact, "outside", ("pyfunc",)),
    "mlmodel-python-tag": (
        lambda m, marker: (m / "MLmodel").write_text(
            f"flavors: !!python/object/apply:os.mkdir ['{marker}']\n"
        ),
        "YAML",
        BOTH,
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE_MODELS))
def test_loading_from_the_registry_never_runs_code_it_did_not_point_to(
    name: str, tmp_path: Path, registry_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "marker"
    monkeypatch.setenv("RUNREPORT_ADVERSARIAL_MARKER", str(marker))
    monkeypatch.syspath_prepend(str(tmp_path))
    _evil_module(tmp_path)
    model = mlflow_style_model(registry_env / "model", marker)
    change, reason, refusing = HOSTILE_MODELS[name]
    change(model, marker)
    write_registry(registry_env, "model")
    for what, load in loaders("models:/Shop/1"):
        try:
            guarded(load)
        except RunReportError as exc:
            message = str(exc)
            assert str(registry_env) in message, f"{name}/{what}: names no file: {message}"
            if what in refusing:
                assert reason.lower() in message.lower(), f"{name}/{what}: {message}"
            continue
        assert what not in refusing, f"{name}: {what} loaded the model"
    assert not marker.exists(), f"{name}: code the registry did not point to was run"
    assert EVIL_MODULE not in sys.modules


def test_the_evil_loader_module_does_run_when_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control for ``loader-module-importable``: importing the module runs its code."""
    marker = tmp_path / "control-marker"
    monkeypatch.setenv("RUNREPORT_ADVERSARIAL_MARKER", str(marker))
    monkeypatch.syspath_prepend(str(tmp_path))
    _evil_module(tmp_path)
    try:
        importlib.import_module(EVIL_MODULE)
        assert marker.is_dir()
    finally:
        sys.modules.pop(EVIL_MODULE, None)


def test_a_runs_source_that_leaves_the_run_is_refused(tmp_path: Path, registry_env: Path) -> None:
    marker = tmp_path / "marker"
    with runreport.start_run() as run:
        runreport.log_text("x", "notes.txt")
    run_dir = Path(runreport.get_run(run.info.run_id).info.artifact_uri.removeprefix("file://"))
    mlflow_style_model(run_dir.parent.parent / "elsewhere", marker)
    for source in (
        f"runs:/{run.info.run_id}/../../elsewhere",
        f"runs:/{run.info.run_id}/../../../{run_dir.parent.parent.name}/elsewhere",
    ):
        write_registry(registry_env, source)
        for _what, load in loaders("models:/Shop/1"):
            with pytest.raises(RunReportError, match="outside"):
                guarded(load)
    artifacts = run_dir
    (artifacts / "link").symlink_to(run_dir.parent.parent / "elsewhere")
    write_registry(registry_env, f"runs:/{run.info.run_id}/link")
    for _what, load in loaders("models:/Shop/1"):
        with pytest.raises(RunReportError, match="outside"):
            guarded(load)
    assert not marker.exists()


def test_a_deeply_nested_mlmodel_is_refused_cleanly(tmp_path: Path, registry_env: Path) -> None:
    model = mlflow_style_model(registry_env / "model", tmp_path / "marker")
    (model / "MLmodel").write_text("flavors: " + "[" * 100_000 + "\n")
    write_registry(registry_env, "model")
    with pytest.raises(RunReportError):
        guarded(lambda: runreport.pyfunc.load_model("models:/Shop/1"))
