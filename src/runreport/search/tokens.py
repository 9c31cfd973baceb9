"""The tokenizer of search filters and order_by clauses: text in, tokens with their offsets out.

Token kinds: ``ident`` (``metrics.rmse``, ``params.`a b```, ``tags."k"``, ``status``; value
``(prefix, key)``; like MLflow, a key after the dot may be in backticks, double or single quotes),
``string`` (``'x'`` or ``"x"``; value the unescaped text), ``number`` (value a float),
``comparator`` (``=``, ``!=``, ``<``, ...), ``keyword`` (value upper-cased), ``lparen``,
``rparen``, ``comma`` and a final ``end``. Regexes here match one token at one offset, never a
clause.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from runreport.exceptions import FilterSyntaxError

KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL", "ASC", "DESC"})
# Longest first, so "<=" wins over "<". "<>" and "==" are read so the parser can reject them
# with a message that says what to write instead.
COMPARATORS = ("<=", ">=", "!=", "<>", "==", "=", "<", ">")
QUOTES = "'\""
BACKTICK = "`"

_PUNCTUATION = {"(": "lparen", ")": "rparen", ",": "comma"}
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NUMBER_TAIL = re.compile(r"[\w.]*")
_WORD = re.compile(r"[^\W\d]\w*")
_BARE_KEY = re.compile(r"[\w.]+")


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, the text as written, its 0-based offset and its parsed value."""

    kind: str
    text: str
    position: int
    value: Any = None


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``end`` token at ``len(text)``.

    Raises:
        FilterSyntaxError: on a character no token starts with, an unclosed quote, a malformed
            or out-of-range number, or a ``prefix.`` with no key.
    """
    tokens = []
    position = _skip_space(text, 0)
    while position < len(text):
        token = _next_token(text, position)
        tokens.append(token)
        position = _skip_space(text, position + len(token.text))
    tokens.append(Token("end", "", len(text)))
    return tokens


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _next_token(text: str, position: int) -> Token:
    char = text[position]
    if char in _PUNCTUATION:
        return Token(_PUNCTUATION[char], char, position)
    if char in QUOTES:
        value, end = read_quoted(text, position)
        return Token("string", text[position:end], position, value)
    if char in "<>=!":
        return _comparator(text, position)
    if _NUMBER.match(text, position):
        return _number(text, position)
    if char == BACKTICK or _WORD.match(text, position):
        return _identifier(text, position)
    raise FilterSyntaxError(
        f"unexpected character {char!r}; a filter is made of fields (metrics.rmse), comparators "
        "(=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS), quoted strings, numbers, AND, OR and "
        "parentheses",
        text,
        position,
    )


def read_quoted(text: str, start: int) -> tuple[str, int]:
    """Read the quoted text opening at ``start``; return its unescaped value and end offset.

    A doubled quote (``'it''s'``) or a backslash before the quote or a backslash (``'it\\'s'``)
    stands for that character; every other backslash is kept as written.
    """
    quote = text[start]
    chars = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and text[index + 1 : index + 2] in (quote, "\\"):
            chars.append(text[index + 1])
            index += 2
        elif char != quote:
            chars.append(char)
            index += 1
        elif text.startswith(quote, index + 1):
            chars.append(quote)
            index += 2
        else:
            return "".join(chars), index + 1
    raise FilterSyntaxError(
        f"the {quote} opened here is never closed; add a closing {quote}", text, start
    )


def _comparator(text: str, position: int) -> Token:
    for comparator in COMPARATORS:
        if text.startswith(comparator, position):
            return Token("comparator", comparator, position, comparator)
    raise FilterSyntaxError("unexpected character '!'; did you mean '!='?", text, position)


def _number(text: str, position: int) -> Token:
    match = _NUMBER.match(text, position)
    assert match is not None  # checked by the caller
    tail_end = _NUMBER_TAIL.match(text, match.end())
    end = tail_end.end() if tail_end else match.end()
    if end > match.end():
        raise FilterSyntaxError(
            f"{text[position:end]!r} is not a valid number; write numbers like 3, -0.5 or 1e-3",
            text,
            position,
        )
    value = float(match.group())
    if not math.isfinite(value):
        raise FilterSyntaxError(
            f"number {match.group()!r} is out of range; use a finite number", text, position
        )
    return Token("number", match.group(), position, value)


def _identifier(text: str, start: int) -> Token:
    if text[start] == BACKTICK:
        first, end = read_quoted(text, start)
    else:
        first, end = _word(text, start)
    if text.startswith(".", end):
        key, end = _key(text, end + 1)
        return Token("ident", text[start:end], start, (first, key))
    if text[start] != BACKTICK and first.upper() in KEYWORDS:
        return Token("keyword", first, start, first.upper())
    return Token("ident", text[start:end], start, (None, first))


def _word(text: str, start: int) -> tuple[str, int]:
    match = _WORD.match(text, start)
    assert match is not None  # checked by the caller
    return match.group(), match.end()


def _key(text: str, start: int) -> tuple[str, int]:
    if text[start : start + 1] in (BACKTICK, '"', "'"):
        return read_quoted(text, start)
    match = _BARE_KEY.match(text, start)
    if match is None:
        raise FilterSyntaxError(
            "a key must follow the '.'; write e.g. metrics.rmse or metrics.`my metric`",
            text,
            start,
        )
    return match.group(), match.end()
