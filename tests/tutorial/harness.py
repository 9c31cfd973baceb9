"""Run the tutorial's code blocks (../shared/seed/mlflow-basics.md) on runreport.

The only change made to the tutorial's code is the import lines (``import mlflow`` ->
``import runreport as mlflow`` ...). What the tutorial leaves undefined (``spark``,
``train_one_epoch``, the helpers of section 11.3, placeholder values) is defined here, on local
synthetic data, before the blocks run. Usage: python harness.py SEED_MD RUNS_DIR
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SECTIONS = ["3.4", "6.3", "9.8", "10.3", "10.2", "11.3"]  # 10.2 reads what 10.3 logs

IMPORTS = [
    (r"^(\s*)import mlflow\.sklearn\s*$", r"\1import runreport.sklearn"),
    (r"^(\s*)import mlflow\.pyfunc\s*$", r"\1import runreport.pyfunc"),
    (r"^(\s*)import mlflow\s*$", r"\1import runreport as mlflow"),
    (r"^(\s*)from mlflow\.models\.signature import", r"\1from runreport.models.signature import"),
    (r"^(\s*)from mlflow import", r"\1from runreport import"),
]


def code_block(markdown: str, section: str) -> str:
    """The first python block after the heading of ``section``."""
    heading = re.search(rf"^###+ {re.escape(section)}\b.*$", markdown, re.M)
    if heading is None:
        raise SystemExit(f"section {section} not found in the tutorial")
    block = re.search(r"```python\n(.*?)```", markdown[heading.end() :], re.S)
    assert block is not None, section
    return block.group(1)


def port(code: str) -> str:
    """Change the import lines, and nothing else."""
    lines = []
    for line in code.splitlines():
        for pattern, replacement in IMPORTS:
            line = re.sub(pattern, replacement, line)
        lines.append(line)
    return "\n".join(lines) + "\n"


PREAMBLE = '''
import os
import matplotlib
matplotlib.use("Agg")
import numpy as np
import pandas as pd
from pathlib import Path

rng = np.random.default_rng(7)
_views = rng.integers(50, 5000, 400)
_cart = (_views * rng.uniform(0.02, 0.12, 400)).astype("int64")
_products = pd.DataFrame({
    "views": _views.astype("int64"),
    "cart_adds": _cart,
    "purchases": (0.004 * _views + 0.35 * _cart + rng.normal(0, 3, 400)).round().astype("int64"),
})


class _Table:
    def __init__(self, frame):
        self._frame = frame

    def toPandas(self):
        return self._frame.copy()


class _LocalSpark:
    """Stands in for the tutorial's Spark session: local data, same two calls."""

    def table(self, name):
        assert name == "gold.products", name
        return _Table(_products)


spark = _LocalSpark()

# Placeholders of section 3.4.
value, v1, v2 = 0.01, 1, 2
Path("path/to").mkdir(parents=True, exist_ok=True)
Path("path/to/file").write_text("an artifact")
Path("path/to/directory").mkdir(parents=True, exist_ok=True)
Path("path/to/directory/a.txt").write_text("a")

# Section 6.3's training loop.
_epoch = {"n": 0}


def train_one_epoch():
    _epoch["n"] += 1
    return 2.5 / _epoch["n"]


def validate():
    return 2.7 / _epoch["n"] + 0.1


# Section 11.3's helpers.
def create_model(params):
    from sklearn.linear_model import Ridge
    return Ridge(alpha=float(params.get("alpha", 1.0)))


def evaluate_model(model, X, y):
    from sklearn.metrics import mean_absolute_error
    predicted = model.predict(X)
    return {"r2_score": float(model.score(X, y)), "mae": float(mean_absolute_error(y, predicted))}


def log_visualizations(model, X, y):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.scatter(y, model.predict(X))
    mlflow.log_figure(fig, "actual_vs_predicted.png")
    plt.close(fig)
'''

EPILOGUE_11_3 = """
model, metrics = train_model({"run_name": "ridge_alpha_0.5", "alpha": 0.5})
print("11.3 metrics:", metrics)
"""


def main() -> None:
    markdown = Path(sys.argv[1]).read_text(encoding="utf-8")
    namespace: dict[str, object] = {"__name__": "__main__"}
    os_env_root = sys.argv[2]
    exec(PREAMBLE, namespace)
    import runreport

    runreport.set_tracking_uri(os_env_root)
    for section in SECTIONS:
        code = port(code_block(markdown, section))
        print(f"--- section {section}")
        exec(compile(code, f"<tutorial {section}>", "exec"), namespace)
        if section == "11.3":
            exec(EPILOGUE_11_3, namespace)
        runreport.end_run()  # each section is its own script: leave no run open


if __name__ == "__main__":
    main()
