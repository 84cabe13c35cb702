"""Kernels of one training step, working in buffers that live for one fit.

Shapes: ``X`` is (n, n_features); layer ``i`` has ``coefs[i]`` of shape
(fan_in, fan_out) and ``intercepts[i]`` of shape (fan_out,). Every buffer has
the working dtype, so float32 training never touches float64 arrays.
"""

from __future__ import annotations

import math

import numpy as np

from mlp.activations import BACKWARD, FORWARD


def he_initialize(layer_sizes, rng: np.random.Generator, dtype: np.dtype):
    """Return He-initialised ``(coefs, intercepts)`` for ``layer_sizes``.

    Weights are drawn from the untruncated normal N(0, 2 / fan_in) (He et al.,
    2015, "Delving deep into rectifiers"), biases are zero. Draws are made in
    float64 and rounded to ``dtype``, so float32 and float64 fits with the same
    seed start from the same weights up to rounding.
    """
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        weights = rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        coefs.append(np.ascontiguousarray(weights, dtype=dtype))
        intercepts.append(np.zeros(fan_out, dtype=dtype))
    return coefs, intercepts


def forward_logits(coefs, intercepts, X: np.ndarray, activation: str) -> np.ndarray:
    """Return the output logits for ``X`` in new arrays (used for prediction)."""
    forward = FORWARD[activation]
    values = X
    last = len(coefs) - 1
    for i, (weights, bias) in enumerate(zip(coefs, intercepts)):
        values = values @ weights
        values += bias
        if i < last:
            forward(values)
    return values


def all_finite(arrays) -> bool:
    """Return True when every element of every array is finite.

    A finite sum proves all elements finite; only a non-finite sum (which a
    huge but finite array can also produce) needs the exact elementwise check.
    """
    for array in arrays:
        if not math.isfinite(np.add.reduce(array, axis=None)) and not np.isfinite(array).all():
            return False
    return True


def row_maximum(values: np.ndarray, out: np.ndarray) -> None:
    """Write the maximum of each row of ``values`` into ``out`` of shape (n_rows, 1)."""
    n_columns = values.shape[1]
    if n_columns == 1 or n_columns > 8:
        np.max(values, axis=1, keepdims=True, out=out)
        return
    # For a few columns, one ufunc call per column beats np.max(axis=1), whose
    # per-row overhead dominates on narrow rows (about 40x faster for 2 columns).
    np.maximum(values[:, 0:1], values[:, 1:2], out=out)
    for column in range(2, n_columns):
        np.maximum(out, values[:, column : column + 1], out=out)


