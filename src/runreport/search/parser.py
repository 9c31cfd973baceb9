"""The recursive-descent parser of filters and order_by clauses, and the filter's syntax tree.

Grammar (keywords case-insensitive; AND binds tighter than OR)::

    filter     := or_expr END
    or_expr    := and_expr (OR and_expr)*
    and_expr   := atom (AND atom)*
    atom       := '(' or_expr ')' | comparison
    comparison := field comparator value
                | field [NOT] IN '(' string (',' string)* ')'
                | field IS [NOT] NULL
    order_by   := field [ASC | DESC] END

Every field, comparator and value is checked against the :class:`~.targets.Target` being
searched while parsing, so a tree that parses is valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from runreport.exceptions import FilterSyntaxError
from runreport.search.targets import RUNS, Rule, Target
from runreport.search.tokens import Token, tokenize

MAX_DEPTH = 100
_ENTITY_NOUNS = {"metric": "metrics", "param": "params", "tag": "tags"}
_DATASET_PREFIXES = ("dataset", "datasets")
_COMPARATOR_LIST = "=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL"
_REPLACEMENTS = {"<>": "!=", "==": "="}


@dataclass(frozen=True, slots=True)
class Comparison:
    """One test, e.g. ``metrics.rmse < 0.5``; ``position`` is the field's offset in the filter.

    ``value`` is a float, a str, a tuple of str (``IN``) or None (``IS NULL``).
    """

    entity: str
    key: str
    comparator: str
    value: float | str | tuple[str, ...] | None
    position: int


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


Node = Comparison | And | Or


@dataclass(frozen=True, slots=True)
class OrderKey:
    """One order_by clause: the field and the direction."""

    entity: str
    key: str
    ascending: bool = True


# Operators from loosest to tightest binding: OR joins ANDs, AND joins atoms.
_LEVELS: tuple[tuple[str, type[And | Or]], ...] = (("OR", Or), ("AND", And))


def parse_filter(text: str | None) -> Node | None:
    """Parse a run search filter into its syntax tree; None for an empty filter.

    Args:
        text: a filter such as ``"metrics.rmse < 0.5 and params.model = 'Ridge'"``.

    Raises:
        FilterSyntaxError: if the filter is not valid; ``position`` points at the bad token.
    """
    return parse(text, RUNS)


def parse_order_by(clauses: list[str] | None) -> list[OrderKey]:
    """Parse run order_by clauses such as ``["metrics.rmse DESC", "start_time"]``.

    Args:
        clauses: one field per clause, optionally followed by ASC (the default) or DESC.

    Raises:
        FilterSyntaxError: if a clause is not valid; ``text`` is that clause.
    """
    return parse_order(clauses, RUNS)


def parse(text: object, target: Target) -> Node | None:
    """Parse a filter for ``target``; None when ``text`` is None, empty or blank."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise FilterSyntaxError(f"a filter must be a string, not {type(text).__name__}", repr(text))
    if not text.strip():
        return None
    return _Parser(text, target, "filter").filter()


def parse_order(clauses: object, target: Target) -> list[OrderKey]:
    """Parse order_by clauses for ``target``; an empty list when there are none."""
    if clauses is None:
        return []
    if isinstance(clauses, str) or not isinstance(clauses, list | tuple):
        raise FilterSyntaxError(
            "order_by must be a list of clauses such as ['metrics.rmse DESC']", repr(clauses)
        )
    return [_parse_order_clause(clause, target) for clause in clauses]


def _parse_order_clause(clause: object, target: Target) -> OrderKey:
    if not isinstance(clause, str):
        raise FilterSyntaxError(
            f"an order_by clause must be a string, not {type(clause).__name__}", repr(clause)
        )
    return _Parser(clause, target, "order_by clause").order_key()


