"""Promise 5: nothing leaks into the published site.

Artifacts that are symlinks, hard links or outside the run folder are never copied (the built
site is searched byte by byte for the secret), ``log_artifact`` and friends refuse paths that
escape the run, params and tags whose keys look like secrets are masked in every file of the
site unless the configuration allows them, and ``--exclude`` keeps chosen artifacts out.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.linear_model import LinearRegression

import runreport
import runreport.sklearn
from runreport.cli import main
from runreport.config import load_config
from runreport.config_site import SiteConfig
from runreport.exceptions import ConfigError, InvalidParameterError
from runreport.site import paths
from runreport.site.artifacts import HARD_LINK
from runreport.site.exclude import Exclusions
from runreport.site.output import SiteWriter
from runreport.site.secrets import MASK, looks_secret
from tests.test_site_support import build, js_data, soup

SECRET = b"TOP-SECRET-4f1c9a: never publish this"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mlflow"


def _site_bytes(site: Path) -> dict[str, bytes]:
    """Every file of the site (dotfiles and the manifest too); a symlink fails the test."""
    found = {}
    for folder, dirs, files in os.walk(site):
        for name in dirs + files:
            path = Path(folder) / name
            assert not path.is_symlink(), f"the site holds a symlink: {path}"
        for name in files:
            path = Path(folder) / name
            found[path.relative_to(site).as_posix()] = path.read_bytes()
    return found


def _leaking(site: Path, *needles: bytes) -> list[str]:
    return [
        f"{name}: {needle!r}"
        for name, data in _site_bytes(site).items()
        for needle in needles
        if needle in data
    ]


def _artifacts_dir(run_id: str) -> Path:
    return Path(runreport.get_run(run_id).info.artifact_uri.removeprefix("file://"))


# ---------------------------------------------------------------- links and paths


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside every run, holding the secret as files a run could point at."""
    folder = tmp_path / "outside"
    (folder / "deep").mkdir(parents=True)
    for name in ("secret.txt", "deep/secret.txt", "secret.json", "requirements.txt"):
        (folder / name).write_bytes(SECRET)
    return folder


def _hostile_run(outside: Path) -> str:
    """A run whose artifacts point outside it in every way a file system allows."""
    frame = pd.DataFrame({"age": [1.0, 2.0], "income": [3.0, 4.0]})
    with runreport.start_run(run_name="hostile") as run:
        runreport.log_text("fine and public\n", "public.txt")
        runreport.sklearn.log_model(
            LinearRegression().fit(frame, [0, 1]), name="model", input_example=frame
        )
        runreport.sklearn.log_model(LinearRegression().fit(frame, [0, 1]), name="model2")
    art = _artifacts_dir(run.info.run_id)
    os.symlink(outside / "secret.txt", art / "link-to-file.txt")
    os.symlink(outside, art / "link-to-folder")
    os.symlink("../../../../outside/secret.txt", art / "relative-dotdot.txt")
    os.symlink("..", art / "up")  # the run folder itself: run.json and all
    os.symlink(art / "link-to-file.txt", art / "chain.txt")
    (art / "sub").mkdir()
    os.link(outside / "secret.txt", art / "hard-link.txt")
    os.link(outside / "deep" / "secret.txt", art / "sub" / "hard-link.log")
    os.mkfifo(art / "fifo.txt")
    # A model whose card would read files outside the run: a hard-linked requirements.txt and
    # an input example that climbs out with "..".
    (art / "model2" / "requirements.txt").unlink()
    os.link(outside / "requirements.txt", art / "model2" / "requirements.txt")
    mlmodel = art / "model" / "MLmodel"
    text = mlmodel.read_text(encoding="utf-8")
    escape = os.path.relpath(outside / "secret.json", art / "model")
    mlmodel.write_text(
        text.replace("artifact_path: input_example.json", f"artifact_path: {escape}"),
        encoding="utf-8",
    )
    return run.info.run_id