class Workspace:
    """Per-layer buffers for batches of up to ``max_rows`` rows, reused by every step.

    ``activations[i]`` stores the output of layer ``i``. For the last layer it
    stores the logits, then the probabilities, then the output delta.
    ``deltas[i]`` is the gradient of the loss with respect to the
    pre-activation of layer ``i`` (``deltas[-1]`` is ``activations[-1]``).
    """

    def __init__(self, layer_sizes, max_rows: int, dtype: np.dtype, activation: str):
        widths = layer_sizes[1:]
        self.activation = activation
        self.forward = FORWARD[activation]
        self.backward = BACKWARD[activation]
        self.activations = [np.empty((max_rows, width), dtype=dtype) for width in widths]
        self.deltas = [np.empty((max_rows, width), dtype=dtype) for width in widths[:-1]]
        self.deltas.append(self.activations[-1])
        self.coef_grads = [
            np.empty((fan_in, fan_out), dtype=dtype)
            for fan_in, fan_out in zip(layer_sizes[:-1], widths)
        ]
        self.intercept_grads = [np.empty(width, dtype=dtype) for width in widths]
        self.penalty_scratch = [np.empty_like(grad) for grad in self.coef_grads]
        self.row_max = np.empty((max_rows, 1), dtype=dtype)
        self.row_sum = np.empty((max_rows, 1), dtype=dtype)
        self.ones = np.ones(max_rows, dtype=dtype)
        self.class_ones = np.ones(widths[-1], dtype=dtype)

    def grads(self) -> list[np.ndarray]:
        """Return the gradient buffers in the order of ``params``: coefs, then intercepts."""
        return self.coef_grads + self.intercept_grads

    def forward_pass(self, coefs, intercepts, X: np.ndarray) -> np.ndarray:
        """Fill the activation buffers for the rows of ``X`` and return the logits view."""
        n_rows = X.shape[0]
        last = len(coefs) - 1
        values = X
        for i in range(len(coefs)):
            out = self.activations[i][:n_rows]
            np.matmul(values, coefs[i], out=out)
            out += intercepts[i]
            if i < last:
                # The delta buffer of this layer is free during the forward pass.
                self.forward(out, self.deltas[i][:n_rows])
            values = out
        return values

    def loss_and_output_delta(self, logits: np.ndarray, target_flat: np.ndarray) -> float:
        """Return the summed cross-entropy of the rows and leave their delta in ``logits``.

        ``target_flat`` contains, per row, the flat index of its target class in
        ``logits``. Softmax and cross-entropy are fused: the loss comes from the
        shifted logits by log-sum-exp, and the delta of the mean loss with
        respect to the logits is ``(probabilities - onehot) / n``, written over
        the probabilities.
        """
        n_rows = logits.shape[0]
        row_max = self.row_max[:n_rows]
        row_sum = self.row_sum[:n_rows]

        row_maximum(logits, row_max)
        logits -= row_max
        target_logits = logits.ravel().take(target_flat)
        np.exp(logits, out=logits)
        # A GEMV with a ones vector sums the rows far faster than np.sum(axis=1) on narrow rows.
        np.matmul(logits, self.class_ones, out=row_sum[:, 0])
        loss_sum = float(np.log(row_sum).sum()) - float(target_logits.sum())

        # Scaling by 1 / (n * row_sum) turns exp(shifted) into probabilities / n.
        row_sum *= n_rows
        np.reciprocal(row_sum, out=row_sum)
        logits *= row_sum
        flat = logits.ravel()
        flat[target_flat] -= 1.0 / n_rows
        return loss_sum

    def backward_pass(self, coefs, X: np.ndarray) -> None:
        """Fill the gradient buffers from the output delta; overwrites the activations."""
        n_rows = X.shape[0]
        ones = self.ones[:n_rows]
        for i in range(len(coefs) - 1, -1, -1):
            delta = self.deltas[i][:n_rows]
            inputs = X if i == 0 else self.activations[i - 1][:n_rows]
            np.matmul(inputs.T, delta, out=self.coef_grads[i])
            np.matmul(ones, delta, out=self.intercept_grads[i])
            if i > 0:
                previous_delta = self.deltas[i - 1][:n_rows]
                np.matmul(delta, coefs[i].T, out=previous_delta)
                self.backward(inputs, previous_delta)

    @staticmethod
    def l2_penalty(coefs, alpha: float, n_rows: int) -> float:
        """Return the L2 term ``alpha / (2 n) * sum ||W||^2`` of the loss."""
        squares = 0.0
        for weights in coefs:
            flat = weights.ravel()
            squares += float(np.dot(flat, flat))
        return 0.5 * alpha / n_rows * squares

    def add_l2_gradient(self, coefs, alpha: float, n_rows: int) -> None:
        """Add ``alpha / n * W``, the gradient of the L2 term, to the weight gradients."""
        scale = alpha / n_rows
        for weights, grad, scratch in zip(coefs, self.coef_grads, self.penalty_scratch):
            np.multiply(weights, scale, out=scratch)
            grad += scratch

    def step(self, coefs, intercepts, X, target_flat, alpha: float, optimizer) -> float:
        """Run one forward/backward/update step on the rows of ``X``; return the mean loss.

        The returned loss includes the L2 term and is computed before the
        update. When it is not finite the parameters are left unchanged.
        """
        n_rows = X.shape[0]
        logits = self.forward_pass(coefs, intercepts, X)

        loss = self.loss_and_output_delta(logits, target_flat) / n_rows
        if alpha:
            loss += self.l2_penalty(coefs, alpha, n_rows)
        if not math.isfinite(loss):
            return loss

        self.backward_pass(coefs, X)
        if alpha:
            self.add_l2_gradient(coefs, alpha, n_rows)

        optimizer.update(coefs + intercepts, self.grads())
        return loss
