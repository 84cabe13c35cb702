"""Softmax and the cross-entropy loss computed from logits."""

from __future__ import annotations

import numpy as np

__all__ = ["cross_entropy", "log_softmax", "softmax"]


def _as_logits(logits) -> np.ndarray:
    logits = np.asarray(logits)
    if not np.issubdtype(logits.dtype, np.floating):
        logits = logits.astype(np.float64)
    if logits.ndim != 2:
        raise ValueError(
            f"logits must be a 2-D array of shape (n_samples, n_classes); got shape {logits.shape}"
        )
    return logits


def softmax(logits) -> np.ndarray:
    """Return row-wise softmax probabilities of ``logits`` (n_samples, n_classes).

    Each row is shifted by its maximum first, so ``exp`` never overflows and a
    per-row constant added to the logits does not change the result.
    """
    logits = _as_logits(logits)
    probabilities = logits - logits.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        np.exp(probabilities, out=probabilities)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return probabilities


def log_softmax(logits) -> np.ndarray:
    """Return row-wise log-probabilities, computed with log-sum-exp."""
    logits = _as_logits(logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        exponentials = np.exp(shifted)
    # The row maximum contributes exp(0) = 1; summing the other terms apart
    # and using log1p keeps precision when one class dominates.
    rows = np.arange(shifted.shape[0])
    exponentials[rows, shifted.argmax(axis=1)] = 0
    return shifted - np.log1p(exponentials.sum(axis=1, keepdims=True))


def cross_entropy(logits, y_index) -> tuple[float, np.ndarray]:
    """Return the mean cross-entropy of softmax(``logits``) and its gradient.

    ``logits`` has shape (n_samples, n_classes) and ``y_index`` contains the
    integer class index of each sample. The loss is the mean over samples of
    ``-log softmax(logits)[i, y_index[i]]``, computed from the logits with
    log-sum-exp, so it is finite even where a probability rounds to 0 or 1.
    The gradient with respect to the logits is ``(softmax(logits) - onehot) / n``:
    softmax and cross-entropy are differentiated together, which avoids the
    per-sample softmax Jacobian. Each gradient row sums to 0 up to rounding.
    """
    logits = _as_logits(logits)
    y_index = np.asarray(y_index)
    n_samples, n_classes = logits.shape
    if y_index.shape != (n_samples,):
        raise ValueError(
            f"y_index must have shape ({n_samples},) to match logits; got {y_index.shape}"
        )
    if not np.issubdtype(y_index.dtype, np.integer):
        raise ValueError(f"y_index must hold integer class indices; got dtype {y_index.dtype}")
    if n_samples == 0:
        raise ValueError("cross_entropy needs at least one sample; logits has 0 rows")
    if y_index.min() < 0 or y_index.max() >= n_classes:
        raise ValueError(
            f"y_index values must lie in [0, {n_classes - 1}]; got min {y_index.min()}, "
            f"max {y_index.max()}"
        )

    rows = np.arange(n_samples)
    log_probabilities = log_softmax(logits)
    # 0.0 - x rather than -x, so a perfect prediction gives 0.0 and not -0.0.
    loss = 0.0 - float(log_probabilities[rows, y_index].mean())

    with np.errstate(under="ignore"):
        gradient = np.exp(log_probabilities)
    gradient[rows, y_index] -= 1
    gradient /= n_samples
    return loss, gradient
