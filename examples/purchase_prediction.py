"""The tutorial's walkthrough on a synthetic dataset: python examples/purchase_prediction.py

Predicts product purchases from page views and cart adds. Logs one fully instrumented linear
regression run (params, tags, metrics, an evaluation figure, a model with signature and input
example), then compares four model types, then searches the runs. Runs go to ./runs, or to
RUNREPORT_TRACKING_URI when set.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Lasso, LinearRegression, Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error
from sklearn.model_selection import train_test_split

import runreport as mlflow
import runreport.sklearn
from runreport.models.signature import infer_signature


def products(n: int = 500, seed: int = 42) -> pd.DataFrame:
    """A stand-in for the tutorial's gold.products table."""
    rng = np.random.default_rng(seed)
    views = rng.integers(50, 5000, n)
    cart_adds = (views * rng.uniform(0.02, 0.12, n)).astype("int64")
    noise = rng.normal(0, 4, n)
    purchases = (0.004 * views + 0.35 * cart_adds + noise).round().clip(0).astype("int64")
    return pd.DataFrame(
        {"views": views.astype("int64"), "cart_adds": cart_adds, "purchases": purchases}
    )


def evaluation_figure(y_test: pd.Series, y_pred: np.ndarray, r2: float) -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    axes[0].scatter(y_test, y_pred, alpha=0.5)
    axes[0].plot([y_test.min(), y_test.max()], [y_test.min(), y_test.max()], "r--")
    axes[0].set(xlabel="Actual Purchases", ylabel="Predicted Purchases")
    axes[0].set_title(f"Actual vs Predicted (R² = {r2:.4f})")
    axes[1].hist(y_test - y_pred, bins=30, edgecolor="black")
    axes[1].set(xlabel="Residuals", ylabel="Frequency", title="Residual Distribution")
    fig.tight_layout()
    return fig


def main() -> None:
    mlflow.set_experiment("Purchase Prediction")
    df = products()
    X, y = df[["views", "cart_adds"]], df["purchases"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)

    with mlflow.start_run(
        run_name="linear_regression_v1", description="Baseline from the tutorial"
    ):
        mlflow.log_params({"model_type": "LinearRegression", "test_size": 0.2, "random_state": 42})
        mlflow.log_params({"features": "views,cart_adds", "target": "purchases"})
        mlflow.set_tags({"team": "data-science", "dataset": "gold.products"})
        model = LinearRegression().fit(X_train, y_train)
        y_pred = model.predict(X_test)
        r2 = model.score(X_test, y_test)
        mlflow.log_metrics(
            {
                "r2_score": r2,
                "rmse": float(np.sqrt(mean_squared_error(y_test, y_pred))),
                "mae": mean_absolute_error(y_test, y_pred),
                "coef_views": model.coef_[0],
                "coef_cart_adds": model.coef_[1],
                "intercept": model.intercept_,
            }
        )
        fig = evaluation_figure(y_test, y_pred, r2)
        mlflow.log_figure(fig, "model_evaluation.png")
        plt.close(fig)
        signature = infer_signature(X_train, model.predict(X_train))
        mlflow.sklearn.log_model(
            model,
            "model",
            signature=signature,
            input_example=X_train.iloc[:3],
            registered_model_name="PurchasePredictionModel",
        )

    candidates = {
        "LinearRegression": LinearRegression(),
        "Ridge": Ridge(alpha=1.0),
        "Lasso": Lasso(alpha=0.1),
        "RandomForest": RandomForestRegressor(n_estimators=50, random_state=42),
    }
    for name, candidate in candidates.items():
        with mlflow.start_run(run_name=name):
            mlflow.log_param("model_type", name)
            candidate.fit(X_train, y_train)
            predicted = candidate.predict(X_test)
            mlflow.log_metric("r2_score", candidate.score(X_test, y_test))
            mlflow.log_metric("rmse", float(np.sqrt(mean_squared_error(y_test, predicted))))
            mlflow.sklearn.log_model(candidate, "model")

    runs = mlflow.search_runs(order_by=["metrics.r2_score DESC"])
    print(runs[["tags.mlflow.runName", "params.model_type", "metrics.r2_score", "metrics.rmse"]])
    print(f"\n{len(runs)} runs in {mlflow.get_tracking_uri()}; try: runreport runs list")


if __name__ == "__main__":
    main()
