"""Promise 3 of issue 8: hostile run folders never crash or hang a reader, and each is reported.

A deterministic, seeded fuzzer writes a corpus of more than 1,000 malformed run folders (runreport's
format, MLflow's ``mlruns/`` and ``mlflow.db``): truncated and invalid JSON and YAML, wrong types in
every field, huge values, binary garbage, deep nesting, invalid UTF-8, duplicate keys, missing
files, future format versions, symlinks, folders, named pipes, sockets and sparse giant files where
files belong. Bad folders are mixed with good runs in batches, and every entry point reads each
batch under a timeout: ``reader.scan_runs``, ``Client().search_runs`` with a filter, ``get_run``,
``get_metric_history``, the site build and ``runreport runs list``.

For every batch: nothing raises anything but a RunReportError, nothing hangs, every good run is
there with its data, every folder is either read or reported (``SkippedRun`` and the build's
problems name its folder and a short reason), what the format spec (``docs/format.md``) calls
invalid is reported, and nothing outside the runs folder is read into the site. When a batch
fails, its cases are checked one by one so that the failure names the case.
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from runreport.cli import main
from runreport.exceptions import RunReportError
from runreport.site.build import BuildOptions, build_site
from runreport.store import format as fmt
from runreport.store import reader
from runreport.tracking.client import Client
from tests.adversarial.conftest import Hung, guarded

SEED = 20_008
T0 = 1_796_000_000_000
TIMEOUT = 30.0  # seconds for a whole-batch step (scan, search, build, CLI)
ITEM_TIMEOUT = 10.0  # seconds for one get_run / get_metric_history
BATCH = 150
SECRET = "TOPSECRET-do-not-publish"
FILTER = "params.kind = 'good' and metrics.acc > 0.5"

RUN, SKIP, ANY, ABSENT = "run", "skip", "any", "absent"

# ---------------------------------------------------------------- running under a timeout


# ---------------------------------------------------------------- writing folders


@dataclass
class Ctx:
    """Where one hostile case writes, and what it may point at."""

    root: Path
    experiment_id: str
    run_id: str
    outside: Path  # a folder outside the runs folder, holding SECRET
    short: Path  # a short folder on the same filesystem (AF_UNIX socket paths are short)

    @property
    def run_dir(self) -> Path:
        return self.root / self.experiment_id / self.run_id


Special = Callable[[Path, Ctx], None]
Content = bytes | Special | None


def fifo(path: Path, ctx: Ctx) -> None:
    os.mkfifo(path)


def directory(path: Path, ctx: Ctx) -> None:
    path.mkdir()


def empty(path: Path, ctx: Ctx) -> None:
    path.write_bytes(b"")


def unix_socket(path: Path, ctx: Ctx) -> None:
    short = ctx.short / f"s{random.Random(str(path)).randrange(10**9)}"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(short))
    os.rename(short, path)


def sparse(size: int) -> Special:
    def make(path: Path, ctx: Ctx) -> None:
        with open(path, "wb") as handle:
            handle.truncate(size)

    make.__name__ = f"sparse-{size}"
    return make


def link_to(target: str | Callable[[Path, Ctx], str]) -> Special:
    """A symlink at the path, to ``target`` (or what ``target(path, ctx)`` returns)."""

    def make(path: Path, ctx: Ctx) -> None:
        os.symlink(target(path, ctx) if callable(target) else target, path)

    return make


def link_inside(content: bytes) -> Special:
    """A symlink to a copy of ``content`` in the same run folder."""

    def make(path: Path, ctx: Ctx) -> None:
        real = path.with_name("real-" + path.name)
        real.write_bytes(content)
        os.symlink(real.name, path)

    return make


def link_outside(path: Path, ctx: Ctx) -> str:
    return str(ctx.outside / "secret.json")


def hard_link_outside(content: bytes) -> Special:
    def make(path: Path, ctx: Ctx) -> None:
        source = ctx.outside / f"hard-{path.parent.name}-{path.name}"
        source.write_bytes(content)
        os.link(source, path)

    return make


def write_files(run_dir: Path, files: dict[str, Content], ctx: Ctx) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = run_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            continue
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            content(path, ctx)


def dump(data: Any) -> bytes:
    """JSON as a record file (ASCII escapes, so that lone surrogates can be written)."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode()


def base_record(ctx: Ctx) -> dict[str, Any]:
    return {
        "description": None,
        "end_time": T0 + 10,
        "experiment_id": ctx.experiment_id,
        "format_version": 1,
        "lifecycle_stage": "active",
        "params": {"kind": "hostile"},
        "parent_run_id": None,
        "run_id": ctx.run_id,
        "run_name": "hostile",
        "start_time": T0,
        "status": "FINISHED",
        "tags": {"team": "adversarial"},
        "user_id": "ada",
    }


BASE_POINTS = [(T0 + 1, 0, 0.25), (T0 + 2, 1, 0.5)]


def history(points: Iterable[tuple[int, int, float]], key: str = "acc") -> bytes:
    return "".join(fmt.format_metric_line(key, t, s, v) for t, s, v in points).encode()


def summary_of(data: bytes, covered: int | None = None) -> dict[str, Any]:
    summary = fmt.Summary()
    summary.covered_bytes = summary.add_bytes(data) if covered is None else covered
    return json.loads(summary.to_json())


def base_files(ctx: Ctx, record: dict[str, Any] | None = None) -> dict[str, Content]:
    data = history(BASE_POINTS)
    return {
        fmt.RUN_FILE: dump(record if record is not None else base_record(ctx)),
        fmt.METRICS_FILE: data,
        fmt.SUMMARY_FILE: dump(summary_of(data)),
        f"{fmt.ARTIFACTS_DIR}/notes.txt": b"artifact\n",
    }


# ---------------------------------------------------------------- the corpus


@dataclass
class Case:
    """One hostile folder: how to write it and what the spec says a reader must do with it."""

    family: str
    name: str
    make: Callable[[Ctx], None]
    expect: str  # RUN (read), SKIP (reported), ANY (either, consistently) or ABSENT (no run)
    reason: str = ""  # a fragment the reported reason must hold
    level: str = "run"  # "run", or "experiment": the case is an experiment folder
    history: list[tuple[int, int, float]] | None = None  # the points of 'acc' a reader must give

    def __str__(self) -> str:
        return f"{self.family}/{self.name}"


def files_case(
    family: str,
    name: str,
    change: Callable[[Ctx, dict[str, Content]], None],
    expect: str,
    reason: str = "",
    points: list[tuple[int, int, float]] | None = None,
) -> Case:
    def make(ctx: Ctx) -> None:
        files = base_files(ctx)
        change(ctx, files)
        write_files(ctx.run_dir, files, ctx)

    return Case(family, name, make, expect, reason, history=points)


def record_case(
    family: str, name: str, change: Callable[[Ctx, dict[str, Any]], None], expect: str, reason=""
) -> Case:
    def edit(ctx: Ctx, files: dict[str, Content]) -> None:
        record = base_record(ctx)
        change(ctx, record)
        files[fmt.RUN_FILE] = dump(record)

    return files_case(family, name, edit, expect, reason)


def bytes_case(
    family: str, name: str, file: str, data: Callable[[Ctx], bytes], expect: str
) -> Case:
    def edit(ctx: Ctx, files: dict[str, Content]) -> None:
        files[file] = data(ctx)

    return files_case(family, name, edit, expect)


