"""Identifiers: run ids, experiment ids and readable run names.

Run ids are 32 lower-case hex digits like MLflow's, laid out as a UUID version 7: the first 48
bits are the creation time in milliseconds, so ids sort by creation time; the remaining bits are
random, so ids made on different machines do not collide.

Experiment ids are derived from the experiment name (an 18-digit decimal string, the shape of
MLflow's ids): two machines that create "Purchase Prediction" independently get the same id, so
their run folders merge cleanly in git. ``Default`` is ``"0"`` as in MLflow.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time

from runreport.store.format import DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_run_id(now_ms: int | None = None) -> str:
    """A UUIDv7-shaped run id; ids made by one process are strictly increasing."""
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
        if ms <= _last_ms:
            ms = _last_ms
            _counter += 1
            if _counter >= 1 << 12:  # more than 4096 ids in one ms: borrow the next ms
                ms, _counter = ms + 1, 0
        else:
            _counter = 0
        _last_ms = ms
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
    return f"{value:032x}"


def run_id_time_ms(run_id: str) -> int | None:
    """The creation time encoded in a runreport run id, or None for other ids (e.g. MLflow's)."""
    if len(run_id) != 32 or run_id[12] != "7":
        return None
    try:
        return int(run_id[:12], 16)
    except ValueError:
        return None


def experiment_id_for(name: str, attempt: int = 0) -> str:
    """The id an experiment called ``name`` gets; ``attempt`` > 0 picks another on a clash."""
    if name == DEFAULT_EXPERIMENT_NAME and attempt == 0:
        return DEFAULT_EXPERIMENT_ID
    salt = f"\x00{attempt}" if attempt else ""
    digest = hashlib.sha256(f"runreport-experiment\x00{name}{salt}".encode()).digest()
    return str(10**17 + int.from_bytes(digest[:8], "big") % (9 * 10**17))


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_ADJECTIVES = _words(
    "able amber ample bold brave bright brisk calm clever crisp curious dapper daring eager "
    "earnest fair fancy fast fearless gentle glad gleaming golden grand happy honest humble "
    "jolly keen kind lively loyal lucky merry mighty modest neat nimble noble plucky polite "
    "proud quick quiet rare rapid rustic serene sharp shiny silent sleek smart snappy spry "
    "steady stellar sunny swift tidy upbeat vivid warm wise witty zesty "
)
_NOUNS = _words(
    "ant badger bass bat bear bee bison boar carp cat cod colt crab crane crow deer dog "
    "dove duck eagle eel elk falcon finch fish fox frog gnat goat goose gull hare hawk hen "
    "heron horse hound jay kit koala lamb lark lion lynx mole moth mouse mule newt owl ox "
    "panda perch pig pony puma quail ram robin seal shark sheep shrew slug snail snake sow "
    "squid stag swan tern toad trout wasp whale wolf worm wren yak zebra "
)


def new_run_name(rng: random.Random | None = None) -> str:
    """A readable run name such as ``brave-otter-417``, as MLflow generates when none is given."""
    pick = rng or random.SystemRandom()
    return f"{pick.choice(_ADJECTIVES)}-{pick.choice(_NOUNS)}-{pick.randint(0, 999)}"
