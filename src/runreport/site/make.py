"""Phase four of a build: page models made and rendered (in memory) for every page.

Run pages are the bulk of a site. Each run gets a key, a hash of everything its page and data
file show (record, metric summaries, the size and time of its history, its artifact tree, its
parent, children and registered versions); a run whose key matches the last build's is reused
without reading its history or rendering anything.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runreport.exceptions import RunFormatError
from runreport.site import artifacts, paths
from runreport.site.experiment import make_experiment_page, runs_csv, runs_json, runs_script
from runreport.site.histories import history_stat
from runreport.site.home import make_home_page
from runreport.site.inputs import ExperimentInput, Problem, SiteInputs, folder_problem
from runreport.site.pages import ComparePage, Link, NotFoundPage, UnreadableRunPage
from runreport.site.render import render
from runreport.site.runpage import RunContext, make_run_page
from runreport.site.safety import to_json
from runreport.site.summary import PRIMARY_GOAL_TAG, PRIMARY_METRIC_TAG
from runreport.store.reader import skip_reason
from runreport.tracking.entities import Run

if TYPE_CHECKING:
    from runreport.site.build import Progress, SiteContext
    from runreport.site.output import SiteWriter

RUN_DATA_VARIABLE = "runreportRunData"


@dataclass(slots=True)
class Made:
    pages: int = 0
    runs_made: int = 0
    runs_reused: int = 0
    notes: list[str] = field(default_factory=list)


def make_pages(
    inputs: SiteInputs, site: SiteContext, writer: SiteWriter, progress: Progress | None
) -> Made:
    made = Made()
    _compare(site, writer, made)
    _not_found(site, writer, made)
    for experiment in inputs.experiments:
        _experiment(experiment, site, writer, made)
    _runs(inputs, site, writer, made, progress)
    _home(inputs, site, writer, made)  # last: it lists the runs that could not be shown
    if inputs.registry is not None:
        from runreport.site.registry import make_registry_pages

        made.pages += make_registry_pages(inputs, site, writer)
    return made


def _add_page(writer: SiteWriter, made: Made, path: str, template: str, page: object) -> None:
    writer.add(path, render(template, page=page))
    made.pages += 1


def _home(inputs: SiteInputs, site: SiteContext, writer: SiteWriter, made: Made) -> None:
    frame = site.frame(paths.HOME, site.options.title, "home")
    frame.breadcrumbs = []
    frame.built_at = site.built_at
    page = make_home_page(inputs.experiments, inputs.problems, frame)
    _add_page(writer, made, paths.HOME, "home.html", page)


def _compare(site: SiteContext, writer: SiteWriter, made: Made) -> None:
    from runreport.site import charts

    frame = site.frame(
        paths.COMPARE, "Compare runs", "compare", scripts=("vega.js", "site.js", "compare.js")
    )
    frame.data = {
        "charts": {
            "history": charts.template(charts.compare_history_chart("", [])),
            "parallel": charts.template(charts.parallel_coordinates_chart([])),
        },
        "runBase": "runs/",
    }
    _add_page(writer, made, paths.COMPARE, "compare.html", ComparePage(frame))


def _not_found(site: SiteContext, writer: SiteWriter, made: Made) -> None:
    from runreport.site.assets import STYLESHEET, inline_style

    frame = site.frame(paths.NOT_FOUND, "Page not found", "not-found", scripts=())
    frame.styles, frame.scripts, frame.favicon = [], [], "data:,"
    frame.inline_styles = [inline_style(site.assets.contents[STYLESHEET])]
    frame.breadcrumbs = []
    _add_page(writer, made, paths.NOT_FOUND, "404.html", NotFoundPage(frame))


def _experiment(
    experiment: ExperimentInput, site: SiteContext, writer: SiteWriter, made: Made
) -> None:
    eid = experiment.experiment_id
    page_path = paths.experiment_page(eid)
    script = runs_script(experiment)
    frame = site.frame(
        page_path,
        experiment.name,
        "experiment",
        scripts=("vega.js", "site.js", "filter.js", "experiment.js"),
        data_scripts=((paths.experiment_file(eid, "runs.js"), script),),
    )
    page = make_experiment_page(experiment, frame)
    writer.add(paths.experiment_file(eid, "runs.js"), script)
    writer.add(paths.experiment_file(eid, "runs.csv"), runs_csv(experiment))
    writer.add(paths.experiment_file(eid, "runs.json"), runs_json(experiment))
    _add_page(writer, made, page_path, "experiment.html", page)


# ---------------------------------------------------------------- run pages


def _runs(
    inputs: SiteInputs, site: SiteContext, writer: SiteWriter, made: Made, progress: Progress | None
) -> None:
    by_id = {run.info.run_id: run for run in inputs.runs}
    children: dict[str, list[Run]] = defaultdict(list)
    for run in inputs.runs:
        if run.info.parent_run_id in by_id:
            children[run.info.parent_run_id].append(run)
    total = len(by_id)
    done = 0
    registered = _registered(inputs)
    for experiment in inputs.experiments:
        goals = _goal_overrides(experiment)
        for run in experiment.runs:
            ctx = RunContext(
                run=run,
                run_dir=inputs.run_dirs[run.info.run_id],
                experiment_id=experiment.experiment_id,
                experiment_name=experiment.name,
                parent=by_id.get(run.info.parent_run_id or ""),
                children=sorted(children.get(run.info.run_id, []), key=_by_start),
                goal_override=goals,
                registered=registered,
                inline_images=site.options.self_contained,
            )
            try:
                _run(ctx, site, writer, made)
            except RunFormatError as exc:  # a file of the run changed kind since it was read
                problem = _changed_run(ctx, exc)
                inputs.problems.append(problem)
                _unreadable_run(ctx, problem, site, writer, made)
            done += 1
            if progress is not None:
                progress(done, total)


def _changed_run(ctx: RunContext, exc: RunFormatError) -> Problem:
    """The problem of a run whose page could not be made (its folder changed during the build)."""
    reason = skip_reason(exc, ctx.run_dir)
    return folder_problem(ctx.run_dir.parent.parent, str(ctx.run_dir), reason)


def _unreadable_run(
    ctx: RunContext, problem: Problem, site: SiteContext, writer: SiteWriter, made: Made
) -> None:
    """A page saying why the run is not shown, so that links to it from its experiment hold."""
    run_id = ctx.run.info.run_id
    page_path = paths.run_page(run_id)
    title = ctx.run.info.run_name or run_id
    frame = site.frame(page_path, title, "run", _run_crumbs(ctx, page_path))
    page = UnreadableRunPage(frame, run_id, problem.reason)
    _add_page(writer, made, page_path, "run_unreadable.html", page)


def _run(ctx: RunContext, site: SiteContext, writer: SiteWriter, made: Made) -> None:
    run_id = ctx.run.info.run_id
    rules = site.scan_rules(ctx.run_dir)
    entries = artifacts.scan(artifacts.artifacts_dir_of(ctx.run_dir), rules)
    key = run_key(ctx, entries)
    reused = writer.previous_run(run_id, key)
    if reused is not None:
        made.pages += 1
        writer.keep(reused)
        writer.record_run(run_id, key, reused)
        made.runs_reused += 1
        return
    page_path, data_path = paths.run_page(run_id), paths.run_data(run_id)
    frame = _run_frame(ctx, site, page_path, data_path)
    output = make_run_page(ctx, frame, entries)
    made.pages += 1
    data_script = _run_data_script(run_id, output.data)
    if site.options.self_contained:
        from runreport.site.assets import inline_script

        frame.inline_scripts.insert(0, inline_script(data_script))
    writer.add(page_path, render("run.html", page=output.page))
    writer.add(data_path, data_script)
    files = [page_path, data_path]
    artifacts_dir = artifacts.artifacts_dir_of(ctx.run_dir)
    for source, published in output.files:  # active content is published as text
        target = paths.run_artifact(run_id, published)
        writer.copy(target, artifacts_dir / source, artifacts_dir, rules.max_links)
        files.append(target)
    writer.record_run(run_id, key, files)
    made.runs_made += 1


def _run_crumbs(ctx: RunContext, page_path: str) -> list[Link]:
    """A run page's breadcrumbs below the site's: its experiment."""
    experiment = paths.href(page_path, paths.experiment_page(ctx.experiment_id))
    return [Link(ctx.experiment_name, experiment)]


def _run_frame(ctx: RunContext, site: SiteContext, page_path: str, data_path: str) -> Any:
    frame = site.frame(
        page_path,
        ctx.run.info.run_name or ctx.run.info.run_id,
        "run",
        _run_crumbs(ctx, page_path),
        scripts=("vega.js", "site.js", "run.js"),
    )
    if not site.options.self_contained:
        frame.scripts.insert(0, paths.href(page_path, data_path))
    return frame


def _run_data_script(run_id: str, data: dict[str, Any]) -> str:
    return (
        f"(window.{RUN_DATA_VARIABLE} = window.{RUN_DATA_VARIABLE} || {{}})"
        f"[{to_json(run_id)}] = {to_json(data)};\n"
    )


def run_key(ctx: RunContext, entries: list[artifacts.Entry]) -> str:
    """A hash of everything the run's page and data file show."""
    run, info = ctx.run, ctx.run.info
    summaries = {
        k: [s.latest.value, s.latest.step, s.latest.timestamp, s.min, s.max, s.count]
        for k, s in sorted(run.data.metric_summaries.items())
    }
    parts = [
        [getattr(info, name) for name in info.__slots__],
        sorted(run.data.params.items()),
        sorted(run.data.tags.items()),
        summaries,
        history_stat(ctx.run_dir),
        [entry.fingerprint() for entry in entries],
        [ctx.experiment_id, ctx.experiment_name, sorted(ctx.goal_override.items())],
        _brief(ctx.parent),
        [_brief(child) for child in ctx.children],
        _registered_key(ctx),
    ]
    text = json.dumps(parts, default=str, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _brief(run: Run | None) -> list[Any] | None:
    return None if run is None else [run.info.run_id, run.info.run_name, run.info.status]


def _registered_key(ctx: RunContext) -> Any:
    if ctx.registered is None:
        return None
    return ctx.registered(ctx.run.info.run_id, None)


def _registered(inputs: SiteInputs) -> Any:
    """A function (run id, model path) -> registered versions; path None: the run's key."""
    if inputs.registry is None:
        return None
    from runreport.site.registry import registered_versions, run_registration_key

    def registered(run_id: str, path: str | None) -> Any:
        if path is None:
            return run_registration_key(inputs.registry, run_id)  # type: ignore[arg-type]
        return registered_versions(inputs.registry, run_id, path)  # type: ignore[arg-type]

    return registered


def _goal_overrides(experiment: ExperimentInput) -> dict[str, str]:
    key, goal = experiment.tags.get(PRIMARY_METRIC_TAG), experiment.tags.get(PRIMARY_GOAL_TAG)
    return {key: goal} if key and goal in ("min", "max") else {}


def _by_start(run: Run) -> tuple[int, str]:
    return (run.info.start_time or 0, run.info.run_id)
