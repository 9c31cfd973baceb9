"""Regenerate the golden comparison reports: python tests/golden_reports/regenerate.py"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from tests.golden_reports.cases import CASES, render_case  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name in CASES:
            (HERE / f"{name}").write_text(render_case(name, Path(tmp) / name), encoding="utf-8")
            print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
