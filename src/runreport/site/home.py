"""The home page's model: one card per experiment, and the run folders that were skipped."""

from __future__ import annotations

from collections import Counter

from runreport.formatting import format_number, format_time
from runreport.site import paths
from runreport.site.inputs import ExperimentInput, Problem
from runreport.site.pages import ExperimentCard, Frame, HomePage, Link, SkippedRow, StatusCount
from runreport.site.summary import PRIMARY_GOAL_TAG, best_run, metric_goal, primary_metric


def make_home_page(
    experiments: list[ExperimentInput], problems: list[Problem], frame: Frame
) -> HomePage:
    cards = [_card(experiment) for experiment in experiments]
    skipped = [SkippedRow(p.shown or p.path, p.reason) for p in problems]
    total = sum(len(e.runs) for e in experiments)
    return HomePage(frame, cards, skipped, format_number(total))


def _card(experiment: ExperimentInput) -> ExperimentCard:
    runs = experiment.runs
    statuses = Counter(run.info.status for run in runs)
    times = [t for run in runs for t in (run.info.start_time, run.info.end_time) if t is not None]
    metric = primary_metric(experiment.tags, runs)
    best_value, best_link = "-", None
    if metric is not None:
        goal = metric_goal(metric, experiment.tags.get(PRIMARY_GOAL_TAG))
        found = best_run(runs, metric, goal)
        if found is not None:
            run, value = found
            best_value = format_number(value)
            href = paths.href(paths.HOME, paths.run_page(run.info.run_id))
            best_link = Link(run.info.run_name or run.info.run_id, href)
    return ExperimentCard(
        name=experiment.name,
        href=paths.href(paths.HOME, paths.experiment_page(experiment.experiment_id)),
        experiment_id=experiment.experiment_id,
        run_count=format_number(len(runs)),
        last_activity=format_time(max(times)) if times else "-",
        statuses=[StatusCount(status, statuses[status]) for status in sorted(statuses)],
        primary_metric=metric,
        best_value=best_value,
        best_run=best_link,
    )
