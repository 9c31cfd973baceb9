"""Take the README's screenshot of the demo's experiment page: python tests/browser/screenshot.py

Runs ``runreport demo`` into a temporary folder, opens the "Purchase Prediction" experiment page
in Debian's chromium and saves docs/screenshot.png (1280x800, light theme).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "docs" / "screenshot.png"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "src"))
    from playwright.sync_api import sync_playwright

    from runreport.demo import run_demo
    from runreport.site import paths
    from runreport.store.ids import experiment_id_for
    from tests.browser.conftest import ARGS, CHROMIUM

    with tempfile.TemporaryDirectory(prefix="runreport-shot-") as tmp:
        site = Path(tmp) / "site"
        run_demo(site, Path(tmp) / "workspace", say=lambda text: None)
        page_path = site / paths.experiment_page(experiment_id_for("Purchase Prediction"))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800}, color_scheme="light")
            page.goto(page_path.as_uri())
            page.wait_for_selector("body[data-ready]")
            page.screenshot(path=str(TARGET))
            browser.close()
    print(f"wrote {TARGET} ({TARGET.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