def _text_ok(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _time_ok(value: object) -> bool:
    return value is None or (type(value) is int and 0 <= value <= fmt.MAX_TIME_MS)


def _map_ok(value: object) -> bool:
    return isinstance(value, dict) and all(_text_ok(k) and _text_ok(v) for k, v in value.items())


MISSING = object()

# What docs/format.md allows in each field of run.json (MISSING: the key is left out).
RUN_FIELDS: dict[str, Callable[[object, Ctx], bool]] = {
    "format_version": lambda v, c: type(v) is int and v == fmt.FORMAT_VERSION,
    "run_id": lambda v, c: v == c.run_id,
    "experiment_id": lambda v, c: v == c.experiment_id,
    "run_name": lambda v, c: _text_ok(v),
    "status": lambda v, c: v in fmt.RUN_STATUSES,
    "start_time": lambda v, c: v is MISSING or _time_ok(v),
    "end_time": lambda v, c: v is MISSING or _time_ok(v),
    "user_id": lambda v, c: _text_ok(v),
    "parent_run_id": lambda v, c: v is MISSING or v is None or _text_ok(v),
    "lifecycle_stage": lambda v, c: v in fmt.LIFECYCLE_STAGES,
    "description": lambda v, c: v is MISSING or v is None or _text_ok(v),
    "params": lambda v, c: v is MISSING or _map_ok(v),
    "tags": lambda v, c: v is MISSING or _map_ok(v),
}

WRONG_VALUES: list[tuple[str, object]] = [
    ("missing", MISSING),
    ("null", None),
    ("true", True),
    ("zero", 0),
    ("minus-one", -1),
    ("float", 1.5),
    ("max-float", 1e308),
    ("min-float", -1e308),
    ("int-1e30", 10**30),
    ("int-1e400", 10**400),
    ("empty-text", ""),
    ("text", "x"),
    ("FINISHED", "FINISHED"),
    ("active", "active"),
    ("empty-list", []),
    ("empty-object", {}),
    ("list", [1, "a"]),
    ("object-of-int", {"a": 1}),
    ("object-of-text", {"a": "b"}),
    ("nul-text", "a\x00b"),
    ("lone-surrogate", "\ud800"),
    ("1MB-text", "x" * 1_000_000),
]


def _set_field(name: str, value: object) -> Callable[[Ctx, dict[str, Any]], None]:
    def change(ctx: Ctx, record: dict[str, Any]) -> None:
        if value is MISSING:
            del record[name]
        else:
            record[name] = value

    return change


def _field_expect(name: str, value: object, allowed: Callable[[object, Ctx], bool]) -> str:
    if name in ("run_id", "experiment_id"):  # only the folder's own id is valid
        return SKIP
    probe = Ctx(Path("."), "0", "0", Path("."), Path("."))
    return RUN if allowed(value, probe) else SKIP


def run_field_cases() -> list[Case]:
    cases = []
    for name, allowed in RUN_FIELDS.items():
        for label, value in WRONG_VALUES:
            expect = _field_expect(name, value, allowed)
            cases.append(
                record_case("run-field", f"{name}={label}", _set_field(name, value), expect)
            )
    return cases


MAP_ENTRIES: list[tuple[str, dict[str, Any], str]] = [
    ("int-value", {"k": 1}, SKIP),
    ("null-value", {"k": None}, SKIP),
    ("list-value", {"k": ["a"]}, SKIP),
    ("object-value", {"k": {"a": "b"}}, SKIP),
    ("bool-value", {"k": True}, SKIP),
    ("lone-surrogate-value", {"k": "\udfff"}, SKIP),
    ("lone-surrogate-key", {"\ud83d": "v"}, SKIP),
    ("empty-key", {"": "empty key"}, RUN),
    ("tab-key", {"a\tb": "tab"}, RUN),
    ("nul-key-and-value", {"\x00": "\x00"}, RUN),
    ("long-key", {"k" * 10_000: "v"}, RUN),
    ("1MB-value", {"k": "v" * 1_000_000}, RUN),
    ("markup", {"<script>alert(1)</script>": "<img src=x onerror=alert(1)>"}, RUN),
    ("path-key", {"../../etc/passwd": "x"}, RUN),
    ("many", {f"p{i}": str(i) for i in range(5_000)}, RUN),
]


def map_entry_cases() -> list[Case]:
    cases = []
    for where in ("params", "tags"):
        for label, entries, expect in MAP_ENTRIES:

            def change(ctx: Ctx, record: dict[str, Any], w=where, e=entries) -> None:
                record[w] = {**record[w], **e} if w == "tags" else {"kind": "hostile", **e}

            cases.append(record_case("run-map", f"{where}:{label}", change, expect))
    return cases


def _mutations(rng: random.Random, data: bytes, count: int, how: str) -> list[bytes]:
    out = []
    specials = [b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"{", b"[", b'"', b"\\", b"\n", b","]
    for _ in range(count):
        if how == "truncate":
            out.append(data[: rng.randrange(len(data))])
        elif how == "flip":
            buffer = bytearray(data)
            for _ in range(rng.randint(1, 5)):
                buffer[rng.randrange(len(buffer))] = rng.randrange(256)
            out.append(bytes(buffer))
        elif how == "insert":
            at = rng.randrange(len(data) + 1)
            out.append(data[:at] + rng.choice(specials) * rng.randint(1, 3) + data[at:])
        elif how == "delete":
            start = rng.randrange(len(data))
            out.append(data[:start] + data[start + rng.randint(1, 40) :])
        else:  # garbage
            out.append(rng.randbytes(rng.randrange(4096)))
    return out


def whole_file_cases(rng: random.Random) -> list[Case]:
    """Random damage to run.json and summary.json: any outcome is fine if it is consistent."""
    cases = []
    counts = {"truncate": 80, "flip": 80, "insert": 60, "delete": 40, "garbage": 30}
    probe = Ctx(Path("."), "{EXP}", "{RUN}", Path("."), Path("."))
    template = dump(base_record(probe))
    summary = dump(summary_of(history(BASE_POINTS)))
    for file, data, scale in ((fmt.RUN_FILE, template, 1), (fmt.SUMMARY_FILE, summary, 4)):
        for how, count in counts.items():
            for index, mutated in enumerate(_mutations(rng, data, count // scale, how)):

                def make(ctx: Ctx, m=mutated) -> bytes:
                    text = m.replace(b"{EXP}", ctx.experiment_id.encode())
                    return text.replace(b"{RUN}", ctx.run_id.encode())

                cut = how == "truncate" and len(mutated) < len(data.rstrip())
                expect = SKIP if cut and file == fmt.RUN_FILE else ANY
                cases.append(bytes_case("whole-file", f"{file}:{how}-{index}", file, make, expect))
    return cases


def _record_bytes(
    change: Callable[[bytes], bytes] | bytes,
) -> Callable[[Ctx], bytes]:
    def make(ctx: Ctx) -> bytes:
        if isinstance(change, bytes):
            return change
        return change(dump(base_record(ctx)))

    return make


SHAPES: list[tuple[str, Callable[[bytes], bytes] | bytes, str]] = [
    ("empty", b"", SKIP),
    ("blank", b" \n\t\n", SKIP),
    ("null", b"null", SKIP),
    ("array", b"[]", SKIP),
    ("number", b"0", SKIP),
    ("string", b'"run"', SKIP),
    ("empty-object", b"{}", SKIP),
    ("version-only", b'{"format_version": 1}', SKIP),
    ("nul-bytes", b"\x00" * 64, SKIP),
    ("raw-nul-in-text", lambda d: d.replace(b'"hostile",', b'"host\x00ile",', 1), SKIP),
    ("latin-1", lambda d: d.replace(b'"ada"', b'"\xe9"'), SKIP),
    ("lone-surrogate-bytes", lambda d: d.replace(b'"ada"', b'"\xed\xa0\x80"'), SKIP),
    ("overlong-utf8", lambda d: d.replace(b'"ada"', b'"\xc0\xaf"'), SKIP),
    ("utf8-bom", lambda d: b"\xef\xbb\xbf" + d, ANY),
    ("utf16", lambda d: d.decode().encode("utf-16"), ANY),
    ("utf32", lambda d: d.decode().encode("utf-32"), ANY),
    ("nan-literal", lambda d: d.replace(b'"end_time": ', b'"end_time": NaN, "x": '), SKIP),
    (
        "infinity-literal",
        lambda d: d.replace(b'"start_time": ', b'"start_time": Infinity, "y":'),
        SKIP,
    ),
    ("trailing-garbage", lambda d: d + b"garbage", SKIP),
    ("two-objects", lambda d: d + d, SKIP),
    ("trailing-comma", lambda d: d.replace(b'"ada"\n', b'"ada",\n'), SKIP),
    ("comment", lambda d: b"// run\n" + d, SKIP),
    ("single-quotes", lambda d: d.replace(b'"', b"'"), SKIP),
    ("crlf", lambda d: d.replace(b"\n", b"\r\n"), RUN),
    (
        "10k-digit-int",
        lambda d: d.replace(b'"end_time": ', b'"end_time": ' + b"9" * 10_000 + b", "),
        SKIP,
    ),
]


def shape_cases() -> list[Case]:
    return [bytes_case("shape", name, fmt.RUN_FILE, _record_bytes(c), e) for name, c, e in SHAPES]


def _nest(depth: int, closed: bool, opener: str) -> str:
    closer = {"[": "]", '{"a":': "}", '[{"a":': "}]"}[opener]
    return opener * depth + ("1" + closer * depth if closed else "")


def nesting_cases() -> list[Case]:
    cases = []
    for depth in (1_000, 5_000, 100_000):
        for opener in ("[", '{"a":', '[{"a":'):
            for closed in (True, False):
                deep = _nest(depth, closed, opener)
                label = f"{opener[:2]}x{depth}-{'closed' if closed else 'open'}"

                def top(d: bytes, deep=deep) -> bytes:
                    return deep.encode()

                def in_params(d: bytes, deep=deep) -> bytes:
                    return d.replace(b'"params": {', b'"params": {"deep": ' + deep.encode() + b",")

                cases.append(
                    bytes_case("nesting", f"top:{label}", fmt.RUN_FILE, _record_bytes(top), SKIP)
                )
                cases.append(
                    bytes_case(
                        "nesting", f"params:{label}", fmt.RUN_FILE, _record_bytes(in_params), SKIP
                    )
                )
    return cases


def _dup(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    return lambda d: d.replace(old, new, 1)


DUPLICATES: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("status", _dup(b'"status": "FINISHED"', b'"status": "FINISHED", "status": "FAILED"')),
    ("same-twice", _dup(b'"user_id": "ada"', b'"user_id": "ada", "user_id": "ada"')),
    ("run-id", _dup(b'"run_name"', b'"run_id": "other", "run_name"')),
    ("format-version", _dup(b'"format_version": 1', b'"format_version": 1, "format_version": 2')),
    ("param", _dup(b'"kind": "hostile"', b'"kind": "hostile", "kind": "good"')),
    ("tag", _dup(b'"team": "adversarial"', b'"team": "a", "team": "b"')),
    ("params-object", _dup(b'"parent_run_id"', b'"params": {}, "parent_run_id"')),
]


def duplicate_cases() -> list[Case]:
    cases = [
        Case("duplicate", name, _bytes_maker(fmt.RUN_FILE, change), SKIP, "duplicate key")
        for name, change in DUPLICATES
    ]

    def summary_dup(ctx: Ctx) -> None:
        files = base_files(ctx)
        text = files[fmt.SUMMARY_FILE]
        assert isinstance(text, bytes)
        files[fmt.SUMMARY_FILE] = text.replace(b'"count": 2', b'"count": 2, "count": 3', 1)
        write_files(ctx.run_dir, files, ctx)

    # summary.json is runreport's own cache of metrics.tsv: a key twice there is not checked.
    cases.append(Case("duplicate", "summary-count", summary_dup, ANY))
    return cases


def _bytes_maker(file: str, change: Callable[[bytes], bytes]) -> Callable[[Ctx], None]:
    def make(ctx: Ctx) -> None:
        files = base_files(ctx)
        files[file] = change(dump(base_record(ctx)))
        write_files(ctx.run_dir, files, ctx)

    return make


def version_cases() -> list[Case]:
    values: list[tuple[str, object, str]] = [
        ("2", 2, "newer"),
        ("99", 99, "newer"),
        ("1e20", 10**20, "newer"),
        ("float-1", 1.0, "format_version"),
        ("text-1", "1", "format_version"),
        ("zero", 0, "format_version"),
        ("minus-one", -1, "format_version"),
        ("true", True, "format_version"),
        ("null", None, "format_version"),
        ("missing", MISSING, "format_version"),
    ]
    cases = []
    for label, value, reason in values:
        cases.append(
            record_case(
                "version", f"run:{label}", _set_field("format_version", value), SKIP, reason
            )
        )

        def summary(ctx: Ctx, files: dict[str, Content], v=value) -> None:
            data = summary_of(history(BASE_POINTS))
            if v is MISSING:
                del data["format_version"]
            else:
                data["format_version"] = v
            files[fmt.SUMMARY_FILE] = dump(data)

        cases.append(files_case("version", f"summary:{label}", summary, SKIP, reason))
    return cases


SUMMARY_ENTRY_VALUES: list[tuple[str, object]] = [
    ("missing", MISSING),
    ("null", None),
    ("text", "abc"),
    ("nan-text", "nan"),
    ("list", []),
    ("object", {}),
    ("true", True),
    ("int-1e400", 10**400),
    ("max-float", 1e308),
    ("minus-one", -1),
    ("int-2e63", 2**63),
    ("float", 1.5),
]


def _summary_value_ok(key: str, value: object) -> bool:
    if value is MISSING or isinstance(value, bool):
        return False
    if key in ("value", "min", "max"):
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                return False
            return True
        return isinstance(value, (int, float)) and abs(value) < 2**1024
    if type(value) is not int:
        return False
    low = 0 if key == "count" else -(2**63)
    return low <= value < 2**63


def summary_cases() -> list[Case]:
    cases = []
    for key in ("value", "timestamp", "step", "min", "max", "count"):
        for label, value in SUMMARY_ENTRY_VALUES:

            def change(ctx: Ctx, files: dict[str, Content], k=key, v=value) -> None:
                data = summary_of(history(BASE_POINTS))
                if v is MISSING:
                    del data["metrics"]["acc"][k]
                else:
                    data["metrics"]["acc"][k] = v
                files[fmt.SUMMARY_FILE] = dump(data)

            expect = RUN if _summary_value_ok(key, value) else SKIP
            cases.append(files_case("summary", f"acc.{key}={label}", change, expect))
    tops: list[tuple[str, str, object, str]] = [
        ("covered_bytes", "minus-one", -1, SKIP),
        ("covered_bytes", "int-1e400", 10**400, SKIP),
        ("covered_bytes", "int-2e63", 2**63, SKIP),
        ("covered_bytes", "float", 1.5, SKIP),
        ("covered_bytes", "text", "x", SKIP),
        ("covered_bytes", "null", None, SKIP),
        ("covered_bytes", "missing", MISSING, SKIP),
        ("covered_bytes", "beyond-the-file", 10**12, RUN),
        ("covered_bytes", "mid-line", 7, RUN),
        ("metrics", "null", None, SKIP),
        ("metrics", "list", [], SKIP),
        ("metrics", "text", "acc", SKIP),
        ("metrics", "missing", MISSING, SKIP),
        ("metrics", "entry-list", {"acc": []}, SKIP),
        ("metrics", "entry-text", {"acc": "0.5"}, SKIP),
        ("metrics", "entry-null", {"acc": None}, SKIP),
        ("metrics", "empty", {}, RUN),
    ]
    for status in ("FINISHED", "RUNNING"):
        for key, label, value, expect in tops:

            def change(ctx: Ctx, files: dict[str, Content], k=key, v=value, s=status) -> None:
                data = summary_of(history(BASE_POINTS))
                if v is MISSING:
                    del data[k]
                else:
                    data[k] = v
                files[fmt.SUMMARY_FILE] = dump(data)
                record = base_record(ctx)
                record["status"] = s
                files[fmt.RUN_FILE] = dump(record)

            cases.append(files_case("summary", f"{status}:{key}={label}", change, expect))
    return cases


MALFORMED_LINES = [
    b"acc\t1\t0\n",
    b"acc\t1\t0\t0.5\textra\n",
    b"acc\tx\t0\t1\n",
    b"acc\t1\tx\t1\n",
    b"acc\t1\t0\tone\n",
    b"acc\t1.5\t0\t1\n",
    b"acc\t1\t0\t0x1p3\n",
    b"acc\t" + b"9" * 5000 + b"\t0\t1\n",
    b"acc\t" + str(2**63).encode() + b"\t0\t1\n",
    b"acc\t1\t" + str(-(2**63) - 1).encode() + b"\t1\n",
    b"acc\t1\t" + b"1" * 25 + b"\t1\n",
    b"\n",
    b"\t\t\t\n",
    b"acc 1 0 1\n",
    b"acc\t\xff\xfe\t0\t1\n",
    b"\x00\x00\x00\n",
    b"acc\t1\t0\t1\x00\n",
]
ODD_BUT_VALID_LINES = [  # well-formed points of other metrics
    b"a\x00b\t1\t0\t1\n",
    b"\xff\xfe\t1\t0\t1\n",
    b"<script>alert(1)</script>\t1\t0\t1\n",
    b"k\t1\t0\tnan\n",
    b"k\t2\t1\t1e999\n",
    b"k\t-5\t-5\t-1e308\n",
    b"../../x\t1\t0\t1\n",
    b"\t1\t0\t1\n",
    b"edge\t9223372036854775807\t-9223372036854775808\t1\n",
]


def history_cases(rng: random.Random) -> list[Case]:
    cases = []
    for index in range(26):
        good = [(T0 + 10 * i, i, round(rng.uniform(0.5, 1.0), 6)) for i in range(rng.randint(1, 6))]
        lines: list[bytes] = [history([p]) for p in good]
        for _ in range(rng.randint(1, 8)):
            noise = rng.choice(MALFORMED_LINES + ODD_BUT_VALID_LINES + [None])  # None: binary
            if noise is None:
                noise = rng.randbytes(rng.randrange(1, 200)).replace(b"\n", b"") + b"\n"
            lines.insert(rng.randrange(len(lines) + 1), noise)
        data = b"".join(lines)
        if index % 3 == 0:
            data += b"acc\t" + str(T0 + 999).encode() + b"\t99\t0.75"  # a torn last line
        for mode in ("running", "no-summary", "summary"):

            def change(ctx: Ctx, files: dict[str, Content], d=data, m=mode, g=good) -> None:
                files[fmt.METRICS_FILE] = d
                record = base_record(ctx)
                if m == "running":
                    record["status"] = "RUNNING"
                    files[fmt.SUMMARY_FILE] = dump(summary_of(b"", covered=0))
                elif m == "no-summary":
                    files[fmt.SUMMARY_FILE] = None
                else:
                    files[fmt.SUMMARY_FILE] = dump(summary_of(history(g)))
                files[fmt.RUN_FILE] = dump(record)

            cases.append(files_case("history", f"{mode}-{index}", change, RUN, points=good))

    def long_line(ctx: Ctx, files: dict[str, Content]) -> None:
        files[fmt.METRICS_FILE] = b"acc\t" + b"7" * 10_000_000 + b"\n" + history(BASE_POINTS)

    def many(ctx: Ctx, files: dict[str, Content]) -> None:
        points = [(T0 + i, i, i / 200_000) for i in range(200_000)]
        files[fmt.METRICS_FILE] = history(points)
        files[fmt.SUMMARY_FILE] = None

    cases.append(files_case("history", "10MB-line", long_line, RUN, points=BASE_POINTS))
    many_points = [(T0 + i, i, i / 200_000) for i in range(200_000)]
    cases.append(files_case("history", "200k-points", many, RUN, points=many_points))
    return cases


KINDS: list[tuple[str, Callable[[bytes], Content]]] = [
    ("missing", lambda good: None),
    ("empty", lambda good: empty),
    ("directory", lambda good: directory),
    ("fifo", lambda good: fifo),
    ("socket", lambda good: unix_socket),
    ("symlink-inside", link_inside),
    ("symlink-outside", lambda good: link_to(link_outside)),
    ("symlink-dangling", lambda good: link_to("nowhere")),
    ("symlink-loop", lambda good: link_to(lambda p, c: p.name)),
    ("symlink-dev-zero", lambda good: link_to("/dev/zero")),
    ("symlink-dir", lambda good: link_to("/")),
    ("hard-link-outside", hard_link_outside),
]
# What a reader must do with each kind of file where run.json, summary.json or metrics.tsv go.
KIND_EXPECT = {
    fmt.RUN_FILE: {"hard-link-outside": RUN},
    fmt.SUMMARY_FILE: {"missing": RUN, "hard-link-outside": RUN},
    fmt.METRICS_FILE: {"missing": RUN, "empty": RUN, "hard-link-outside": RUN},
}
KIND_REASON = {
    "directory": "directory",
    "fifo": "named pipe",
    "socket": "socket",
    "symlink-inside": "symbolic link",
    "symlink-outside": "symbolic link",
    "symlink-dangling": "symbolic link",
    "symlink-loop": "symbolic link",
    "symlink-dev-zero": "symbolic link",
    "symlink-dir": "symbolic link",
}


def file_kind_cases() -> list[Case]:
    cases = []
    for file in (fmt.RUN_FILE, fmt.SUMMARY_FILE, fmt.METRICS_FILE):
        for label, kind in KINDS:

            def change(ctx: Ctx, files: dict[str, Content], f=file, k=kind) -> None:
                good = files[f]
                assert isinstance(good, bytes)
                files[f] = k(good)

            expect = KIND_EXPECT[file].get(label, SKIP)
            reason = KIND_REASON.get(label, "") if expect == SKIP else ""
            if file == fmt.RUN_FILE and label in ("missing", "symlink-dangling"):
                reason = ""
            cases.append(files_case("file-kind", f"{file}:{label}", change, expect, reason))
    sizes = [
        (fmt.RUN_FILE, fmt.MAX_RECORD_BYTES + 1),
        (fmt.SUMMARY_FILE, fmt.MAX_RECORD_BYTES + 1),
        (fmt.METRICS_FILE, fmt.MAX_HISTORY_BYTES + 1),
    ]
    for file, size in sizes:

        def huge(ctx: Ctx, files: dict[str, Content], f=file, n=size) -> None:
            files[f] = sparse(n)

        cases.append(files_case("file-kind", f"{file}:sparse-{size}", huge, SKIP, "larger than"))
    return cases


ARTIFACT_MLMODELS = {
    "deep-flow": b"flavors: " + b"[" * 100_000 + b"\n",
    "deep-block": b"flavors:\n" + b"".join(b" " * i + b"k%d:\n" % i for i in range(1, 2000)),
    "python-tag": b"flavors: !!python/object/apply:os.system ['touch {MARKER}']\n",
    "alias-bomb": b"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    b"flavors: {python_function: {loader_module: *d}}\n",
    "binary": bytes(range(256)) * 8,
}


def artifact_cases() -> list[Case]:
    """Odd artifacts never make a run unreadable; the build lists them and goes on."""
    kinds: list[tuple[str, Callable[[Path, Ctx], None]]] = [
        ("fifo-file", lambda a, c: os.mkfifo(a / "pipe.txt")),
        ("fifo-folder", lambda a, c: (_clear(a), os.mkfifo(a))),
        ("file-folder", lambda a, c: (_clear(a), a.write_bytes(b"not a folder"))),
        ("socket-file", lambda a, c: unix_socket(a / "sock.txt", c)),
        ("symlink-to-root", lambda a, c: os.symlink("/", a / "root")),
        ("symlink-to-secret", lambda a, c: os.symlink(c.outside / "secret.json", a / "s.json")),
        ("symlink-dev-zero", lambda a, c: os.symlink("/dev/zero", a / "zero.txt")),
        ("folder-symlink-loop", lambda a, c: os.symlink(".", a / "loop")),
        ("artifacts-symlink-root", lambda a, c: (_clear(a), os.symlink("/", a))),
        ("deep-folders", _deep_folders),
        ("sparse-2GiB", lambda a, c: sparse(2**31)(a / "big.json", c)),
        ("binary-previews", _binary_previews),
    ]
    cases = []
    for label, make in kinds:
        cases.append(_artifact_case(label, make))
    return cases + [c for c in mlmodel_artifact_cases() if "deep" not in c.name]


def mlmodel_artifact_cases() -> list[Case]:
    """Hostile MLmodel files among a run's artifacts: the site's model card must not fail."""
    cases = []
    for label, text in ARTIFACT_MLMODELS.items():

        def mlmodel(a: Path, c: Ctx, t=text) -> None:
            (a / "model").mkdir()
            marker = str(c.outside / "marker").encode()
            (a / "model" / "MLmodel").write_bytes(t.replace(b"{MARKER}", marker))

        cases.append(_artifact_case(f"MLmodel-{label}", mlmodel))
    return cases


def _clear(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()


def _deep_folders(artifacts: Path, ctx: Ctx) -> None:
    folder = artifacts
    for _ in range(100):
        folder = folder / "d"
    folder.mkdir(parents=True)
    (folder / "deep.txt").write_text("deep")


def _binary_previews(artifacts: Path, ctx: Ctx) -> None:
    rng = random.Random(ctx.run_id)
    for name in ("a.json", "b.csv", "c.md", "d.yaml", "e.txt", "f.svg", "g.png", "h.html"):
        (artifacts / name).write_bytes(rng.randbytes(20_000))


def _artifact_case(label: str, make: Callable[[Path, Ctx], Any]) -> Case:
    def build(ctx: Ctx) -> None:
        write_files(ctx.run_dir, base_files(ctx), ctx)
        make(ctx.run_dir / fmt.ARTIFACTS_DIR, ctx)

    return Case("artifacts", label, build, RUN)


def folder_cases() -> list[Case]:
    def no_record(ctx: Ctx) -> None:
        files = base_files(ctx)
        files[fmt.RUN_FILE] = None
        write_files(ctx.run_dir, files, ctx)

    def empty_folder(ctx: Ctx) -> None:
        ctx.run_dir.mkdir(parents=True)

    def as_file(ctx: Ctx) -> None:
        ctx.run_dir.write_bytes(dump(base_record(ctx)))

    def as_fifo(ctx: Ctx) -> None:
        os.mkfifo(ctx.run_dir)

    def loop(ctx: Ctx) -> None:
        os.symlink(ctx.run_id, ctx.run_dir)

    def to_root(ctx: Ctx) -> None:
        os.symlink("/", ctx.run_dir)

    def elsewhere(ctx: Ctx) -> None:
        target = ctx.outside / ctx.run_id
        write_files(target, base_files(ctx), ctx)
        os.symlink(target, ctx.run_dir)

    def hidden(ctx: Ctx) -> None:
        folder = ctx.run_dir.with_name("." + ctx.run_id)
        record = base_record(ctx)
        record["run_id"] = folder.name
        write_files(folder, {fmt.RUN_FILE: dump(record)}, ctx)

    def temp_only(ctx: Ctx) -> None:
        write_files(ctx.run_dir, {fmt.TEMP_PREFIX + "run.json.abc": b"{"}, ctx)

    def moved(ctx: Ctx) -> None:  # a run folder moved by hand into another experiment
        record = base_record(ctx)
        record["experiment_id"] = "12345"
        write_files(ctx.run_dir, base_files(ctx, record), ctx)

    return [
        Case("folder", "no-run.json", no_record, SKIP, "no run.json"),
        Case("folder", "empty", empty_folder, SKIP, "no run.json"),
        Case("folder", "a-file", as_file, ABSENT),
        Case("folder", "a-fifo", as_fifo, ABSENT),
        Case("folder", "symlink-loop", loop, ABSENT),
        Case("folder", "symlink-to-root", to_root, SKIP, "no run.json"),
        Case("folder", "symlink-elsewhere", elsewhere, ANY),
        Case("folder", "hidden", hidden, ABSENT),
        Case("folder", "temp-files-only", temp_only, SKIP, "no run.json"),
        Case("folder", "moved-by-hand", moved, SKIP, "experiment_id"),
    ]


def huge_value_cases() -> list[Case]:
    ten = "x" * 10_000_000
    changes: list[tuple[str, Callable[[Ctx, dict[str, Any]], None]]] = [
        ("run_name", lambda c, r: r.__setitem__("run_name", ten)),
        ("param", lambda c, r: r["params"].__setitem__("big", ten)),
        ("tag-key", lambda c, r: r["tags"].__setitem__(ten, "v")),
        ("description", lambda c, r: r.__setitem__("description", ten)),
    ]
    return [record_case("huge", f"10MB-{name}", change, RUN) for name, change in changes]


# ---------------------------------------------------------------- experiment.json cases

EXPERIMENT_FIELDS: dict[str, Callable[[object, str], bool]] = {
    "format_version": lambda v, e: type(v) is int and v == fmt.FORMAT_VERSION,
    "experiment_id": lambda v, e: v == e,
    "name": lambda v, e: _text_ok(v),
    "lifecycle_stage": lambda v, e: v in fmt.LIFECYCLE_STAGES,
    "creation_time": lambda v, e: v is MISSING or _time_ok(v),
    "last_update_time": lambda v, e: v is MISSING or _time_ok(v),
    "tags": lambda v, e: v is MISSING or _map_ok(v),
}


def experiment_cases(rng: random.Random) -> list[Case]:
    def base(experiment_id: str) -> dict[str, Any]:
        record = fmt.ExperimentRecord(experiment_id, f"hostile {experiment_id}", creation_time=T0)
        return json.loads(record.to_json())

    def experiment(content: Callable[[str], Content]) -> Callable[[Ctx], None]:
        def make(ctx: Ctx) -> None:
            folder = ctx.root / ctx.experiment_id
            folder.mkdir(parents=True)
            value = content(ctx.experiment_id)
            if value is not None:
                write_files(folder, {fmt.EXPERIMENT_FILE: value}, ctx)
            write_files(ctx.run_dir, base_files(ctx), ctx)

        return make

    cases = []
    values = [(label, v) for label, v in WRONG_VALUES if label != "1MB-text"]
    for name, allowed in EXPERIMENT_FIELDS.items():
        for label, value in values:

            def content(e: str, n=name, v=value) -> bytes:
                data = base(e)
                if v is MISSING:
                    del data[n]
                else:
                    data[n] = v
                return dump(data)

            valid = name != "experiment_id" and allowed(value, "0")
            cases.append(
                Case(
                    "experiment",
                    f"{name}={label}",
                    experiment(content),
                    RUN if valid else SKIP,
                    level="experiment",
                )
            )
    template = dump(base("{EXP}"))
    for how in ("truncate", "flip", "garbage"):
        for index, mutated in enumerate(_mutations(rng, template, 8, how)):

            def damaged(e: str, m=mutated) -> bytes:
                return m.replace(b"{EXP}", e.encode())

            expect = SKIP if how == "truncate" and len(mutated) < len(template.rstrip()) else ANY
            cases.append(
                Case(
                    "experiment", f"{how}-{index}", experiment(damaged), expect, level="experiment"
                )
            )
    for label, kind in KINDS:
        if label == "missing":
            continue
        good = dump(base("0"))

        def special(e: str, k=kind, g=good) -> Content:
            return k(g.replace(b'"0"', json.dumps(e).encode()))

        expect = RUN if label == "hard-link-outside" else SKIP
        cases.append(
            Case("experiment", f"file:{label}", experiment(special), expect, level="experiment")
        )
    cases.append(
        Case("experiment", "file:missing", experiment(lambda e: None), ABSENT, level="experiment")
    )
    return cases


# ---------------------------------------------------------------- checking a batch


@dataclass
class Batch:
    """A runs folder holding good runs, and the hostile cases written beside them."""

    root: Path
    site: Path
    good: dict[str, str]  # run id -> experiment id
    cases: dict[str, Case] = field(default_factory=dict)  # run id -> case
    contexts: dict[str, Ctx] = field(default_factory=dict)
    marker: Path = Path("/nonexistent")
    outside: Path = Path("/nonexistent")


def make_batch(folder: Path, cases: list[Case]) -> Batch:
    root = folder / "runs"
    outside = folder / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.json").write_text(
        json.dumps({"format_version": 1, "run_id": SECRET, "token": SECRET}), encoding="utf-8"
    )
    short = folder  # AF_UNIX socket paths must stay under 108 bytes
    client = Client(str(root))
    good_experiment = client.create_experiment("good runs")
    hostile_experiment = client.create_experiment("hostile runs")
    batch = Batch(root, folder / "site", {}, marker=outside / "marker", outside=outside)
    for index in range(3):
        run = client.create_run(good_experiment, run_name=f"good-{index}")
        client.log_param(run.info.run_id, "kind", "good")
        for step in range(3):
            client.log_metric(run.info.run_id, "acc", 0.6 + index / 10 + step / 100, step=step)
        client.set_terminated(run.info.run_id)
        batch.good[run.info.run_id] = good_experiment
    for index, case in enumerate(cases):
        run_id = f"{0xBAD00000 + index:08x}{'0' * 24}"
        experiment_id = hostile_experiment if case.level == "run" else f"9{index:05d}"
        ctx = Ctx(root, experiment_id, run_id, outside, short)
        case.make(ctx)
        batch.cases[run_id] = case
        batch.contexts[run_id] = ctx
    return batch


def _same(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    return os.path.normpath(os.fspath(a)) == os.path.normpath(os.fspath(b))


def check_batch(batch: Batch) -> list[str]:
    """Every entry point over one batch; returns the failures, each naming its case."""
    failures: list[str] = []

    def step(what: str, fn: Callable[[], Any]) -> Any:
        try:
            return guarded(fn, TIMEOUT, batch.root)
        except Exception as exc:
            failures.append(f"{what}: {_describe(exc)}")
            return None

    scanned = step("reader.scan_runs", lambda: reader.scan_runs(batch.root))
    if scanned is None:
        return failures
    runs, skipped = scanned
    read = {os.path.normpath(reader_folder(r)): r for r in runs}
    reported = {os.path.normpath(s.path): s for s in skipped}
    failures += _check_good(batch, runs)
    for run_id, case in batch.cases.items():
        failures += [f"{case}: {m}" for m in _check_case(batch, case, run_id, read, reported)]
    failures += _check_search(batch, runs, step)
    failures += _check_site(batch, runs, skipped, step)
    failures += _check_cli(batch, runs, step)
    if batch.marker.exists():
        failures.append(f"code from a hostile file ran: {batch.marker} exists")
    return failures


def reader_folder(run: Any) -> str:
    from runreport.site.inputs import run_folder

    return str(run_folder(run))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, Hung):
        return f"HUNG ({exc})"
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames))
    return f"{type(exc).__name__}: {str(exc)[:300]} at {where}"


def _check_good(batch: Batch, runs: list[Any]) -> list[str]:
    by_id = {r.info.run_id: r for r in runs}
    out = []
    for run_id in batch.good:
        run = by_id.get(run_id)
        if run is None:
            out.append(f"good run {run_id} is missing from scan_runs")
        elif run.data.params.get("kind") != "good" or run.data.metrics.get("acc", 0) <= 0.5:
            out.append(f"good run {run_id} lost data: {run.data.params} {run.data.metrics}")
    return out


def _check_case(
    batch: Batch, case: Case, run_id: str, read: dict[str, Any], reported: dict[str, Any]
) -> list[str]:
    ctx = batch.contexts[run_id]
    folder = os.path.normpath(ctx.run_dir)
    run, skip = read.get(folder), reported.get(folder)
    out = []
    if run is not None and skip is not None:
        out.append("both read and reported as skipped")
    if case.expect == ABSENT:
        if case.level == "run" and (run is not None or skip is not None):
            out.append("a folder that is not a run was read or reported")
        return out
    if case.level == "run" and run is None and skip is None:
        out.append("neither read nor reported (silently lost)")
    if case.expect == RUN and case.level == "run" and run is None:
        out.append(f"a valid run was skipped: {skip.reason if skip else '?'}")
    if case.expect == SKIP and case.level == "run" and skip is None:
        out.append("an invalid run was read instead of reported")
    if skip is not None:
        out += _check_reason(case, skip.reason)
    if run is not None:
        out += _check_run_entity(run, ctx)
    out += _check_get_run(batch, case, ctx, run)
    return out


def _check_reason(case: Case, reason: str) -> list[str]:
    out = []
    if not reason or len(reason) > 1000:
        out.append(f"reason is empty or too long ({len(reason)} characters)")
    if SECRET in reason:
        out.append("reason shows the content of a file outside the runs folder")
    if case.reason and case.reason.lower() not in reason.lower():
        out.append(f"reason {reason[:200]!r} does not say {case.reason!r}")
    return out


def _check_run_entity(run: Any, ctx: Ctx) -> list[str]:
    """A run a reader accepted holds only what the format allows."""
    info, data = run.info, run.data
    problems = []
    if info.run_id != ctx.run_id or info.experiment_id != ctx.experiment_id:
        problems.append(f"ids {info.run_id!r}/{info.experiment_id!r} differ from the folder")
    texts = [info.run_name, info.user_id, *data.params, *data.params.values(), *data.tags]
    texts += list(data.tags.values())
    if not all(_text_ok(t) for t in texts):
        problems.append("holds something that is not text")
    if not (_time_ok(info.start_time) and _time_ok(info.end_time)):
        problems.append(f"times {info.start_time!r}, {info.end_time!r} out of range")
    for key, value in data.metrics.items():
        if not isinstance(key, str) or type(value) is not float:
            problems.append(f"metric {key!r} is {value!r}")
    return problems


def _check_get_run(batch: Batch, case: Case, ctx: Ctx, scanned: Any) -> list[str]:
    """get_run and get_metric_history agree with the scan, and fail only with RunReportError."""
    client = Client(str(batch.root))
    out = []
    for what, call in (
        ("get_run", lambda: client.get_run(ctx.run_id)),
        ("get_metric_history", lambda: client.get_metric_history(ctx.run_id, "acc")),
    ):
        try:
            value = guarded(call, ITEM_TIMEOUT, batch.root)
        except RunReportError as exc:
            if scanned is not None:
                out.append(f"{what} failed on a run scan_runs read: {str(exc)[:200]}")
            if len(str(exc)) > 2000 or SECRET in str(exc):
                out.append(f"{what}'s error is too long or leaks a file")
            continue
        except Exception as exc:
            out.append(f"{what} crashed: {_describe(exc)}")
            continue
        if what == "get_run" and scanned is None and case.level == "run":
            out.append("get_run read a run that scan_runs reported")
        if what == "get_metric_history":
            out += _check_history(case, value)
    return out


def _check_history(case: Case, points: list[Any]) -> list[str]:
    for metric in points:
        if type(metric.value) is not float or type(metric.step) is not int:
            return [f"history point {metric!r} has wrong types"]
        if not fmt.INT64_MIN <= metric.timestamp <= fmt.INT64_MAX:
            return [f"history point {metric!r} is out of range"]
    if case.history is not None:
        got = [(m.timestamp, m.step, m.value) for m in points]
        if got != case.history:
            return [f"history of 'acc' is {got[:5]}..., expected {case.history[:5]}..."]
    return []


def _check_search(batch: Batch, runs: list[Any], step: Callable[..., Any]) -> list[str]:
    client = Client(str(batch.root))
    experiments = [p.name for p in reader.experiment_dirs(batch.root)]
    found = step("search_runs", lambda: client.search_runs(experiments, FILTER))
    if found is None:
        return []
    ids = {r.info.run_id for r in found}
    if ids != set(batch.good):
        return [f"search_runs({FILTER!r}) gave {sorted(ids)}, expected {sorted(batch.good)}"]
    everything = step("search_runs (no filter)", lambda: client.search_runs(experiments, ""))
    active = {r.info.run_id for r in runs if r.info.lifecycle_stage == "active"}
    if everything is not None and {r.info.run_id for r in everything} != active:
        return ["search_runs without a filter does not give every active run scan_runs read"]
    return []


def _check_site(
    batch: Batch, runs: list[Any], skipped: list[Any], step: Callable[..., Any]
) -> list[str]:
    options = BuildOptions(runs_dirs=[batch.root], output=batch.site)
    report = step("build_site", lambda: build_site(options))
    if report is None:
        return []
    out = []
    problems = {os.path.normpath(p.path): p for p in report.problems}
    shown = {batch.contexts[i].experiment_id for i, c in batch.cases.items() if c.level == "run"}
    for skip in skipped:  # runs of the experiments the build shows
        if Path(skip.path).parent.name in shown and os.path.normpath(skip.path) not in problems:
            out.append(f"the build does not report skipped run {skip.path}")
    for problem in report.problems:
        if not problem.reason or len(problem.reason) > 1000 or SECRET in problem.reason:
            out.append(f"build problem {problem.path}: reason empty, too long or leaking")
    for run_id in batch.good:
        if not (batch.site / "runs" / f"{run_id}.html").is_file():
            out.append(f"the site has no page for good run {run_id}")
    for run_id, case in batch.cases.items():
        page = batch.site / "runs" / f"{run_id}.html"
        folder = os.path.normpath(batch.contexts[run_id].run_dir)
        if case.level == "experiment":
            experiment = os.path.normpath(
                batch.contexts[run_id].root / batch.contexts[run_id].experiment_id
            )
            if case.expect == SKIP and experiment not in problems:
                out.append(f"{case}: the build does not report the experiment folder")
            if case.expect == SKIP and page.exists():
                out.append(f"{case}: a run of an unreadable experiment was published")
        elif folder in {os.path.normpath(s.path) for s in skipped} and page.exists():
            out.append(f"{case}: a skipped run has a page")
    for path in batch.site.rglob("*"):
        if path.is_file() and SECRET.encode() in path.read_bytes():
            out.append(f"the site publishes a file from outside the runs folder: {path}")
    return out


def _check_cli(batch: Batch, runs: list[Any], step: Callable[..., Any]) -> list[str]:
    args = ["runs", "list", "--source", str(batch.root), "--format", "json"]
    result = step("runreport runs list", lambda: CliRunner().invoke(main, args))
    if result is None:
        return []
    if result.exit_code != 0:
        return [f"runreport runs list exited {result.exit_code}: {result.output[-500:]}"]
    listed = {row["run_id"] for row in json.loads(result.stdout)}
    readable = {r.info.run_id for r in runs}
    out = []
    if not set(batch.good) <= listed:
        out.append("runreport runs list leaves out good runs")
    if not listed <= readable:
        out.append("runreport runs list shows runs scan_runs did not read")
    return out


# ---------------------------------------------------------------- the tests


def corpus() -> dict[str, list[Case]]:
    rng = random.Random(SEED)
    return {
        "run-field": run_field_cases(),
        "run-map": map_entry_cases(),
        "whole-file": whole_file_cases(rng),
        "shape": shape_cases(),
        "nesting": nesting_cases(),
        "duplicate": duplicate_cases(),
        "version": version_cases(),
        "summary": summary_cases(),
        "history": history_cases(rng),
        "file-kind": file_kind_cases(),
        "artifacts": artifact_cases(),
        "folder": folder_cases(),
        "huge": huge_value_cases(),
        "experiment": experiment_cases(rng),
        "artifacts-deep-mlmodel": [c for c in mlmodel_artifact_cases() if "deep" in c.name],
    }


CORPUS = corpus()


def run_cases(tmp_path: Path, cases: list[Case]) -> list[str]:
    """Check the cases in batches; a failing batch is re-checked case by case to name them."""
    failures: list[str] = []
    for start in range(0, len(cases), BATCH):
        chunk = cases[start : start + BATCH]
        batch = make_batch(tmp_path / f"batch-{start}", chunk)
        found = check_batch(batch)
        if found and len(chunk) > 1:
            found = []
            for index, case in enumerate(chunk):
                alone = make_batch(tmp_path / f"alone-{start + index}", [case])
                found += [f"[{case}] {f}" for f in check_batch(alone)]
        failures += [f if len(f) < 600 else f[:597] + "..." for f in found]
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("family", list(CORPUS))
def test_hostile_run_folders_are_reported_never_crash_or_hang(family: str, tmp_path: Path) -> None:
    failures = run_cases(tmp_path, CORPUS[family])
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:60])


