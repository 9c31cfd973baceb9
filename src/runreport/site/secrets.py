"""Params and tags whose keys look like secrets are masked in the site.

A key looks like a secret when, lower-cased:

- it contains ``password``, ``passwd``, ``secret``, ``credential``, ``apikey``, ``accesskey``
  or ``privatekey`` once ``_ - . : /`` and spaces are removed (``db_password``,
  ``AWS_SECRET_ACCESS_KEY``, ``api-key``, ``GOOGLE_APPLICATION_CREDENTIALS``); or
- one of its words (split at those characters and at camelCase humps) ends in ``token``
  (``github.token``, ``hfToken``, ``authtoken``), unless the word before it names a special
  token or a count (``pad_token``, ``eos_token``, ``max_tokens`` is not a ``token`` either); or
- one of its words is ``auth`` or ``oauth`` or starts with ``authoriz``/``authentic``
  (``basic_auth``, ``Authorization``), so ``author`` is not one.

Masking happens once, right after the runs are read, so no page, data file, chart, CSV or build
key ever sees the value: it becomes :data:`MASK`. ``site: {show_secrets: [...]}`` lists key
globs (case-insensitive) shown anyway; ``show_secrets: true`` turns masking off.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass

from runreport.tracking.entities import Run

MASK = "[masked]"
_COMPACT_WORDS = (
    "password",
    "passwd",
    "secret",
    "credential",
    "apikey",
    "accesskey",
    "privatekey",
)
_NOT_SECRET_TOKEN = frozenset(
    {"pad", "bos", "eos", "unk", "mask", "cls", "sep", "start", "end", "special", "max", "min"}
    | {"num", "n", "new", "total", "per", "decoder", "image", "vision"}
)
_SEPARATORS = re.compile(r"[_\-.:/\s]+")
_HUMPS = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def looks_secret(key: str) -> bool:
    """Whether a param or tag key looks like it holds a secret (see the module docstring)."""
    lowered = key.lower()
    compact = _SEPARATORS.sub("", lowered)
    if any(word in compact for word in _COMPACT_WORDS):
        return True
    words = [w.lower() for part in _SEPARATORS.split(key) for w in _HUMPS.split(part) if w]
    for index, word in enumerate(words):
        if word.endswith("token"):
            before = words[index - 1] if index else ""
            if word != "token" or before not in _NOT_SECRET_TOKEN:
                return True
        if word in ("auth", "oauth") or word.startswith(("authoriz", "authentic")):
            return True
    return False


@dataclass(frozen=True, slots=True)
class SecretPolicy:
    """Which secret-looking keys are shown: none (default), all (``True``) or these globs."""

    show: bool | tuple[str, ...] = False

    def masks(self, key: str) -> bool:
        if self.show is True or not looks_secret(key):
            return False
        if isinstance(self.show, tuple):
            lowered = key.lower()
            return not any(fnmatch.fnmatchcase(lowered, glob.lower()) for glob in self.show)
        return True

    def mask(self, values: Mapping[str, str]) -> dict[str, str]:
        """``values`` with the value of every masked key replaced by :data:`MASK`."""
        return {key: MASK if self.masks(key) else value for key, value in values.items()}

    def mask_run(self, run: Run) -> Run:
        """A copy of ``run`` with masked params and tags (the run itself is left alone: the
        reader caches it)."""
        data = run.data
        params, tags = self.mask(data.params), self.mask(data.tags)
        if params == data.params and tags == data.tags:
            return run
        masked = dataclasses.replace(data, params=params, tags=tags)
        return Run(run.info, masked, run.source)
