"""What a metric means for a comparison: which direction is better, its name, format and noise.

Defaults come from the metric's name (``loss``, ``error``, ``rmse``, ``mae``, ``mse`` are
lower-is-better; ``accuracy``, ``r2``, ``f1``, ``auc``, ``precision``, ``recall`` are
higher-is-better); the ``metrics:`` section of the config overrides them per metric.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from runreport.formatting import format_number

LOWER_IS_BETTER = ("loss", "error", "rmse", "mae", "mse", "mape", "perplexity", "latency")
HIGHER_IS_BETTER = (
    "accuracy",
    "acc",
    "r2",
    "f1",
    "auc",
    "precision",
    "recall",
    "score",
    "map",
    "ndcg",
)

BETTER, WORSE, UNCHANGED, UNKNOWN = "better", "worse", "unchanged", "n/a"


def _words(key: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", key.lower()) if w]


def default_direction(key: str) -> bool | None:
    """True when higher is better, False when lower is better, None when the name says neither."""
    words = _words(key)
    text = key.lower()
    if any(w in LOWER_IS_BETTER for w in words) or any(t in text for t in ("loss", "error")):
        return False
    if any(w in HIGHER_IS_BETTER for w in words) or any(t in text for t in ("accuracy", "r2_")):
        return True
    return None


@dataclass(frozen=True, slots=True)
class MetricSemantics:
    """How one metric is compared and shown.

    ``noise_abs`` / ``noise_rel``: a change no larger than either threshold counts as unchanged
    (relative to the baseline's magnitude for ``noise_rel``).
    """

    key: str
    higher_is_better: bool | None = None
    display_name: str | None = None
    number_format: str | None = None  # a format spec such as ".3f" or ".1%"
    noise_abs: float = 0.0
    noise_rel: float = 0.0

    @property
    def label(self) -> str:
        return self.display_name or self.key

    def show(self, value: float | None) -> str:
        if value is None:
            return "-"
        if self.number_format and math.isfinite(value):
            return format(value, self.number_format)
        return format_number(value)

    def judge(self, baseline: float | None, candidate: float | None) -> str:
        """``better``, ``worse``, ``unchanged`` or ``n/a`` for a candidate against the baseline."""
        if baseline is None or candidate is None or math.isnan(baseline) or math.isnan(candidate):
            return UNKNOWN
        delta = candidate - baseline
        if not math.isfinite(delta):
            delta = math.copysign(math.inf, delta) if delta == delta else 0.0
        threshold = max(self.noise_abs, self.noise_rel * abs(baseline))
        if delta == 0 or abs(delta) <= threshold:
            return UNCHANGED
        if self.higher_is_better is None:
            return UNKNOWN
        return BETTER if (delta > 0) == self.higher_is_better else WORSE


def semantics_for(key: str, overrides: dict[str, MetricSemantics] | None = None) -> MetricSemantics:
    """The configured semantics of ``key``, else the defaults read from its name."""
    if overrides and key in overrides:
        return overrides[key]
    return MetricSemantics(key, default_direction(key))
