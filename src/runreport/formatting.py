"""Human formatting of numbers, durations and times, shared by the CLI, reports and the site."""

from __future__ import annotations

import datetime as dt
import math


def format_number(value: float | int | None, digits: int = 4) -> str:
    """Significant digits and thousands separators: ``0.8123456`` -> ``0.8123``,
    ``1234567.0`` -> ``1,234,567``, NaN -> ``NaN``, None -> ``-``."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e15 or magnitude < 1e-4:
        return f"{value:.{digits - 1}e}"
    if float(value).is_integer():
        return f"{int(value):,}"
    decimals = max(digits - 1 - math.floor(math.log10(magnitude)), 0)
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_duration(milliseconds: int | float | None) -> str:
    """``192000`` -> ``3m 12s``; under a second -> ``850ms``; None -> ``-``."""
    if milliseconds is None or milliseconds < 0:
        return "-"
    if milliseconds < 1000:
        return f"{int(milliseconds)}ms"
    seconds = int(milliseconds // 1000)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0s"


def format_time(milliseconds: int | None) -> str:
    """Milliseconds since the epoch as ``2026-12-04 15:27:34 UTC``; None -> ``-``."""
    if milliseconds is None:
        return "-"
    moment = dt.datetime.fromtimestamp(milliseconds / 1000, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def iso_time(milliseconds: int | None) -> str | None:
    if milliseconds is None:
        return None
    moment = dt.datetime.fromtimestamp(milliseconds / 1000, tz=dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_duration(start_time: int | None, end_time: int | None) -> int | None:
    if start_time is None or end_time is None:
        return None
    return end_time - start_time
