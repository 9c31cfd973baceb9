"""Four model types, four runs; the best is registered: python examples/model_comparison.py

LinearRegression, Ridge, Lasso and RandomForest are trained on the same synthetic purchases data
(the tutorial's section 10.3). The run with the best r2_score on the test split is registered
as a new version of PurchasePredictionModel in ./stages.yaml (or RUNREPORT_REGISTRY) and moved
to Staging; earlier Staging versions are archived.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Lasso, LinearRegression, Ridge
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split

import runreport as mlflow
import runreport.sklearn
from runreport.models.signature import infer_signature

MODEL_NAME = "PurchasePredictionModel"


def products(n: int = 500, seed: int = 42):  # type: ignore[no-untyped-def]
    import pandas as pd

    rng = np.random.default_rng(seed)
    views = rng.integers(50, 5000, n)
    cart_adds = (views * rng.uniform(0.02, 0.12, n)).astype("int64")
    purchases = (0.004 * views + 0.35 * cart_adds + rng.normal(0, 4, n)).round().clip(0)
    return pd.DataFrame(
        {
            "views": views.astype("int64"),
            "cart_adds": cart_adds,
            "purchases": purchases.astype("int64"),
        }
    )


def main() -> None:
    mlflow.set_experiment("Purchase Prediction")
    df = products()
    X, y = df[["views", "cart_adds"]], df["purchases"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    models = {
        "LinearRegression": LinearRegression(),
        "Ridge": Ridge(alpha=1.0),
        "Lasso": Lasso(alpha=0.1),
        "RandomForest": RandomForestRegressor(n_estimators=50, max_depth=6, random_state=42),
    }
    scores = {}
    for name, model in models.items():
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_param("model_type", name)
            mlflow.log_params(
                {k: v for k, v in model.get_params().items() if isinstance(v, (int, float, str))}
            )
            model.fit(X_train, y_train)
            predicted = model.predict(X_test)
            r2 = model.score(X_test, y_test)
            mlflow.log_metrics(
                {"r2_score": r2, "rmse": float(np.sqrt(mean_squared_error(y_test, predicted)))}
            )
            signature = infer_signature(X_train, model.predict(X_train))
            mlflow.sklearn.log_model(
                model, "model", signature=signature, input_example=X_train.iloc[:3]
            )
            scores[run.info.run_id] = (r2, name)
            print(f"{name}: R² = {r2:.4f}")
    best_run, (best_r2, best_name) = max(scores.items(), key=lambda item: item[1][0])
    version = mlflow.register_model(f"runs:/{best_run}/model", MODEL_NAME)
    client = mlflow.Client()
    client.update_model_version(
        MODEL_NAME, version.version, description=f"{best_name}, R² {best_r2:.4f}"
    )
    client.transition_model_version_stage(
        MODEL_NAME, version.version, "Staging", archive_existing_versions=True
    )
    print(f"registered {MODEL_NAME} v{version.version} ({best_name}) and moved it to Staging")


if __name__ == "__main__":
    main()