def test_links_and_paths_out_of_the_run_are_never_published(
    runs_root: Path, outside: Path, tmp_path: Path
) -> None:
    run_id = _hostile_run(outside)
    site = tmp_path / "site"
    report = build(runs_root, site)
    assert report.problems == []
    assert _leaking(site, SECRET, SECRET.decode().encode("unicode_escape")) == []
    published = site / paths.run_artifact(run_id, "")
    assert (published / "public.txt").read_text() == "fine and public\n"
    assert (published / "model" / "model.pkl").is_file()
    for name in (
        "link-to-file.txt",
        "link-to-folder",
        "relative-dotdot.txt",
        "up",
        "chain.txt",
        "hard-link.txt",
        "sub/hard-link.log",
        "fifo.txt",
        "model2/requirements.txt",
    ):
        assert not (published / name).exists(), name
    page = soup(site / paths.run_page(run_id))
    notes = {
        li.select_one(".name").get_text(): li.select_one(".note").get_text()
        for li in page.select("ul#artifacts li.file")
        if li.select_one(".note")
    }
    assert notes["hard-link.txt"] == notes["hard-link.log"] == HARD_LINK
    assert notes["link-to-file.txt"] == notes["up"] == "symlink: not published"
    assert notes["fifo.txt"] == "not a regular file: not published"
    cards = {c["aria-label"]: c for c in page.select("article.model-card")}
    assert "Input example" not in cards["Model model"].get_text()  # its path left the run
    assert "Requirements" not in [h.get_text() for h in cards["Model model2"].select("h4")]