def test_the_corpus_holds_more_than_a_thousand_folders() -> None:
    sizes = {family: len(cases) for family, cases in CORPUS.items()}
    assert sum(sizes.values()) + len(MLRUNS_CASES) + len(DB_CASES) >= 1_000, sizes
    names = [str(case) for cases in CORPUS.values() for case in cases]
    assert len(names) == len(set(names)), "case names must be unique, to be found again"


# ---------------------------------------------------------------- MLflow's mlruns/ folders

MLRUNS_GOOD_EXPERIMENT = "1"
MLRUNS_HOSTILE_EXPERIMENT = "2"
BOMB = "lol0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"lol{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 9)}]\n" for i in range(1, 10)
)


def mlruns_meta(ctx: Ctx, **fields: str | None) -> str:
    """A run's meta.yaml as MLflow writes it; ``fields`` replace (or, with None, drop) lines."""
    lines = {
        "artifact_uri": (ctx.run_dir / "artifacts").as_uri(),
        "end_time": str(T0 + 10),
        "entry_point_name": "''",
        "experiment_id": f"'{ctx.experiment_id}'",
        "lifecycle_stage": "active",
        "run_id": ctx.run_id,
        "run_name": "hostile",
        "run_uuid": ctx.run_id,
        "source_name": "''",
        "source_type": "4",
        "source_version": "''",
        "start_time": str(T0),
        "status": "3",
        "tags": "[]",
        "user_id": "ada",
    }
    for key, value in fields.items():
        if value is None:
            lines.pop(key, None)
        else:
            lines[key] = value
    return "".join(f"{key}: {value}\n" for key, value in lines.items())


