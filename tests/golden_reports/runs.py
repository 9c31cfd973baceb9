"""A fixed set of runs for the report goldens: fixed ids, names, times and values.

Written with the store's writer so every byte is reproducible. Used by tests/test_reports.py
and by regenerate.py beside this file.
"""

from __future__ import annotations

from pathlib import Path

from runreport.store import format as fmt
from runreport.store import writer

EXPERIMENT = "Purchase Prediction"
RUN_IDS = {
    "baseline-ridge": "01900000000070008000000000000001",
    "candidate-forest": "01900000000070008000000000000002",
    "candidate-lasso": "01900000000070008000000000000003",
}
T0 = 1_700_000_000_000


def _history(key: str, values: list[float]) -> list[tuple[str, int, int, float]]:
    return [(key, T0 + i, i, v) for i, v in enumerate(values)]


RUNS = {
    "baseline-ridge": {
        "params": {"model_type": "Ridge", "alpha": "1.0", "features": "views,cart_adds"},
        "points": [
            *_history("val_loss", [1.0, 0.7, 0.5, 0.42, 0.4]),
            ("r2_score", T0, 0, 0.8812),
            ("rmse", T0, 0, 58.9),
            ("mae", T0, 0, 42.8),
            ("baseline_only", T0, 0, 3.0),
        ],
    },
    "candidate-forest": {
        "params": {
            "model_type": "RandomForest",
            "n_estimators": "100",
            "features": "views,cart_adds",
        },
        "points": [
            *_history("val_loss", [1.1, 0.6, 0.4, 0.33, 0.31]),
            ("r2_score", T0, 0, 0.9123),
            ("rmse", T0, 0, 45.2),
            ("mae", T0, 0, 42.80001),
            ("train_time_s", T0, 0, 12.5),
            ("weird", T0, 0, float("nan")),
        ],
    },
    "candidate-lasso": {
        "params": {"model_type": "Lasso", "alpha": "0.1", "features": "views,cart_adds"},
        "points": [
            *_history("val_loss", [1.0, 0.8, 0.7, 0.66, 0.65]),
            ("r2_score", T0, 0, 0.7892),
            ("rmse", T0, 0, 63.1),
            ("mae", T0, 0, 46.5),
        ],
    },
}


def write_runs(root: Path) -> dict[str, str]:
    """Write the runs under ``root``; return run ids by name."""
    experiment = writer.get_or_create_experiment(root, EXPERIMENT)
    for offset, (name, spec) in enumerate(RUNS.items()):
        record = fmt.RunRecord(
            run_id=RUN_IDS[name],
            experiment_id=experiment.experiment_id,
            run_name=name,
            status="FINISHED",
            start_time=T0 + offset * 60_000,
            end_time=T0 + offset * 60_000 + 192_000,
            user_id="ada",
            params=dict(spec["params"]),
        )
        run_dir = writer.create_run(root, record)
        writer.MetricAppender(run_dir).append(spec["points"])
    return dict(RUN_IDS)