def test_a_file_that_becomes_a_link_after_the_scan_is_not_copied(
    outside: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run" / "artifacts"
    run.mkdir(parents=True)
    for name in ("swapped.txt", "hard.txt", "fine.txt"):
        (run / name).write_text("ok", encoding="utf-8")
    writer = SiteWriter.open(tmp_path / "site", "x")
    for name in ("swapped.txt", "hard.txt", "fine.txt"):
        writer.copy(f"runs/r/artifacts/{name}", run / name, run)
    (run / "swapped.txt").unlink()  # between the scan and the copy
    os.symlink(outside / "secret.txt", run / "swapped.txt")
    (run / "hard.txt").unlink()
    os.link(outside / "secret.txt", run / "hard.txt")
    stats = writer.commit()
    assert len(stats.refused) == 2
    assert (tmp_path / "site/runs/r/artifacts/fine.txt").read_text() == "ok"
    assert _leaking(tmp_path / "site", SECRET) == []


def test_site_paths_with_dot_dot_are_refused(tmp_path: Path) -> None:
    writer = SiteWriter.open(tmp_path / "site", "x")
    for bad in ("../escape.html", "runs/../../x", "/etc/passwd", "a\\..\\b", ""):
        with pytest.raises(ValueError, match="stay inside the site"):
            writer.add(bad, "x")
        with pytest.raises(ValueError, match="stay inside the site"):
            writer.copy(bad, tmp_path / "x")


ESCAPING_PATHS = [
    "..",
    "../x",
    "a/../../x",
    "a/b/../../../x",
    "/etc",
    "/tmp/x",
    "~/x",
    "~root/x",
    "..\\x",
    "a\\..\\..\\x",
    "a/\x00/b",
]


@pytest.mark.parametrize("artifact_path", ESCAPING_PATHS)
def test_logging_refuses_artifact_paths_that_escape_the_run(
    runs_root: Path, tmp_path: Path, artifact_path: str
) -> None:
    source = tmp_path / "file.txt"
    source.write_text("x", encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "inner.txt").write_text("x", encoding="utf-8")
    before = sorted(p for p in tmp_path.rglob("*") if "runs" not in p.parts)
    with runreport.start_run() as run:
        calls = [
            lambda: runreport.log_artifact(str(source), artifact_path),
            lambda: runreport.log_artifacts(str(folder), artifact_path),
            lambda: runreport.log_text("x", f"{artifact_path}/t.txt"),
            lambda: runreport.log_dict({"a": 1}, f"{artifact_path}/d.json"),
            lambda: runreport.log_image(np.zeros((2, 2), dtype=np.uint8), f"{artifact_path}/i.png"),
            lambda: runreport.Client().download_artifacts(
                run.info.run_id, artifact_path, str(tmp_path / "dl")
            ),
        ]
        for call in calls:
            with pytest.raises(InvalidParameterError):
                call()
    after = sorted(p for p in tmp_path.rglob("*") if "runs" not in p.parts)
    assert after == before  # nothing was written outside the run
    assert list(_artifacts_dir(run.info.run_id).rglob("*")) == []


def test_logging_refuses_destinations_behind_a_symlink(runs_root: Path, outside: Path) -> None:
    source = outside.parent / "file.txt"
    source.write_text("x", encoding="utf-8")
    with runreport.start_run() as run:
        runreport.log_text("x", "keep.txt")
        os.symlink(outside, _artifacts_dir(run.info.run_id) / "door")
        for call in (
            lambda: runreport.log_artifact(str(source), "door"),
            lambda: runreport.log_text("x", "door/t.txt"),
            lambda: runreport.log_dict({"a": 1}, "door/deep/d.json"),
        ):
            with pytest.raises(InvalidParameterError, match="outside"):
                call()
    assert sorted(p.name for p in outside.rglob("*")) == [
        "deep",
        "requirements.txt",
        "secret.json",
        "secret.txt",
        "secret.txt",
    ]


def test_hard_linked_artifacts_of_a_converted_mlflow_store_are_published(
    tmp_path: Path,
) -> None:
    """A build from mlruns/ hard-links its artifacts into a temporary conversion: one link more
    is expected there (a file hard-linked by the user in mlruns/ still is not published)."""
    store = tmp_path / "mlruns"
    shutil.copytree(FIXTURES / "filestore" / "mlruns", store)
    logs = next(store.rglob("artifacts/logs/train.log"))
    config = logs.parent.parent / "config.json"
    meta = logs.parents[2] / "meta.yaml"  # point the run at this copy of its artifacts
    lines = meta.read_text().splitlines()
    meta.write_text(
        "\n".join(
            f"artifact_uri: {logs.parents[1].as_uri()}"
            if line.startswith("artifact_uri:")
            else line
            for line in lines
        )
        + "\n"
    )
    (tmp_path / "outside.txt").write_bytes(SECRET)
    config.unlink()
    os.link(tmp_path / "outside.txt", config)
    site = tmp_path / "site"
    build(store, site)
    run_id = logs.parent.parent.parent.name
    assert (site / paths.run_artifact(run_id, "logs/train.log")).read_bytes() == logs.read_bytes()
    assert not (site / paths.run_artifact(run_id, "config.json")).exists()
    assert _leaking(site, SECRET) == []


# ---------------------------------------------------------------- secrets


SECRET_KEYS = [
    "password",
    "db_password",
    "DB_PASSWORD",
    "passwd",
    "mysql.passwd",
    "AWS_SECRET_ACCESS_KEY",
    "aws_access_key_id",
    "client_secret",
    "secrets.slack",
    "github.token",
    "GITHUB_TOKEN",
    "hfToken",
    "authtoken",
    "access-token",
    "api_key",
    "apikey",
    "OpenAI API Key",
    "apiKey",
    "private_key",
    "ssh.privateKey",
    "credential",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "auth",
    "basic_auth",
    "oauth",
    "Authorization",
    "proxy/authentication",
]
PLAIN_KEYS = [
    "tokenizer",
    "max_tokens",
    "max_new_tokens",
    "pad_token",
    "eos_token",
    "num_tokens",
    "author",
    "authors",
    "keyboard",
    "model_type",
    "alpha",
    "learning_rate",
]


def test_which_keys_look_like_secrets() -> None:
    assert [k for k in SECRET_KEYS if not looks_secret(k)] == []
    assert [k for k in PLAIN_KEYS if looks_secret(k)] == []


def _value(index: int) -> str:
    return f"S3CR3T-{index:02d}-hunter2"


@pytest.fixture
def secret_runs(runs_root: Path, tmp_path: Path) -> dict[str, str]:
    """Two runs with every secret-looking key as a param and a tag, and plain keys beside."""
    experiment_id = runreport.set_experiment("secrets").experiment_id
    client = runreport.Client()
    client.set_experiment_tag(experiment_id, "slack_webhook_secret", _value(99))
    ids = {}
    for run_name in ("a", "b"):
        with runreport.start_run(run_name=run_name) as run:
            offset = 0 if run_name == "a" else 50
            runreport.log_params({k: _value(i + offset) for i, k in enumerate(SECRET_KEYS)})
            runreport.set_tags(
                {f"{k}.tag": _value(i + offset + 30) for i, k in enumerate(SECRET_KEYS[:15])}
            )
            runreport.log_params({k: f"plain-{k}" for k in PLAIN_KEYS})
            runreport.log_metric("loss", 0.5)
        ids[run_name] = run.info.run_id
    (tmp_path / "stages.yaml").write_text(
        "models:\n  churn:\n    tags: {deploy_token: '" + _value(98) + "', team: growth}\n"
        f"    versions:\n      1: {{source: 'runs:/{ids['a']}/model'}}\n",
        encoding="utf-8",
    )
    ids["experiment"] = experiment_id
    return ids


def _all_secret_values() -> list[bytes]:
    values = [_value(i) for i in range(100)]
    return [v.encode() for v in values]


def test_secret_looking_params_and_tags_are_masked_in_every_file(
    secret_runs: dict[str, str], runs_root: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    build(runs_root, site, registry=tmp_path / "stages.yaml")
    assert _leaking(site, *_all_secret_values()) == []
    run_id, experiment_id = secret_runs["a"], secret_runs["experiment"]
    page = soup(site / paths.run_page(run_id))
    params = {tr.th.get_text(): tr.td.get_text() for tr in page.select("table.kv")[1].select("tr")}
    assert {params[k] for k in SECRET_KEYS} == {MASK}
    assert all(params[k] == f"plain-{k}" for k in PLAIN_KEYS)
    tags = {tr.th.get_text(): tr.td.get_text() for tr in page.select("table.kv")[2].select("tr")}
    assert tags["github.token.tag"] == MASK
    data = js_data(site / paths.run_data(run_id))  # what the compare page loads
    assert (
        data["params"]["db_password"] == MASK and data["params"]["tokenizer"] == "plain-tokenizer"
    )
    rows = json.loads((site / paths.experiment_file(experiment_id, "runs.json")).read_text())
    assert rows["runs"][0]["data"]["params"]["AWS_SECRET_ACCESS_KEY"] == MASK
    assert rows["runs"][0]["data"]["tags"]["api_key.tag"] == MASK
    table = js_data(site / paths.experiment_file(experiment_id, "runs.js"))
    column = [c["id"] for c in table["columns"]].index("params.private_key")
    assert table["values"][column] in ({"d": [MASK], "c": [0, 0]}, {"v": [MASK, MASK]})
    csv_text = (site / paths.experiment_file(experiment_id, "runs.csv")).read_text()
    assert csv_text.count(MASK) >= 2 * len(SECRET_KEYS)
    experiment = soup(site / paths.experiment_page(experiment_id))
    assert MASK in experiment.select_one("details.tags").get_text()
    model = soup(site / paths.model_page("churn")).get_text()
    assert MASK in model and "growth" in model


def test_show_secrets_in_the_configuration_unmasks_chosen_keys(
    secret_runs: dict[str, str], runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("runreport.yaml").write_text(
        "site:\n  show_secrets: [db_password, 'GITHUB_*']\n", encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["build", str(runs_root), "-o", "site"])
    assert result.exit_code == 0, result.output
    site = tmp_path / "site"
    # db_password and DB_PASSWORD (globs ignore case), GITHUB_TOKEN and its tag, in both runs
    shown = [_value(i) for i in (1, 2, 10, 40, 51, 52, 60, 90)]
    for value in shown:
        assert _leaking(site, value.encode()), value
    hidden = [v for v in _all_secret_values() if v.decode() not in shown]
    assert _leaking(site, *hidden) == []
    data = js_data(site / paths.run_data(secret_runs["a"]))
    assert data["params"]["db_password"] == _value(1)
    assert data["params"]["github.token"] == MASK
    Path("runreport.yaml").unlink()
    Path("pyproject.toml").write_text("[tool.runreport.site]\nshow_secrets = true\n")
    result = CliRunner().invoke(main, ["build", str(runs_root), "-o", "site"])
    assert result.exit_code == 0, result.output
    data = js_data(site / paths.run_data(secret_runs["a"]))
    assert data["params"]["github.token"] == _value(9) and MASK not in json.dumps(data)


def test_the_build_manifest_holds_no_hash_of_a_secret(
    secret_runs: dict[str, str], runs_root: Path, tmp_path: Path
) -> None:
    """Run keys (published in the manifest) hash what the page shows: a changed secret changes
    no key, so the manifest cannot be used to guess a secret."""
    site = tmp_path / "site"
    build(runs_root, site)

    def key() -> str:
        manifest = json.loads((site / paths.MANIFEST).read_text())
        return str(manifest["runs"][secret_runs["a"]]["key"])

    first = key()
    run_dir = _artifacts_dir(secret_runs["a"]).parent
    record = json.loads((run_dir / "run.json").read_text())
    record["params"]["db_password"] = "another-secret"
    (run_dir / "run.json").write_text(json.dumps(record))
    report = build(runs_root, site)
    assert key() == first and report.runs_reused == 2
    assert _leaking(site, b"another-secret") == []


# ---------------------------------------------------------------- --exclude


def _run_with_many_artifacts() -> str:
    frame = pd.DataFrame({"age": [1.0, 2.0], "income": [3.0, 4.0]})
    with runreport.start_run(run_name="artifacts") as run:
        runreport.log_text("EXCLUDED-CKPT", "model.ckpt")
        runreport.log_text("EXCLUDED-NESTED-CKPT", "checkpoints/epoch-1.ckpt")
        runreport.log_text("EXCLUDED-DATA", "data/train.csv")
        runreport.log_text("EXCLUDED-DEEP-DATA", "data/raw/part-0.csv")
        runreport.log_text("EXCLUDED-BY-CONFIG", "notes/private.md")
        runreport.log_text("KEPT-NOTES", "notes/public.md")
        runreport.log_text("KEPT-DATA", "other/data/train.csv")
        runreport.sklearn.log_model(
            LinearRegression().fit(frame, [0, 1]), name="model", input_example=frame
        )
        runreport.sklearn.log_model(LinearRegression().fit(frame, [0, 1]), name="hidden_model")
    return run.info.run_id


EXCLUDED = [
    b"EXCLUDED-CKPT",
    b"EXCLUDED-NESTED-CKPT",
    b"EXCLUDED-DATA",
    b"EXCLUDED-DEEP-DATA",
    b"EXCLUDED-BY-CONFIG",
]


def test_exclude_keeps_artifacts_out_of_files_listings_previews_and_model_cards(
    runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _run_with_many_artifacts()
    monkeypatch.chdir(tmp_path)
    Path("runreport.yaml").write_text(
        "site:\n  exclude: [notes/private.md, model/input_example.json, hidden_model/MLmodel]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["build", str(runs_root), "-o", "site"])
    assert result.exit_code == 0, result.output
    site = tmp_path / "site"
    assert _leaking(site, b"EXCLUDED-BY-CONFIG") == []
    assert _leaking(site, b"EXCLUDED-CKPT")  # not excluded yet
    result = CliRunner().invoke(
        main,
        ["build", str(runs_root), "-o", "site", "--exclude", "*.ckpt", "--exclude", "/data/**"],
    )
    assert result.exit_code == 0, result.output
    assert _leaking(site, *EXCLUDED) == []  # the command line adds to the configuration
    assert len(_leaking(site, b"KEPT-NOTES", b"KEPT-DATA")) >= 2
    published = site / paths.run_artifact(run_id, "")
    files = sorted(p.relative_to(published).as_posix() for p in published.rglob("*"))
    assert [f for f in files if f.endswith((".ckpt", ".csv", ".md"))] == [
        "notes/public.md",
        "other/data/train.csv",
    ]
    assert "model/input_example.json" not in files and "hidden_model/MLmodel" not in files
    assert "model/model.pkl" in files and "hidden_model/model.pkl" in files
    page = (site / paths.run_page(run_id)).read_text()
    for name in ("model.ckpt", "epoch-1.ckpt", "checkpoints", "private.md", "part-0.csv"):
        assert name not in page, name
    document = soup(site / paths.run_page(run_id))
    top = [li.select_one(".name").get_text() for li in document.select("ul#artifacts > li")]
    assert top == ["hidden_model/", "model/", "notes/", "other/"]  # data/ was emptied: gone
    cards = document.select("article.model-card")
    assert [c["aria-label"] for c in cards] == ["Model model"]  # hidden_model has no MLmodel
    assert "Input example" not in cards[0].get_text()
    assert (published / "model" / "MLmodel").is_file()


def test_excluding_later_removes_what_an_earlier_build_published(
    runs_root: Path, tmp_path: Path
) -> None:
    run_id = _run_with_many_artifacts()
    site = tmp_path / "site"
    build(runs_root, site)
    assert (site / paths.run_artifact(run_id, "model.ckpt")).is_file()
    build(runs_root, site, exclude=("*.ckpt", "data/**", "notes/private.md"))
    assert not (site / paths.run_artifact(run_id, "model.ckpt")).exists()
    assert not (site / paths.run_artifact(run_id, "data")).exists()
    assert _leaking(site, *EXCLUDED) == []


@pytest.mark.parametrize(
    ("glob", "path", "excluded"),
    [
        ("*.ckpt", "model.ckpt", True),
        ("*.ckpt", "deep/down/epoch.ckpt", True),
        ("*.ckpt", "model.ckpt.txt", False),
        ("data/**", "data/a/b.csv", True),
        ("data/**", "x/data/b.csv", False),
        ("**/data", "x/y/data", True),
        ("/notes.txt", "notes.txt", True),
        ("/notes.txt", "a/notes.txt", False),
        ("model/*.pkl", "model/model.pkl", True),
        ("model/*.pkl", "model/sub/model.pkl", False),
        ("secrets", "a/secrets", True),
        ("run[0-9].log", "run7.log", True),
        ("run[!0-9].log", "run7.log", False),
        ("?.txt", "a.txt", True),
        ("?.txt", "ab.txt", False),
    ],
)
def test_exclude_globs(glob: str, path: str, excluded: bool) -> None:
    assert Exclusions.of([glob]).excludes(path) is excluded


def test_bad_exclude_globs_are_clear_errors(runs_root: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(runs_root), "--exclude", "../x"])
    assert result.exit_code == 2
    assert "paths inside a run have no '..'" in result.output
    with pytest.raises(InvalidParameterError, match="is empty"):
        build(runs_root, tmp_path / "site", exclude=("",))
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("site: [1]\n", "runreport.yaml:1: 'site' must be a mapping"),
        ("site:\n  exclud: []\n", "runreport.yaml:2: unknown key 'exclud'; expected one of"),
        ("site:\n  exclude: 5\n", "runreport.yaml:2: exclude must be a list of artifact globs"),
        ("site:\n  exclude: ['a', 3]\n", "runreport.yaml:2: exclude must be a list"),
        ("site:\n  exclude: ['../up']\n", "runreport.yaml:2: exclude pattern '../up' is not"),
        ("site:\n  show_secrets: 3\n", "runreport.yaml:2: show_secrets must be true, false or"),
        ("site:\n  show_secrets: [{a: 1}]\n", "runreport.yaml:2: show_secrets must be"),
    ],
)
def test_site_section_errors_name_the_file_and_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "runreport.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(expected), str(caught.value)


def test_site_section_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.runreport.site]\nexclude = ["*.ckpt"]\nshow_secrets = ["db_*"]\n'
    )
    assert load_config(tmp_path).site == SiteConfig(("*.ckpt",), ("db_*",))
    (tmp_path / "pyproject.toml").write_text("[tool.runreport.site]\nshow_secrets = 'x'\nx = 1\n")
    with pytest.raises(ConfigError, match=r"\[tool.runreport.site\]: unknown key 'x'"):
        load_config(tmp_path)
