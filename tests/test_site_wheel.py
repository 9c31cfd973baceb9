"""The templates ship inside the wheel: build it, install it into a fresh virtual environment
and build a site with it; and every package folder is listed for setuptools."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")  # no tomllib on Python 3.10
    block = re.search(r"^packages = \[(.*?)\]", text, re.MULTILINE | re.DOTALL)
    assert block is not None, "pyproject.toml lists no [tool.setuptools] packages"
    listed = set(re.findall(r'"([\w.]+)"', block.group(1)))
    found = {
        ".".join(path.parent.relative_to(ROOT / "src").parts)
        for path in (ROOT / "src" / "runreport").rglob("__init__.py")
    }
    missing = sorted(found - listed)
    assert missing == [], f"add {missing} to [tool.setuptools] packages in pyproject.toml"
    assert '"runreport.templates" = "templates"' in text


@pytest.mark.slow
def test_wheel_ships_templates_and_builds_a_site(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "dist"),
        ],
        check=True,
        timeout=600,
    )
    wheel = next((tmp_path / "dist").glob("runreport-*.whl"))
    venv = tmp_path / "venv"
    # --system-site-packages: the heavy dependencies come from this interpreter; runreport
    # itself comes from the wheel (installed over it, and the checkout is not on the path).
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
        check=True,
        timeout=600,
    )
    runs = tmp_path / "runs"
    code = (
        "import runreport, runreport.site.render as r\n"
        f"runreport.set_tracking_uri({str(runs)!r})\n"
        "with runreport.start_run(run_name='w'):\n"
        "    runreport.log_metric('loss', 0.5)\n"
        "print(runreport.__file__)\n"
        "print(r.templates_dir())\n"
    )
    env = {"PATH": str(venv / "bin"), "HOME": str(tmp_path)}
    done = subprocess.run(
        [str(python), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    package, templates = done.stdout.split()
    assert package.startswith(str(venv)) and templates.startswith(str(venv))
    assert templates.endswith("runreport/templates")
    built = subprocess.run(
        [str(venv / "bin" / "runreport"), "build", str(runs), "-o", str(tmp_path / "site")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    assert "1 runs" in built.stderr
    assert (
        (tmp_path / "site" / "index.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    )
    assert (tmp_path / "site" / "assets" / "experiment.js").is_file()