def mlruns_files(ctx: Ctx, meta: str | bytes | None = None) -> dict[str, Content]:
    text = mlruns_meta(ctx) if meta is None else meta
    return {
        "meta.yaml": text.encode() if isinstance(text, str) else text,
        "params/kind": b"hostile",
        "tags/team": b"adversarial",
        "tags/mlflow.runName": b"hostile",
        "metrics/acc": b"".join(b"%d %r %d\n" % (t, v, s) for t, s, v in BASE_POINTS),
        "artifacts/notes.txt": b"artifact\n",
    }


def mlruns_case(
    name: str,
    change: Callable[[Ctx, dict[str, Content]], None],
    expect: str,
    reason: str = "",
    points: list[tuple[int, int, float]] | None = None,
    level: str = "run",
) -> Case:
    def make(ctx: Ctx) -> None:
        files = mlruns_files(ctx)
        change(ctx, files)
        write_files(ctx.run_dir, files, ctx)

    return Case("mlruns", name, make, expect, reason, level, points)


def meta_case(
    name: str, meta: Callable[[Ctx], str | bytes | Content], expect: str, reason=""
) -> Case:
    def change(ctx: Ctx, files: dict[str, Content]) -> None:
        value = meta(ctx)
        files["meta.yaml"] = value.encode() if isinstance(value, str) else value

    return mlruns_case(name, change, expect, reason)


