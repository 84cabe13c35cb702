"""Classification metrics over integer class indices, in plain NumPy.

Every function takes ``y_true`` and ``y_pred`` as integer arrays of shape
(n_samples,) holding indices into the model's ``classes_``.
"""

from __future__ import annotations

import numpy as np


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Return the fraction of samples predicted correctly."""
    return float(np.mean(y_true == y_pred))


def _confusion(y_true, y_pred, n_classes: int) -> np.ndarray:
    counts = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def balanced_accuracy(y_true, y_pred, n_classes: int) -> float:
    """Return the mean recall over the classes present in ``y_true``."""
    confusion = _confusion(y_true, y_pred, n_classes)
    support = confusion.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(confusion)[present] / support[present]))


def macro_f1(y_true, y_pred, n_classes: int) -> float:
    """Return the unweighted mean F1 over classes present in ``y_true`` or ``y_pred``.

    A class with no true and no predicted samples is left out; a class with
    samples but no correct prediction scores 0.
    """
    confusion = _confusion(y_true, y_pred, n_classes)
    true_positive = np.diag(confusion).astype(np.float64)
    support = confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)
    present = (support + predicted) > 0
    scores = 2 * true_positive[present] / (support[present] + predicted[present])
    return float(np.mean(scores))


def roc_auc(y_true: np.ndarray, score: np.ndarray) -> float | None:
    """Return the binary ROC AUC of ``score`` (probability of class 1).

    Computed as the Mann-Whitney statistic with tied scores given their mean
    rank.  Returns None when ``y_true`` contains a single class.
    """
    positives = y_true == 1
    n_positive = int(positives.sum())
    n_negative = y_true.size - n_positive
    if n_positive == 0 or n_negative == 0:
        return None
    order = np.argsort(score, kind="mergesort")
    sorted_scores = score[order]
    ranks = np.empty(score.size, dtype=np.float64)
    # Each run of equal scores gets the mean of the ranks it spans.
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], score.size]
    mean_ranks = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(mean_ranks, ends - starts)
    rank_sum = ranks[positives].sum()
    return float((rank_sum - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative))


def classification_report(y_true, y_pred, probabilities: np.ndarray, n_classes: int) -> dict:
    """Return accuracy, balanced accuracy, macro F1 and (binary only) ROC AUC."""
    report = {
        "accuracy": accuracy(y_true, y_pred),
        "balanced_accuracy": balanced_accuracy(y_true, y_pred, n_classes),
        "macro_f1": macro_f1(y_true, y_pred, n_classes),
        "roc_auc": None,
    }
    if n_classes == 2:
        report["roc_auc"] = roc_auc(y_true, probabilities[:, 1])
    return report
