"""The run page's model, and the run's data file (summary and downsampled histories).

The data file (``runs/<id>.js``) is shared by the run page (history charts) and the compare
page, which loads it by run id; so a compare link keeps working after any rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runreport.formatting import format_duration, format_number, format_time, run_duration
from runreport.site import artifacts, charts, paths
from runreport.site.histories import History, read_histories
from runreport.site.pages import Field, Frame, Link, MetricRow, RunPage
from runreport.site.safety import finite, github_commit_url, render_markdown, safe_url
from runreport.site.summary import metric_goal
from runreport.store import format as fmt
from runreport.tracking import context as tags
from runreport.tracking.entities import Run

HIDDEN_TAGS = frozenset({"mlflow.log-model.history", fmt.TAG_DESCRIPTION})


@dataclass(frozen=True, slots=True)
class RunContext:
    """What a run page needs besides the run itself."""

    run: Run
    run_dir: Path
    experiment_id: str
    experiment_name: str
    parent: Run | None
    children: list[Run]
    goal_override: dict[str, str]
    # (run id, model path) -> its registered versions; path None -> the run's registry key
    registered: Callable[[str, str | None], Any] | None = None
    inline_images: bool = False


@dataclass(slots=True)
class RunOutput:
    page: RunPage
    data: dict[str, Any]  # the run's data file
    files: list[tuple[str, str]]  # artifacts to publish: (path in the run, path in the site)


def make_run_page(ctx: RunContext, frame: Frame, entries: list[artifacts.Entry]) -> RunOutput:
    """The page model and data file of one run (reads its history and artifact previews)."""
    from runreport.site.modelcard import model_card

    run, page_path = ctx.run, paths.run_page(ctx.run.info.run_id)
    histories = read_histories(ctx.run_dir, _summary_counts(run))
    published = frozenset(artifacts.published_files(entries))
    builder = artifacts.TreeBuilder(
        artifacts.artifacts_dir_of(ctx.run_dir),
        run.info.run_id,
        page_path,
        lambda folder, rel: model_card(folder, rel, run.info.run_id, ctx.registered, published),
        inline_images=ctx.inline_images,
    )
    nodes = builder.nodes(entries)
    page = RunPage(
        frame=frame,
        run_id=run.info.run_id,
        name=run.info.run_name or run.info.run_id,
        status=run.info.status,
        fields=_fields(ctx),
        parent=_link(ctx.parent, page_path),
        children=[link for child in ctx.children if (link := _link(child, page_path))],
        description=render_markdown(run.info.description),
        params=[Field(k, v) for k, v in sorted(run.data.params.items())],
        metrics=_metric_rows(run, histories),
        tags=[
            Field(k, v, safe_url(v))
            for k, v in sorted(run.data.tags.items())
            if k not in HIDDEN_TAGS
        ],
        artifacts=nodes,
        models=builder.models,
        data_script=paths.href(page_path, paths.run_data(run.info.run_id)),
        compare_href=paths.href(page_path, paths.COMPARE) + f"?runs={run.info.run_id}",
    )
    frame.data = {
        "run": run.info.run_id,
        "charts": {
            mode: charts.template(charts.metric_history_chart("", [], mode))
            for mode in ("step", "time")
        },
        "metrics": [
            {"key": row.key, "chart": row.chart_id} for row in page.metrics if row.chart_id
        ],
    }
    return RunOutput(page, run_data(ctx, histories), artifacts.published_copies(entries))


def run_data(ctx: RunContext, histories: dict[str, History]) -> dict[str, Any]:
    """The run's data file: meta, params, metric summaries and downsampled histories."""
    run = ctx.run
    info = run.info
    return {
        "id": info.run_id,
        "name": info.run_name,
        "status": info.status,
        "experiment": {"id": ctx.experiment_id, "name": ctx.experiment_name},
        "start": info.start_time,
        "end": info.end_time,
        "user": info.user_id,
        "params": dict(sorted(run.data.params.items())),
        "metrics": {
            key: {
                "last": finite(s.latest.value),
                "step": s.latest.step,
                "min": finite(s.min),
                "max": finite(s.max),
                "goal": metric_goal(key, ctx.goal_override.get(key)),
            }
            for key, s in sorted(run.data.metric_summaries.items())
        },
        "history": {key: history.to_data() for key, history in histories.items()},
    }


def _summary_counts(run: Run) -> dict[str, int]:
    """Points per metric as the run's summary counts them: the history shown stops there."""
    return {key: s.count for key, s in run.data.metric_summaries.items()}


def _fields(ctx: RunContext) -> list[Field]:
    info, run_tags = ctx.run.info, ctx.run.data.tags
    commit = run_tags.get(tags.TAG_GIT_COMMIT)
    remote = run_tags.get(tags.TAG_GIT_REPO_URL) or run_tags.get(tags.TAG_GIT_REPO_URL_LEGACY)
    fields = [
        Field("Run ID", info.run_id, code=True),
        Field(
            "Experiment",
            ctx.experiment_name,
            paths.href(paths.run_page(info.run_id), paths.experiment_page(ctx.experiment_id)),
        ),
        Field("Started", format_time(info.start_time)),
        Field("Ended", format_time(info.end_time)),
        Field("Duration", format_duration(run_duration(info.start_time, info.end_time))),
        Field("User", info.user_id or "-"),
        Field("Source", run_tags.get(tags.TAG_SOURCE_NAME) or "-", code=True),
    ]
    if commit:
        dirty = " (uncommitted changes)" if run_tags.get(tags.TAG_GIT_DIRTY) == "true" else ""
        fields.append(
            Field("Git commit", commit[:12] + dirty, github_commit_url(remote, commit), True)
        )
    if run_tags.get(tags.TAG_GIT_BRANCH):
        fields.append(Field("Branch", run_tags[tags.TAG_GIT_BRANCH], code=True))
    return fields


def _link(run: Run | None, page_path: str) -> Link | None:
    if run is None:
        return None
    label = run.info.run_name or run.info.run_id
    return Link(label, paths.href(page_path, paths.run_page(run.info.run_id)))


def _metric_rows(run: Run, histories: dict[str, History]) -> list[MetricRow]:
    rows = []
    for index, (key, s) in enumerate(sorted(run.data.metric_summaries.items())):
        history = histories.get(key)
        chart = f"history-{index}" if history is not None and history.drawable() else None
        rows.append(
            MetricRow(
                key=key,
                last=format_number(s.latest.value),
                step=format_number(s.latest.step),
                minimum=format_number(s.min),
                maximum=format_number(s.max),
                count=format_number(s.count),
                chart_id=chart,
            )
        )
    return rows