MLRUNS_VALUES: list[tuple[str, str | None]] = [
    ("missing", None),
    ("null", "null"),
    ("true", "true"),
    ("minus-one", "-1"),
    ("int-1e30", "1" + "0" * 30),
    ("float", "1.5"),
    ("text", "x"),
    ("int-3", "3"),
    ("text-FINISHED", "FINISHED"),
    ("list", "[1, 2]"),
    ("mapping", "{a: 1}"),
    ("date", "2024-01-01"),
    ("binary", "!!binary aGk="),
    ("set", "!!set {a}"),
    ("python-apply", "!!python/object/apply:os.system ['touch {MARKER}']"),
    ("python-name", "!!python/name:os.system"),
    ("python-new", "!!python/object/new:builtins.open ['{MARKER}', 'w']"),
    ("alias-bomb", "*b9"),
    ("1MB-text", "x" * 1_000_000),
    ("nul", '"a\\0b"'),
]
_TEXTUAL = {"missing", "null", "minus-one", "int-1e30", "float", "text", "int-3", "text-FINISHED"}


def mlruns_expect(field: str, label: str) -> str:
    """What the MLflow reader promises for a value (module docstring of store.mlflow_files)."""
    if label.startswith("python-"):
        return SKIP  # the safe loader refuses the tag: nothing is constructed, nothing runs
    if field == "run_uuid":
        return RUN  # run_id is given too
    if field in ("run_id", "experiment_id", "lifecycle_stage"):
        return RUN if label in ("missing", "null") else SKIP
    if field == "status":
        return RUN if label in ("missing", "null", "int-3", "text-FINISHED") else SKIP
    if field in ("start_time", "end_time"):
        return RUN if label in ("missing", "null", "int-3") else SKIP
    return RUN if label in _TEXTUAL | {"1MB-text", "nul"} else SKIP


