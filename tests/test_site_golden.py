"""The golden site: a small fixed set of runs must build into exactly the committed files.

Regenerate with ``python tests/golden/regenerate.py`` after a deliberate change, and review
the diff of tests/golden/site/.
"""

from __future__ import annotations

from pathlib import Path

from tests.golden.regenerate import GOLDEN, build_golden, golden_files


def test_site_matches_the_golden_folder(tmp_path: Path) -> None:
    build_golden(tmp_path / "site")
    built, golden = golden_files(tmp_path / "site"), golden_files(GOLDEN)
    hint = "run `python tests/golden/regenerate.py` if the change is deliberate"
    assert sorted(built) == sorted(golden), hint
    changed = [name for name in built if built[name] != golden[name]]
    assert changed == [], f"{changed}: {hint}"


def test_golden_folder_is_small() -> None:
    total = sum(p.stat().st_size for p in GOLDEN.rglob("*") if p.is_file())
    assert total < 1024 * 1024
