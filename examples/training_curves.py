"""Per-epoch curves, a nested sweep and a failed run: python examples/training_curves.py

A small gradient-descent regressor logs train and validation loss at every epoch (``step=``);
a parent "sweep" run holds one child run per learning rate; one child diverges and fails, as
training jobs do, and is recorded as FAILED.
"""

from __future__ import annotations

import numpy as np

import runreport as mlflow


class DivergedError(RuntimeError):
    """The loss became NaN or exploded."""


def train(learning_rate: float, epochs: int, rng: np.random.Generator) -> float:
    """Fit y = 3x + 2 by gradient descent, logging both losses each epoch; return the final loss."""
    x = rng.uniform(-1, 1, 256)
    y = 3 * x + 2 + rng.normal(0, 0.1, 256)
    x_val, y_val = x[:64], y[:64]
    w = b = 0.0
    val_loss = float("nan")
    for epoch in range(epochs):
        error = w * x + b - y
        w -= learning_rate * 2 * float(np.mean(error * x))
        b -= learning_rate * 2 * float(np.mean(error))
        train_loss = float(np.mean(error**2))
        val_loss = float(np.mean((w * x_val + b - y_val) ** 2))
        mlflow.log_metrics({"train_loss": train_loss, "val_loss": val_loss}, step=epoch)
        if not np.isfinite(train_loss) or train_loss > 1e6:
            raise DivergedError(f"diverged at epoch {epoch} (loss {train_loss:.3g})")
    return val_loss


def main() -> None:
    mlflow.set_experiment("Training Curves")
    rng = np.random.default_rng(0)
    with mlflow.start_run(
        run_name="lr-sweep", description="Learning-rate sweep; **lr=2.5 diverges**."
    ):
        mlflow.log_param("epochs", 60)
        for lr in (0.01, 0.05, 0.2, 2.5):
            try:
                with mlflow.start_run(run_name=f"lr={lr}", nested=True):
                    mlflow.log_params({"learning_rate": lr, "epochs": 60})
                    final = train(lr, 60, rng)
                    mlflow.log_metric("final_val_loss", final)
                    print(f"lr={lr}: final val_loss {final:.4f}")
            except DivergedError as exc:
                print(f"lr={lr}: {exc} (run marked FAILED)")


if __name__ == "__main__":
    main()