def mlruns_field_cases() -> list[Case]:
    fields = [
        "run_id",
        "run_uuid",
        "experiment_id",
        "status",
        "start_time",
        "end_time",
        "lifecycle_stage",
        "user_id",
        "artifact_uri",
        "run_name",
    ]
    cases = []
    for field_name in fields:
        for label, value in MLRUNS_VALUES:

            def meta(ctx: Ctx, f=field_name, v=value) -> str:
                text = v.replace("{MARKER}", str(ctx.outside / "marker")) if v else v
                return (BOMB if v == "*b9" else "") + mlruns_meta(ctx, **{f: text})

            cases.append(meta_case(f"{field_name}={label}", meta, mlruns_expect(field_name, label)))
    return cases


def mlruns_special_cases(rng: random.Random) -> list[Case]:
    def with_meta(extra: str, **fields: str | None) -> Callable[[Ctx], str]:
        return lambda ctx: (
            extra.replace("{MARKER}", str(ctx.outside / "marker")) + mlruns_meta(ctx, **fields)
        )

    specials: list[tuple[str, Callable[[Ctx], Any], str, str]] = [
        ("bomb-unused", with_meta(BOMB), RUN, ""),
        ("bomb-in-tags", with_meta(BOMB, tags="*b9"), RUN, ""),
        (
            "python-tag-unused",
            with_meta("x: !!python/object/apply:os.system ['touch {MARKER}']\n"),
            SKIP,
            "YAML",
        ),
        ("merge-key", with_meta("base: &base {user_id: eve}\n<<: *base\n", user_id=None), RUN, ""),
        (
            "flow-100k-closed",
            lambda c: "x: " + "[" * 100_000 + "]" * 100_000 + "\n" + mlruns_meta(c),
            SKIP,
            "nest",
        ),
        ("flow-1M-open", lambda c: "x: " + "[" * 1_000_000 + "\n", SKIP, "nest"),
        ("dash-100k", lambda c: "x:\n  " + "- " * 100_000 + "y\n" + mlruns_meta(c), SKIP, "nest"),
        (
            "indent-2000",
            lambda c: (
                mlruns_meta(c) + "x:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 2000))
            ),
            SKIP,
            "nest",
        ),
        ("two-documents", lambda c: mlruns_meta(c) + "---\n" + mlruns_meta(c), SKIP, "YAML"),
        ("empty", lambda c: b"", SKIP, "mapping"),
        ("null", lambda c: b"null\n", SKIP, "mapping"),
        ("list", lambda c: b"- a\n- b\n", SKIP, "mapping"),
        ("raw-nul", lambda c: mlruns_meta(c).replace("hostile", "host\x00ile"), SKIP, "YAML"),
        (
            "latin-1",
            lambda c: mlruns_meta(c).replace("ada", "\xe9").encode("latin-1"),
            SKIP,
            "YAML",
        ),
        ("utf8-bom", lambda c: b"\xef\xbb\xbf" + mlruns_meta(c).encode(), ANY, ""),
        ("utf16", lambda c: mlruns_meta(c).encode("utf-16"), ANY, ""),
        ("tabs", lambda c: mlruns_meta(c).replace(": ", ":\t"), ANY, ""),
        ("5MB", lambda c: mlruns_meta(c) + "x: " + "y" * 5_000_000 + "\n", SKIP, "larger than"),
        ("sparse-5GB", lambda c: sparse(5 * 2**30), SKIP, "larger than"),
        ("fifo", lambda c: fifo, SKIP, "named pipe"),
        ("directory", lambda c: directory, SKIP, "directory"),
        ("socket", lambda c: unix_socket, SKIP, "socket"),
        ("symlink-outside", lambda c: link_to(link_outside), SKIP, "symbolic link"),
        ("symlink-loop", lambda c: link_to(lambda p, x: p.name), SKIP, "symbolic link"),
        ("symlink-dev-zero", lambda c: link_to("/dev/zero"), SKIP, "symbolic link"),
        ("artifact-uri-root", with_meta("", artifact_uri="file:///"), RUN, ""),
        (
            "artifact-uri-outside",
            lambda c: mlruns_meta(c, artifact_uri=c.outside.as_uri()),
            RUN,
            "",
        ),
        ("artifact-uri-remote", with_meta("", artifact_uri="s3://bucket/x"), RUN, ""),
        ("artifact-uri-relative", with_meta("", artifact_uri="../../.."), RUN, ""),
    ]
    cases = [meta_case(name, make, expect, reason) for name, make, expect, reason in specials]
    probe = Ctx(Path("/r"), "{EXP}", "{RUN}", Path("/o"), Path("/s"))
    template = mlruns_meta(probe).encode()
    for how, count in (("truncate", 20), ("flip", 20), ("insert", 15), ("garbage", 10)):
        for index, mutated in enumerate(_mutations(rng, template, count, how)):

            def damaged(ctx: Ctx, m=mutated) -> bytes:
                text = m.replace(b"{EXP}", ctx.experiment_id.encode())
                return text.replace(b"{RUN}", ctx.run_id.encode())

            cases.append(meta_case(f"meta:{how}-{index}", damaged, ANY))
    return cases


def mlruns_file_cases() -> list[Case]:
    def put(
        name: str, content: Callable[[Ctx], Content]
    ) -> Callable[[Ctx, dict[str, Content]], None]:
        def change(ctx: Ctx, files: dict[str, Content]) -> None:
            files[name] = content(ctx)

        return change

    def artifacts_to_root(ctx: Ctx, files: dict[str, Content]) -> None:
        files.pop("artifacts/notes.txt")
        files["artifacts"] = link_to("/")

    def metrics_file(ctx: Ctx, files: dict[str, Content]) -> None:
        files.pop("metrics/acc")
        files["metrics"] = b"not a folder"

    def deep_param(ctx: Ctx, files: dict[str, Content]) -> None:
        files["params/" + "/".join(["d"] * 60)] = b"deep"

    good = [(T0 + i, i, 0.5 + i / 100) for i in range(5)]
    noisy = b"".join(b"%d %r %d\n" % (t, v, s) for t, s, v in good[:2])
    noisy += b"x y z\n1\n" + b"9" * 5000 + b" 1 0\n" + str(2**63).encode() + b" 1 0\n\xff\xfe\n"
    noisy += b"".join(b"%d %r %d\n" % (t, v, s) for t, s, v in good[2:])
    return [
        mlruns_case("params:fifo", put("params/kind", lambda c: fifo), SKIP, "named pipe"),
        mlruns_case(
            "params:symlink-secret",
            put("params/s", lambda c: link_to(link_outside)),
            SKIP,
            "symbolic link",
        ),
        mlruns_case(
            "params:symlink-dev-zero",
            put("params/z", lambda c: link_to("/dev/zero")),
            SKIP,
            "symbolic link",
        ),
        mlruns_case("params:socket", put("params/s", lambda c: unix_socket), SKIP, "socket"),
        mlruns_case("params:invalid-utf8", put("params/u", lambda c: b"\xff\xfe\xc3"), RUN),
        mlruns_case("params:nul", put("params/n", lambda c: b"a\x00b"), RUN),
        mlruns_case(
            "params:5MB", put("params/big", lambda c: b"v" * 5_000_000), SKIP, "larger than"
        ),
        mlruns_case("params:deep-folders", deep_param, RUN),
        mlruns_case("tags:fifo", put("tags/t", lambda c: fifo), SKIP, "named pipe"),
        mlruns_case(
            "tags:1MB-run-name", put("tags/mlflow.runName", lambda c: b"n" * 1_000_000), RUN
        ),
        mlruns_case("metrics:fifo", put("metrics/acc", lambda c: fifo), SKIP, "named pipe"),
        mlruns_case(
            "metrics:symlink",
            put("metrics/acc", lambda c: link_to(link_outside)),
            SKIP,
            "symbolic link",
        ),
        mlruns_case(
            "metrics:sparse-2GiB", put("metrics/acc", lambda c: sparse(2**31)), SKIP, "larger than"
        ),
        mlruns_case("metrics:garbage", put("metrics/acc", lambda c: noisy), RUN, points=good),
        mlruns_case("metrics:binary", put("metrics/acc", lambda c: bytes(range(256)) * 64), RUN),
        mlruns_case("metrics:a-file", metrics_file, RUN),
        mlruns_case("artifacts:symlink-root", artifacts_to_root, RUN),
        mlruns_case("artifacts:fifo", put("artifacts/pipe.txt", lambda c: fifo), RUN),
    ]