class _Parser:
    """Reads one filter or one order_by clause, token by token."""

    def __init__(self, text: str, target: Target, what: str) -> None:
        self.text = text
        self.target = target
        self.what = what
        try:
            self.tokens = tokenize(text)
        except FilterSyntaxError as error:
            raise self.error(error.reason, error.position) from None
        self.index = 0
        self.depth = 0

    # ------------------------------------------------------------------ helpers

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == "keyword" and token.value in words

    def show(self, token: Token) -> str:
        return f"the end of the {self.what}" if token.kind == "end" else repr(token.text)

    def error(self, reason: str, where: Token | int | None) -> FilterSyntaxError:
        if self.what != "filter":
            reason = f"in {self.what}: {reason}"
        position = where.position if isinstance(where, Token) else where
        return FilterSyntaxError(reason, self.text, position)

    # ------------------------------------------------------------------ filters

    def filter(self) -> Node:
        node = self.expression()
        token = self.peek()
        if token.kind == "rparen":
            raise self.error("this ')' has no matching '('", token)
        if token.kind != "end":
            raise self.error(
                f"unexpected {self.show(token)}; expected AND, OR or the end of the filter", token
            )
        return node

    def expression(self, level: int = 0) -> Node:
        """Parse ``or_expr`` (level 0) or ``and_expr`` (level 1): items joined by one keyword."""
        if level == len(_LEVELS):
            return self.atom()
        word, combine = _LEVELS[level]
        items = [self.expression(level + 1)]
        while self.at_keyword(word):
            self.advance()
            items.append(self.expression(level + 1))
        return items[0] if len(items) == 1 else combine(tuple(items))

    def atom(self) -> Node:
        opening = self.peek()
        if opening.kind != "lparen":
            return self.comparison()
        if self.depth >= MAX_DEPTH:
            raise self.error(f"parentheses nest deeper than {MAX_DEPTH} levels", opening)
        self.depth += 1
        self.advance()
        node = self.expression()
        closing = self.advance()
        if closing.kind != "rparen":
            raise self.error(
                f"expected ')' to close the '(' at position {opening.position}, "
                f"got {self.show(closing)}",
                closing,
            )
        self.depth -= 1
        return node

    def comparison(self) -> Comparison:
        field_token = self.advance()
        entity, key = self.field(field_token, self.target.filter_attributes)
        rule = self.target.rule(entity, key)
        comparator_token = self.peek()
        comparator = self.comparator()
        if comparator not in rule.comparators:
            raise self.error(
                f"comparator {comparator!r} is not allowed for {_subject(entity, key)}; "
                f"use one of {', '.join(rule.comparators)}",
                comparator_token,
            )
        value = self.value(comparator, rule, _subject(entity, key))
        return Comparison(entity, key, comparator, value, field_token.position)

    def comparator(self) -> str:
        token = self.advance()
        if token.kind == "comparator":
            if token.text in _REPLACEMENTS:
                raise self.error(
                    f"comparator {token.text!r} is not supported; use "
                    f"{_REPLACEMENTS[token.text]!r}",
                    token,
                )
            return token.text
        if token.kind == "keyword" and token.value in ("LIKE", "ILIKE", "IN"):
            return str(token.value)
        if token.kind == "keyword" and token.value == "NOT":
            self.expect_keyword("IN", "NOT")
            return "NOT IN"
        if token.kind == "keyword" and token.value == "IS":
            negated = self.at_keyword("NOT")
            if negated:
                self.advance()
            self.expect_keyword("NULL", "IS NOT" if negated else "IS")
            return "IS NOT NULL" if negated else "IS NULL"
        hint = " (quote keys that contain spaces: metrics.`my metric`)"
        raise self.error(
            f"expected a comparator ({_COMPARATOR_LIST}) after the field, got "
            f"{self.show(token)}{hint if token.kind == 'ident' else ''}",
            token,
        )

    def expect_keyword(self, word: str, after: str) -> None:
        token = self.advance()
        if not (token.kind == "keyword" and token.value == word):
            raise self.error(f"expected {word} after {after}, got {self.show(token)}", token)

    def value(
        self, comparator: str, rule: Rule, subject: str
    ) -> float | str | tuple[str, ...] | None:
        if comparator in ("IS NULL", "IS NOT NULL"):
            return None
        if comparator in ("IN", "NOT IN"):
            return self.string_list(comparator)
        token = self.advance()
        if rule.kind == "number" and token.kind == "number":
            return float(token.value)
        if rule.kind == "string" and token.kind == "string":
            return str(token.value)
        example = "a number such as 0.5" if rule.kind == "number" else "a quoted string such as 'x'"
        raise self.error(f"expected {example} for {subject}, got {self.show(token)}", token)

    def string_list(self, comparator: str) -> tuple[str, ...]:
        opening = self.advance()
        if opening.kind != "lparen":
            raise self.error(
                f"expected '(' after {comparator}, as in {comparator} ('a', 'b'), "
                f"got {self.show(opening)}",
                opening,
            )
        values = [self.list_item()]
        while self.peek().kind == "comma":
            self.advance()
            if self.peek().kind == "rparen":  # a trailing comma, as MLflow allows
                break
            values.append(self.list_item())
        closing = self.advance()
        if closing.kind != "rparen":
            raise self.error(f"expected ',' or ')' in the list, got {self.show(closing)}", closing)
        return tuple(values)

    def list_item(self) -> str:
        token = self.advance()
        if token.kind != "string":
            raise self.error(f"expected a quoted string in the list, got {self.show(token)}", token)
        return str(token.value)

    # ------------------------------------------------------------------ fields

    def field(self, token: Token, attributes: Mapping[str, str]) -> tuple[str, str]:
        """Return the entity and canonical key that ``token`` names."""
        if token.kind == "string" and token.text.startswith('"'):
            prefix, key = None, str(token.value)
        elif token.kind == "ident":
            prefix, key = token.value
        elif token.kind == "keyword" and token.value == "NOT":
            raise self.error("NOT is only allowed in NOT IN and IS NOT NULL", token)
        else:
            raise self.error(
                f"expected a field ({self.target.key_hint} or an attribute such as "
                f"{next(iter(attributes))}), got {self.show(token)}",
                token,
            )
        entity = self.entity(prefix, token)
        if entity != "attribute":
            if not key:
                raise self.error(f"the key after {prefix!r} is empty", token)
            return entity, key
        if key not in attributes:
            raise self.error(
                f"attribute {key!r} is not valid for {self.target.noun}; use one of "
                f"{', '.join(sorted(set(attributes.values())))}, or {self.target.key_hint}",
                token,
            )
        return entity, attributes[key]

    def entity(self, prefix: str | None, token: Token) -> str:
        if prefix is None:
            return "attribute"
        if prefix in _DATASET_PREFIXES:
            raise self.error(
                f"{prefix!r} fields (dataset.name, dataset.digest, dataset.context) are not "
                "supported; runreport does not record dataset inputs",
                token,
            )
        entity = self.target.prefixes.get(prefix)
        if entity is None:
            raise self.error(
                f"prefix {prefix!r} is not valid for {self.target.noun}; use one of "
                f"{', '.join(self.target.prefixes)}",
                token,
            )
        return entity

    # ------------------------------------------------------------------ order_by

    def order_key(self) -> OrderKey:
        field_token = self.advance()
        entity, key = self.field(field_token, self.target.order_attributes)
        if entity not in self.target.order_entities:
            raise self.error(
                f"{self.target.noun} can only be ordered by the attributes "
                f"{', '.join(sorted(set(self.target.order_attributes.values())))}, "
                f"not by {entity}s",
                field_token,
            )
        ascending = True
        if self.at_keyword("ASC", "DESC"):
            ascending = self.advance().value == "ASC"
        end = self.advance()
        if end.kind != "end":
            raise self.error(f"expected ASC, DESC or the end, got {self.show(end)}", end)
        return OrderKey(entity, key, ascending)


def _subject(entity: str, key: str) -> str:
    if entity == "attribute":
        return f"attribute {key!r}"
    return _ENTITY_NOUNS[entity]
