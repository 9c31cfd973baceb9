"""A run filter in plain words, for the site: ``metric r2 greater than 0.8 and ...``."""

from __future__ import annotations

from runreport.search.parser import And, Comparison, Node, parse_filter

_PHRASES = {
    "=": "equals",
    "!=": "does not equal",
    "<": "less than",
    "<=": "at most",
    ">": "greater than",
    ">=": "at least",
    "LIKE": "matches",
    "ILIKE": "matches (ignoring case)",
    "IN": "is one of",
    "NOT IN": "is none of",
    "IS NULL": "is not set",
    "IS NOT NULL": "is set",
}


def describe_filter(text: str | None) -> str:
    """Describe a run filter in plain words; ``"all runs"`` when the filter is empty.

    Args:
        text: a run filter such as ``"metrics.r2_score > 0.8 and params.model_type = 'Ridge'"``.

    Raises:
        FilterSyntaxError: if the filter is not valid.
    """
    node = parse_filter(text)
    return "all runs" if node is None else _describe(node)


def _describe(node: Node) -> str:
    if isinstance(node, Comparison):
        return _describe_comparison(node)
    joiner = " and " if isinstance(node, And) else " or "
    return joiner.join(_describe_part(item) for item in node.items)


def _describe_part(node: Node) -> str:
    text = _describe(node)
    return text if isinstance(node, Comparison) else f"({text})"


def _describe_comparison(node: Comparison) -> str:
    key = node.key if node.key.isidentifier() else f"`{node.key}`"
    subject = key if node.entity == "attribute" else f"{node.entity} {key}"
    words = [subject, _PHRASES[node.comparator]]
    if node.value is not None:
        words.append(_describe_value(node.value))
    return " ".join(words)


def _describe_value(value: float | str | tuple[str, ...]) -> str:
    if isinstance(value, tuple):
        return ", ".join(_quote(item) for item in value)
    if isinstance(value, str):
        return _quote(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