def mlruns_experiment_cases() -> list[Case]:
    metas = {
        "python-tag": "name: !!python/object/apply:os.system ['touch {MARKER}']\n",
        "bomb-name": BOMB + "name: *b9\n",
        "name-list": "name: [a, b]\n",
        "name-missing": "lifecycle_stage: active\n",
        "stage-bogus": "name: x\nlifecycle_stage: gone\n",
        "times-text": "name: x\ncreation_time: yesterday\n",
        "deep": "name: " + "[" * 100_000 + "\n",
        "empty": "",
        "garbage": "\x00\x01\x02",
    }
    cases = []
    for label, text in metas.items():

        def make(ctx: Ctx, t=text) -> None:
            folder = ctx.root / ctx.experiment_id
            folder.mkdir(parents=True)
            meta = t.replace("{MARKER}", str(ctx.outside / "marker"))
            (folder / "meta.yaml").write_text(f"experiment_id: '{ctx.experiment_id}'\n" + meta)
            write_files(ctx.run_dir, mlruns_files(ctx), ctx)

        cases.append(Case("mlruns-experiment", label, make, ANY, level="experiment"))
    return cases


MLRUNS_CASES = (
    mlruns_field_cases()
    + mlruns_special_cases(random.Random(SEED + 1))
    + mlruns_file_cases()
    + mlruns_experiment_cases()
)


def make_mlruns_batch(folder: Path, cases: list[Case]) -> Batch:
    root = folder / "mlruns"
    outside = folder / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.json").write_text(SECRET, encoding="utf-8")
    short = folder  # AF_UNIX socket paths must stay under 108 bytes
    batch = Batch(root, folder / "site", {}, marker=outside / "marker", outside=outside)
    for experiment, name in ((MLRUNS_GOOD_EXPERIMENT, "good"), (MLRUNS_HOSTILE_EXPERIMENT, "bad")):
        (root / experiment).mkdir(parents=True)
        (root / experiment / "meta.yaml").write_text(
            f"artifact_location: {(root / experiment).as_uri()}\ncreation_time: {T0}\n"
            f"experiment_id: '{experiment}'\nlast_update_time: {T0}\nlifecycle_stage: active\n"
            f"name: {name} runs\n"
        )
    for index in range(3):
        run_id = f"{0x600D0000 + index:08x}{'0' * 24}"
        ctx = Ctx(root, MLRUNS_GOOD_EXPERIMENT, run_id, outside, short)
        files = mlruns_files(ctx)
        files["params/kind"] = b"good"
        files["metrics/acc"] = b"%d %r 0\n" % (T0, 0.7 + index / 10)
        write_files(ctx.run_dir, files, ctx)
        batch.good[run_id] = MLRUNS_GOOD_EXPERIMENT
    for index, case in enumerate(cases):
        run_id = f"{0xBAD00000 + index:08x}{'0' * 24}"
        experiment = MLRUNS_HOSTILE_EXPERIMENT if case.level == "run" else f"9{index:05d}"
        ctx = Ctx(root, experiment, run_id, outside, short)
        case.make(ctx)
        batch.cases[run_id] = case
        batch.contexts[run_id] = ctx
    return batch


def check_store_batch(batch: Batch, location: str) -> list[str]:
    """Every entry point over an MLflow store (mlruns/ or mlflow.db) holding hostile runs."""
    failures: list[str] = []

    def step(what: str, fn: Callable[[], Any]) -> Any:
        try:
            return guarded(fn, TIMEOUT, batch.root)
        except Exception as exc:
            failures.append(f"{what}: {_describe(exc)}")
            return None

    client = step("Client", lambda: Client(location))
    if client is None:
        return failures
    scanned = step("scan_runs", lambda: client.source.scan_runs())
    if scanned is None:
        return failures
    runs, skipped = scanned
    read = {
        os.path.normpath(r.source.split("#run=")[0]) if "#run=" not in r.source else r.source: r
        for r in runs
    }
    reported = {os.path.normpath(s.path) if "#run=" not in s.path else s.path: s for s in skipped}
    failures += _check_good(batch, runs)
    for run_id, case in batch.cases.items():
        ctx = batch.contexts[run_id]
        key = os.path.normpath(ctx.run_dir) if batch.root.is_dir() else f"{batch.root}#run={run_id}"
        failures += [
            f"{case}: {m}"
            for m in _check_store_case(batch, client, case, ctx, read.get(key), reported.get(key))
        ]
    found = step("search_runs", lambda: client.search_runs(_store_experiments(client), FILTER))
    if found is not None and {r.info.run_id for r in found} != set(batch.good):
        failures.append(f"search_runs({FILTER!r}) gave {sorted(r.info.run_id for r in found)}")
    report = step(
        "build_site", lambda: build_site(BuildOptions(runs_dirs=[batch.root], output=batch.site))
    )
    if report is not None:
        failures += _check_store_site(batch, runs)
    args = ["runs", "list", "--source", str(batch.root), "--format", "json"]
    result = step("runreport runs list", lambda: CliRunner().invoke(main, args))
    if result is not None:
        if result.exit_code != 0:
            failures.append(
                f"runreport runs list exited {result.exit_code}: {result.output[-300:]}"
            )
        elif not set(batch.good) <= {row["run_id"] for row in json.loads(result.stdout)}:
            failures.append("runreport runs list leaves out good runs")
    if batch.marker.exists():
        failures.append(f"code from a hostile file ran: {batch.marker} exists")
    return failures


def _store_experiments(client: Any) -> list[str]:
    return [e.experiment_id for e in client.search_experiments(view_type=3)]


def _check_store_case(
    batch: Batch, client: Any, case: Case, ctx: Ctx, run: Any, skip: Any
) -> list[str]:
    out = []
    if run is not None and skip is not None:
        out.append("both read and reported as skipped")
    if case.level == "run":
        if run is None and skip is None:
            out.append("neither read nor reported (silently lost)")
        if case.expect == RUN and run is None:
            out.append(f"a valid run was skipped: {skip.reason if skip else '?'}")
        if case.expect == SKIP and skip is None:
            out.append("an invalid run was read instead of reported")
    if skip is not None:
        out += _check_reason(case, skip.reason)
    if run is not None:
        out += [p for p in _check_run_entity(run, ctx) if not p.startswith("ids")]
        if run.info.run_id != ctx.run_id:
            out.append(f"read as run {run.info.run_id!r}")
    for what, call in (
        ("get_run", lambda: client.get_run(ctx.run_id)),
        ("get_metric_history", lambda: client.get_metric_history(ctx.run_id, "acc")),
    ):
        try:
            value = guarded(call, ITEM_TIMEOUT, batch.root)
        except RunReportError as exc:
            if run is not None:
                out.append(f"{what} failed on a run scan_runs read: {str(exc)[:200]}")
            if len(str(exc)) > 2000 or SECRET in str(exc):
                out.append(f"{what}'s error is too long or leaks a file")
            continue
        except Exception as exc:
            out.append(f"{what} crashed: {_describe(exc)}")
            continue
        if what == "get_metric_history":
            out += _check_history(case, value)
    return out


def _check_store_site(batch: Batch, runs: list[Any]) -> list[str]:
    out = []
    for run_id in batch.good:
        if not (batch.site / "runs" / f"{run_id}.html").is_file():
            out.append(f"the site has no page for good run {run_id}")
    for run in runs:
        case = batch.cases.get(run.info.run_id)
        shown = case is not None and case.level == "run" and run.info.lifecycle_stage == "active"
        if shown and not (batch.site / "runs" / f"{run.info.run_id}.html").is_file():
            out.append(f"{case}: a run the reader read is missing from the site")
    for path in batch.site.rglob("*"):
        if path.is_file() and not path.is_symlink() and SECRET.encode() in path.read_bytes():
            out.append(f"the site publishes a file from outside the store: {path}")
    return out


def run_store_cases(tmp_path: Path, cases: list[Case]) -> list[str]:
    failures: list[str] = []
    for start in range(0, len(cases), BATCH):
        chunk = cases[start : start + BATCH]
        batch = make_mlruns_batch(tmp_path / f"batch-{start}", chunk)
        found = check_store_batch(batch, str(batch.root))
        if found and len(chunk) > 1:
            found = []
            for index, case in enumerate(chunk):
                alone = make_mlruns_batch(tmp_path / f"alone-{start + index}", [case])
                found += [f"[{case}] {f}" for f in check_store_batch(alone, str(alone.root))]
        failures += [f if len(f) < 600 else f[:597] + "..." for f in found]
    return failures


@pytest.mark.slow
def test_hostile_mlruns_folders_are_reported_never_crash_or_hang(tmp_path: Path) -> None:
    failures = run_store_cases(tmp_path, MLRUNS_CASES)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:60])


# ---------------------------------------------------------------- MLflow's mlflow.db

FIXTURE_DB = Path(__file__).resolve().parents[1] / "fixtures" / "mlflow" / "sqlite" / "mlflow.db"
_LOOSE_TABLES = ("runs", "params", "tags", "metrics", "latest_metrics", "experiments")


