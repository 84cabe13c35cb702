"""Train one grid cell and measure it at every iteration budget.

One fit of the largest budget reports the smaller budgets as checkpoints;
the mlp package guarantees each checkpoint equals a separate fit of that
budget.  The result is a JSON-ready dict, the contract read by aggregation.
"""

from __future__ import annotations

import time

import numpy as np

from mlp import MLPClassifier, log_softmax, softmax

from .metrics import classification_report

SPLITS = ("train", "validation", "test")
# A training loss above this many times the reference loss (the first
# iteration's loss, or ln(n_classes) when that is larger) marks a cell
# diverged.  A cross-entropy of 10,000 x ln(2) needs logit gaps near 7,000, so
# the weights exploded.  The network itself stops only on a non-finite loss
# or weight.  After such an explosion it often settles with dead ReLUs at a
# finite loss and "converges": learning rate 0.1 and 500 ReLU units on
# unscaled inputs do this in float32 and float64.
DIVERGENCE_LOSS_FACTOR = 1e4


def finite_or_none(values) -> list:
    """Return floats with non-finite values as None, since JSON has no NaN."""
    return [float(value) if np.isfinite(value) else None for value in values]


def build_model(params: dict) -> MLPClassifier:
    """Return an unfitted network for a cell's params."""
    early_stopping = params.get("early_stopping", "train")
    return MLPClassifier(
        hidden_layer_sizes=(int(params["hidden"]),) * int(params["layers"]),
        activation=params["activation"],
        optimizer=params.get("optimizer", "gd"),
        learning_rate=float(params["learning_rate"]),
        max_iter=int(params["max_iter"]),
        batch_size=params.get("batch_size"),
        alpha=float(params.get("alpha", 0.0)),
        momentum=float(params.get("momentum", 0.9)),
        tol=float(params["tol"]),
        n_iter_no_change=int(params["n_iter_no_change"]),
        early_stopping=bool(early_stopping),
        random_state=int(params["seed"]),
        dtype=params["dtype"],
    )


def evaluate(model: MLPClassifier, X: np.ndarray, y: np.ndarray) -> tuple[dict, np.ndarray]:
    """Return the loss and classification metrics on one split, and the predicted class indices.

    One forward pass serves every number. The loss, probabilities and
    predictions equal those of ``model.loss``, ``model.predict_proba`` and
    ``model.predict``, which each run their own pass.
    """
    logits = model.decision_function(X)
    probabilities = softmax(logits)
    y_index = np.searchsorted(model.classes_, y)
    y_pred = np.argmax(probabilities, axis=1)
    report = classification_report(y_index, y_pred, probabilities, len(model.classes_))
    with np.errstate(all="ignore"):
        log_probabilities = log_softmax(logits)[np.arange(y_index.size), y_index]
        report["loss"] = 0.0 - float(log_probabilities.mean())
    return report, np.argmax(logits, axis=1)


def exploded_iteration(loss_curve, n_classes: int) -> int | None:
    """Return the first iteration (from 1) whose finite loss exceeds the divergence bound, or None.

    The bound is ``DIVERGENCE_LOSS_FACTOR`` times the larger of the first
    iteration's loss and ln(n_classes).
    """
    losses = np.asarray(loss_curve, dtype=np.float64)
    if losses.size == 0 or not np.isfinite(losses[0]):
        return None
    bound = DIVERGENCE_LOSS_FACTOR * max(float(losses[0]), float(np.log(n_classes)))
    above = np.flatnonzero(np.isfinite(losses) & (losses > bound))
    return int(above[0]) + 1 if above.size else None


def measure_budget(model: MLPClassifier, budget: int, splits: dict, competition_X) -> dict:
    """Return status and metrics of the checkpoint at one iteration budget.

    The status is ``diverged`` when the network stopped on a non-finite loss or
    weight, or when its training loss exceeded the divergence bound (see
    ``exploded_iteration``) within the budget.  Every metric of a diverged
    budget is None.
    ``n_iter`` and ``stop_reason`` stay those of the network.
    """
    entry = {
        "iterations": int(budget),
        "n_iter": int(model.n_iter_),
        "stop_reason": model.stop_reason_,
    }
    exploded = exploded_iteration(model.loss_curve_, len(model.classes_))
    if model.stop_reason_ == "diverged" or exploded is not None:
        entry["status"] = "diverged"
        for split in SPLITS:
            entry[split] = {key: None for key in ("loss", "accuracy", "balanced_accuracy", "macro_f1", "roc_auc")}
        return entry

    for split in SPLITS:
        entry[split], predicted = evaluate(model, *splits[split])
        if split == "validation":
            entry["status"] = "one_class" if np.unique(predicted).size == 1 else "ok"
    if competition_X is not None:
        entry["competition_predictions"] = [str(label) for label in model.predict(competition_X)]
    return entry


def train_cell(splits: dict, params: dict, budgets, competition_X=None) -> dict:
    """Fit one cell once and return its metrics at each budget.

    ``splits`` maps ``train``, ``validation`` and ``test`` to ``(X, y)``
    pairs.  ``params`` contains every hyper-parameter of the cell (see
    ``gridstudy.grid.expand_study``).  The test split is measured for the
    record only; selection never reads it.
    """
    budgets = sorted(int(budget) for budget in budgets)
    dtype = np.dtype(params["dtype"])
    splits = {name: (np.ascontiguousarray(X, dtype=dtype), y) for name, (X, y) in splits.items()}
    if competition_X is not None:
        competition_X = np.ascontiguousarray(competition_X, dtype=dtype)
    model = build_model(params)
    validation_data = splits["validation"] if params.get("early_stopping") == "validation" else None

    start = time.perf_counter()
    model.fit(*splits["train"], validation_data=validation_data, checkpoints=budgets)
    fit_seconds = time.perf_counter() - start

    validation_curve = getattr(model, "validation_loss_curve_", None)
    return {
        "params": params,
        "n_classes": int(len(model.classes_)),
        "n_features": int(splits["train"][0].shape[1]),
        "n_parameters": int(model.n_parameters_),
        "nbytes": int(model.nbytes_),
        "fit_seconds": round(fit_seconds, 6),
        "loss_curve": finite_or_none(model.loss_curve_),
        "validation_loss_curve": None if validation_curve is None else finite_or_none(validation_curve),
        "budgets": [
            measure_budget(model.checkpoints_[budget], budget, splits, competition_X) for budget in budgets
        ],
    }
