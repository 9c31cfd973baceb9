"""``runreport demo``: log the examples, give the registry a git history, build the site.

Everything happens in a throwaway workspace (a temporary folder with its own git repository):
the example scripts log their runs into ``<workspace>/runs``, a few commits register and
promote models in ``<workspace>/stages.yaml`` (a pull-request merge among them, so the changelog
has content), and the site is built into the output folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runreport.exceptions import RunReportError

MODEL = "PurchasePredictionModel"
EXAMPLES = ("purchase_prediction.py", "training_curves.py")
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada Lovelace",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Lovelace",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


@dataclass(frozen=True)
class DemoResult:
    workspace: Path
    index: Path
    summary: str


def examples_dir() -> Path:
    """The example scripts: shipped as ``runreport.examples``, or a source checkout's examples/."""
    try:
        import runreport.examples as package  # type: ignore[import-not-found]

        return Path(package.__file__).parent
    except ImportError:
        checkout = Path(__file__).resolve().parents[2] / "examples"
        if (checkout / EXAMPLES[0]).is_file():
            return checkout
    raise RunReportError(
        "the example scripts are not installed; run the demo from a source checkout"
    )


class _Workspace:
    """A folder with a git repository, runs and a registry, driven step by step."""

    def __init__(self, folder: Path, say: Callable[[str], None]) -> None:
        self.folder = folder
        self.runs = folder / "runs"
        self.registry = folder / "stages.yaml"
        self.say = say
        self._commits = 0
        self.env = {
            **os.environ,
            **_GIT_IDENTITY,
            "RUNREPORT_TRACKING_URI": str(self.runs),
            "RUNREPORT_REGISTRY": str(self.registry),
            "MPLBACKEND": "Agg",
        }

    def git(self, *args: str) -> str:
        stamp = f"2026-01-{1 + self._commits:02d}T10:00:00+00:00"
        env = {**self.env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        done = subprocess.run(
            ["git", *args], cwd=self.folder, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RunReportError(
                f"git {' '.join(args)} failed in the demo workspace: {done.stderr.strip()}"
            )
        return done.stdout

    def commit(self, message: str) -> None:
        self.git("add", "-A", "stages.yaml")
        self.git("commit", "-q", "-m", message)
        self._commits += 1

    def run_example(self, name: str) -> None:
        self.say(f"running examples/{name}")
        done = subprocess.run(
            [sys.executable, str(examples_dir() / name)],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RunReportError(f"examples/{name} failed:\n{done.stderr.strip()[-2000:]}")

    def client(self):  # type: ignore[no-untyped-def]
        from runreport.tracking.client import Client

        return Client(str(self.runs), registry_uri=str(self.registry))


def _history(ws: _Workspace) -> None:
    """Register and promote models over a few commits, one of them a merged pull request."""
    client = ws.client()
    experiment = client.get_experiment_by_name("Purchase Prediction")
    baseline = client.search_runs(
        [experiment.experiment_id], "attributes.run_name = 'linear_regression_v1'"
    )[0]
    ws.registry.write_text(
        "# Models and their stages. Change stages in pull requests.\nmodels: {}\n"
    )
    ws.git("init", "-q", "-b", "main")
    ws.commit("Add an empty model registry")
    client.create_registered_model(
        MODEL, description="Predicts purchases from page views and cart adds"
    )
    version = client.create_model_version(
        MODEL, f"runs:/{baseline.info.run_id}/model", baseline.info.run_id
    )
    ws.commit(f"Register {MODEL} v{version.version} (#1)")
    client.transition_model_version_stage(MODEL, version.version, "Production")
    client.set_registered_model_alias(MODEL, "champion", version.version)
    ws.commit(f"Promote {MODEL} v{version.version} to Production (#2)")
    ws.git("checkout", "-q", "-b", "compare-models")
    ws.run_example("model_comparison.py")  # registers the best model and moves it to Staging
    ws.commit("Register the best of four model types")
    ws.git("checkout", "-q", "main")
    ws.git(
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge pull request #3 from demo/compare-models",
        "compare-models",
    )
    ws._commits += 1
    staging = client.get_latest_versions(MODEL, stages=["Staging"])[0]
    client.transition_model_version_stage(
        MODEL, staging.version, "Production", archive_existing_versions=True
    )
    client.set_registered_model_alias(MODEL, "champion", staging.version)
    ws.commit(f"Promote {MODEL} v{staging.version} to Production (#4)")


def run_demo(
    output: Path, workspace: Path | None = None, say: Callable[[str], None] = print
) -> DemoResult:
    """Log the examples into a fresh workspace, give its registry a history, build the site."""
    from runreport.site.build import BuildOptions, build_site

    folder = Path(workspace) if workspace else Path(tempfile.mkdtemp(prefix="runreport-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise RunReportError(
            f"the demo workspace {folder} is not empty; give an empty or new folder"
        )
    ws = _Workspace(folder.absolute(), say)
    for name in EXAMPLES:
        ws.run_example(name)
    _history(ws)
    say("building the site")
    report = build_site(
        BuildOptions(
            runs_dirs=[ws.runs], output=Path(output), registry=ws.registry, title="runreport demo"
        )
    )
    return DemoResult(folder, Path(output).absolute() / "index.html", report.summary())