def loose_db(path: Path) -> sqlite3.Connection:
    """A copy of the fixture database whose tables have no constraints (a hostile file has
    whatever schema it likes), plus three good runs."""
    path.write_bytes(FIXTURE_DB.read_bytes())
    db = sqlite3.connect(path)
    for table in _LOOSE_TABLES:
        db.execute(f"ALTER TABLE {table} RENAME TO old_{table}")
        db.execute(f"CREATE TABLE {table} AS SELECT * FROM old_{table}")
        db.execute(f"DROP TABLE old_{table}")
    for index in range(3):
        run_id = f"{0x600D0000 + index:08x}{'0' * 24}"
        _insert_run(db, run_id, kind="good", acc=0.7 + index / 10)
    db.commit()
    return db


def _insert_run(db: sqlite3.Connection, run_id: str, kind: str, acc: float, **values: Any) -> None:
    row = {
        "run_uuid": run_id,
        "name": "hostile",
        "source_type": "LOCAL",
        "source_name": "",
        "entry_point_name": "",
        "user_id": "ada",
        "status": "FINISHED",
        "start_time": T0,
        "end_time": T0 + 10,
        "source_version": "",
        "lifecycle_stage": "active",
        "artifact_uri": "",
        "experiment_id": 1,
        "deleted_time": None,
        **{k: v for k, v in values.items() if not k.startswith(("param_", "metric_"))},
    }
    db.execute(
        f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
        list(row.values()),
    )
    db.execute("INSERT INTO params (key, value, run_uuid) VALUES ('kind', ?, ?)", [kind, run_id])
    param = values.get("param_value", "v"), values.get("param_key", "p")
    db.execute(
        "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", [param[1], param[0], run_id]
    )
    metric = [
        values.get(f"metric_{c}", d)
        for c, d in (("key", "acc"), ("value", acc), ("timestamp", T0), ("step", 0), ("is_nan", 0))
    ]
    db.execute(
        "INSERT INTO metrics (key, value, timestamp, step, is_nan, run_uuid) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [*metric, run_id],
    )
    db.execute(
        "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [*metric, run_id],
    )


DB_VALUES: list[tuple[str, Any]] = [
    ("null", None),
    ("blob", b"\xff\x00\xfe"),
    ("text", "abc"),
    ("int-1e18", 10**18),
    ("minus-one", -1),
    ("float", 1.5),
    ("nul-text", "a\x00b"),
    ("1MB-text", "x" * 1_000_000),
]
# Which values each column may hold for the run to be read. Columns of text affinity store
# numbers as text (SQLite converts them on insert), so those read as text.
_TEXT_LIKE = {"null", "text", "nul-text", "1MB-text", "int-1e18", "minus-one", "float"}
_NUMBERS_AS_TEXT = {"text", "nul-text", "1MB-text", "int-1e18", "minus-one", "float"}
DB_COLUMNS = {
    "name": _TEXT_LIKE,
    "status": {label for label, _ in DB_VALUES},  # anything unknown reads as RUNNING
    "start_time": {"null"},
    "end_time": {"null"},
    "user_id": _TEXT_LIKE,
    "lifecycle_stage": {"null"},
    "artifact_uri": _TEXT_LIKE,
    "param_value": _TEXT_LIKE,
    "param_key": _NUMBERS_AS_TEXT,
    "metric_key": _NUMBERS_AS_TEXT,
    "metric_value": {"int-1e18", "minus-one", "float"},
    "metric_timestamp": {"int-1e18", "minus-one"},
    "metric_step": {"int-1e18", "minus-one"},
}


@dataclass
class DbCase:
    name: str
    column: str
    value: Any
    expect: str

    def __str__(self) -> str:
        return f"mlflow.db/{self.name}"


DB_CASES = [
    DbCase(f"{column}={label}", column, value, RUN if label in ok else SKIP)
    for column, ok in DB_COLUMNS.items()
    for label, value in DB_VALUES
]


@pytest.mark.slow
def test_hostile_mlflow_db_rows_are_reported_never_crash(tmp_path: Path) -> None:
    failures: list[str] = []
    db_path = tmp_path / "mlflow.db"
    db = loose_db(db_path)
    for index, case in enumerate(DB_CASES):
        run_id = f"{0xBAD00000 + index:08x}{'0' * 24}"
        _insert_run(db, run_id, "hostile", 0.25, **{case.column: case.value})
    db.commit()
    db.close()
    client = Client(f"sqlite:///{db_path}")
    runs, skipped = guarded(lambda: client.source.scan_runs(), TIMEOUT)
    read = {r.info.run_id for r in runs}
    reported = {s.path.rpartition("#run=")[2]: s for s in skipped}
    for index, case in enumerate(DB_CASES):
        run_id = f"{0xBAD00000 + index:08x}{'0' * 24}"
        if case.expect == RUN and run_id not in read:
            failures.append(f"{case}: a readable run was skipped: {reported.get(run_id)}")
        if case.expect == SKIP and run_id not in reported:
            failures.append(f"{case}: an invalid run was read instead of reported")
        if run_id in reported and not 0 < len(reported[run_id].reason) < 1000:
            failures.append(f"{case}: the reason is empty or too long")
        for call in (
            lambda r=run_id: client.get_run(r),
            lambda r=run_id: client.get_metric_history(r, "acc"),
        ):
            try:
                guarded(call, ITEM_TIMEOUT)
            except RunReportError:
                if run_id in read:
                    failures.append(f"{case}: get_run or get_metric_history failed on a read run")
            except Exception as exc:
                failures.append(f"{case}: {_describe(exc)}")
    good = {f"{0x600D0000 + i:08x}{'0' * 24}" for i in range(3)}
    found = guarded(lambda: client.search_runs(_store_experiments(client), FILTER), TIMEOUT)
    if {r.info.run_id for r in found} != good:
        failures.append(f"search_runs gave {sorted(r.info.run_id for r in found)}")
    site = tmp_path / "site"
    guarded(lambda: build_site(BuildOptions(runs_dirs=[db_path], output=site)), TIMEOUT)
    for run_id in good | (read & {f"{0xBAD00000 + i:08x}{'0' * 24}" for i in range(len(DB_CASES))}):
        if not (site / "runs" / f"{run_id}.html").is_file():
            failures.append(f"run {run_id} is missing from the site")
    result = CliRunner().invoke(
        main, ["runs", "list", "--source", str(db_path), "--format", "json"]
    )
    if result.exit_code != 0 or not good <= {row["run_id"] for row in json.loads(result.stdout)}:
        failures.append(f"runreport runs list failed: {result.output[-300:]}")
    assert not failures, "\n".join(failures[:60])


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _garbage_after_header(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + random.Random(SEED).randbytes(50_000))


def _sql(*statements: str) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        db = sqlite3.connect(path)
        for statement in statements:
            db.execute(statement)
        db.commit()
        db.close()

    return change


_ENDLESS = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
    "SELECT i AS run_uuid, i AS experiment_id, '' AS name, 'FINISHED' AS status, "
    "0 AS start_time, 0 AS end_time, '' AS user_id, 'active' AS lifecycle_stage, "
    "'' AS artifact_uri FROM n"
)
WHOLE_DB_CASES: list[tuple[str, Callable[[Path], None]]] = [
    ("empty-file", lambda p: p.write_bytes(b"")),
    ("garbage", lambda p: p.write_bytes(random.Random(SEED).randbytes(10_000))),
    ("garbage-after-header", _garbage_after_header),
    ("truncated", _truncated),
    ("no-runs-table", _sql("DROP TABLE runs")),
    ("no-metrics-table", _sql("DROP TABLE metrics")),
    ("no-latest-metrics-table", _sql("DROP TABLE latest_metrics")),
    ("no-params-table", _sql("DROP TABLE params")),
    ("no-experiments-table", _sql("DROP TABLE experiments")),
    ("runs-missing-column", _sql("ALTER TABLE runs DROP COLUMN artifact_uri")),
    ("metrics-missing-column", _sql("ALTER TABLE metrics DROP COLUMN is_nan")),
    ("runs-is-an-endless-view", _sql("DROP TABLE runs", f"CREATE VIEW runs AS {_ENDLESS}")),
    (
        "metrics-is-an-endless-view",
        _sql(
            "DROP TABLE metrics",
            "CREATE VIEW metrics AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
            "FROM n) SELECT 'acc' AS key, 1.0 AS value, 0 AS timestamp, i AS run_uuid, "
            "0 AS step, 0 AS is_nan FROM n",
        ),
    ),
    (
        "registry-garbage",
        _sql("UPDATE model_versions SET version = 'x' || version, source = x'ff'"),
    ),
    ("experiment-name-blob", _sql("UPDATE experiments SET name = x'ff00', creation_time = 'x'")),
]


@pytest.mark.parametrize("name, damage", WHOLE_DB_CASES, ids=[n for n, _ in WHOLE_DB_CASES])
def test_a_damaged_mlflow_db_fails_cleanly_and_never_hangs(
    name: str, damage: Callable[[Path], None], tmp_path: Path
) -> None:
    db_path = tmp_path / "mlflow.db"
    loose_db(db_path).close()
    damage(db_path)
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("search_runs", lambda: Client(f"sqlite:///{db_path}").search_runs(["1"], FILTER)),
        ("get_run", lambda: Client(f"sqlite:///{db_path}").get_run(f"{0x600D0000:08x}{'0' * 24}")),
        (
            "history",
            lambda: Client(f"sqlite:///{db_path}").get_metric_history(
                f"{0x600D0000:08x}{'0' * 24}", "acc"
            ),
        ),
        ("registry", lambda: Client(f"sqlite:///{db_path}").search_registered_models()),
        ("build", lambda: build_site(BuildOptions(runs_dirs=[db_path], output=tmp_path / "site"))),
    ]
    for what, call in calls:
        try:
            guarded(call, TIMEOUT)
        except RunReportError as exc:
            assert str(exc) and len(str(exc)) < 2000, f"{name}/{what}: {exc}"
    result = CliRunner().invoke(main, ["runs", "list", "--source", str(db_path)])
    assert result.exit_code in (0, 1), f"{name}: {result.output[-500:]}"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_a_build_of_an_mlruns_folder_reports_its_bad_runs(tmp_path: Path) -> None:
    bad = meta_case("fifo", lambda c: fifo, SKIP)
    batch = make_mlruns_batch(tmp_path / "store", [bad])
    report = guarded(
        lambda: build_site(BuildOptions(runs_dirs=[batch.root], output=batch.site)), TIMEOUT
    )
    (run_id,) = batch.cases
    assert any(run_id in problem.path for problem in report.problems), report.problems
    args = ["build", str(batch.root), "-o", str(batch.site), "--strict"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "(--strict)" in result.stderr, result.output
    assert f"Warning: skipped {batch.root / '2' / run_id}: meta.yaml" in result.stderr
