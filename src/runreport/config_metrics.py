"""The ``metrics:`` and ``experiments:`` sections of the configuration.

```yaml
metrics:
  r2_score: {direction: higher, display: "R²", format: ".3f", noise: 0.005}
  rmse: {direction: lower, noise: "2%"}     # relative noise threshold
  "*_loss": {direction: lower}              # globs match several metrics
experiments:
  Purchase Prediction: {primary_metric: r2_score}
```

``direction`` is ``higher`` or ``lower`` (is better); ``noise`` is an absolute number or a
percentage of the baseline's value: a change within it reads "unchanged".
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from runreport.reports.semantics import MetricSemantics, default_direction

_METRIC_KEYS = ("direction", "display", "format", "noise")
_DIRECTIONS = {"higher": True, "lower": False}


@dataclass(frozen=True)
class MetricsConfig:
    """Per-metric semantics by exact name or glob, in file order."""

    rules: tuple[tuple[str, MetricSemantics], ...] = ()

    def semantics(self, key: str) -> MetricSemantics:
        for pattern, rule in self.rules:
            if pattern == key or fnmatch.fnmatchcase(key, pattern):
                return MetricSemantics(
                    key,
                    rule.higher_is_better
                    if rule.higher_is_better is not None
                    else default_direction(key),
                    rule.display_name if pattern == key else None,
                    rule.number_format,
                    rule.noise_abs,
                    rule.noise_rel,
                )
        return MetricSemantics(key, default_direction(key))


@dataclass(frozen=True)
class ExperimentsConfig:
    """Per-experiment settings by experiment name."""

    primary_metrics: tuple[tuple[str, str], ...] = ()


def metrics_section(value: Any, origin: Any) -> MetricsConfig:
    if value is None:
        return MetricsConfig()
    if not isinstance(value, dict):
        raise origin.error(value, None, "metrics", "'metrics' maps metric names to settings")
    rules = []
    for name, spec in value.items():
        path = f"metrics.{name}"
        if not isinstance(spec, dict):
            raise origin.error(value, name, path, f"settings of metric {name!r} must be a mapping")
        for key in spec:
            if key not in _METRIC_KEYS:
                raise origin.error(
                    spec,
                    key,
                    path,
                    f"unknown key {key!r}; expected one of {', '.join(_METRIC_KEYS)}",
                )
        rules.append((str(name), _semantics(str(name), spec, origin, path)))
    return MetricsConfig(tuple(rules))


def _semantics(name: str, spec: dict[str, Any], origin: Any, path: str) -> MetricSemantics:
    direction = spec.get("direction")
    if direction is not None and direction not in _DIRECTIONS:
        raise origin.error(
            spec,
            "direction",
            path,
            f"direction {direction!r} is not valid; expected higher or lower",
        )
    number_format = spec.get("format")
    if number_format is not None:
        try:
            format(1.5, str(number_format))
        except (ValueError, TypeError):
            raise origin.error(
                spec,
                "format",
                path,
                f"format {number_format!r} is not a Python format spec such as '.3f'",
            ) from None
    noise_abs, noise_rel = _noise(spec.get("noise", 0), spec, origin, path)
    display = spec.get("display")
    return MetricSemantics(
        name,
        _DIRECTIONS.get(direction) if direction is not None else None,
        str(display) if display is not None else None,
        str(number_format) if number_format is not None else None,
        noise_abs,
        noise_rel,
    )


def _noise(value: Any, spec: Any, origin: Any, path: str) -> tuple[float, float]:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            relative = float(value.strip()[:-1]) / 100
        except ValueError:
            relative = -1.0
        if relative >= 0:
            return 0.0, relative
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value), 0.0
    raise origin.error(
        spec,
        "noise",
        path,
        f"noise {value!r} is not valid; expected a number >= 0 or a percentage like '2%'",
    )


def experiments_section(value: Any, origin: Any) -> ExperimentsConfig:
    if value is None:
        return ExperimentsConfig()
    if not isinstance(value, dict):
        raise origin.error(
            value, None, "experiments", "'experiments' maps experiment names to settings"
        )
    primaries = []
    for name, spec in value.items():
        path = f"experiments.{name}"
        if not isinstance(spec, dict):
            raise origin.error(
                value, name, path, f"settings of experiment {name!r} must be a mapping"
            )
        for key in spec:
            if key != "primary_metric":
                raise origin.error(spec, key, path, f"unknown key {key!r}; expected primary_metric")
        metric = spec.get("primary_metric")
        if not isinstance(metric, str) or not metric:
            raise origin.error(spec, "primary_metric", path, "primary_metric must name a metric")
        primaries.append((str(name), metric))
    return ExperimentsConfig(tuple(primaries))
