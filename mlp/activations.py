"""Hidden-layer activation functions and their derivatives.

Each activation comes in two forms:

* ``relu(z)``, ``tanh(z)``, ``sigmoid(z)`` return a new array, and
  ``relu_derivative(a)`` and friends return the derivative written from the
  output ``a = f(z)``, which is all the backward pass keeps.
* ``FORWARD[name](z, scratch)`` overwrites ``z`` with ``f(z)`` and
  ``BACKWARD[name](a, delta)`` multiplies ``delta`` by ``f'`` in place,
  overwriting ``a``. The training loop uses these to avoid temporaries.

All functions keep the dtype of their input.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ACTIVATION_NAMES",
    "BACKWARD",
    "FORWARD",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "tanh",
    "tanh_derivative",
]


def inplace_relu(z: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
    """Overwrite ``z`` with ``max(z, 0)``; ``scratch`` is unused."""
    np.maximum(z, 0, out=z)
    return z


def inplace_tanh(z: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
    """Overwrite ``z`` with ``tanh(z)``; ``scratch`` is unused."""
    np.tanh(z, out=z)
    return z


def inplace_sigmoid(z: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
    """Overwrite ``z`` with ``1 / (1 + exp(-z))`` without overflow.

    The numerator ``exp(min(z, 0))`` and the denominator ``1 + exp(-|z|)``
    only exponentiate non-positive numbers, so nothing overflows and very
    negative inputs keep full relative precision (down to subnormals).
    ``scratch`` is a buffer of the shape and dtype of ``z``; it is
    allocated when omitted. Exponent underflow to 0 is expected, so the
    caller should not set ``np.errstate(under="raise")``.
    """
    if scratch is None:
        scratch = np.empty_like(z)
    np.abs(z, out=scratch)
    np.negative(scratch, out=scratch)
    np.exp(scratch, out=scratch)
    scratch += 1
    np.minimum(z, 0, out=z)
    np.exp(z, out=z)
    z /= scratch
    return z


def inplace_relu_backward(a: np.ndarray, delta: np.ndarray) -> None:
    """Multiply ``delta`` by relu'(z), read from the output ``a``; ``a`` becomes 0/1."""
    # a >= 0, so (a > 0) written into a's own buffer is the 0/1 step function in
    # a's dtype (no bool mask). np.greater is vectorised, unlike np.sign, which
    # branches per element and ran 10-20x slower on half-zero ReLU outputs.
    # Both give exactly 1.0 or +0.0 for every finite a >= 0; a NaN a would give
    # 0 instead of NaN, but a NaN activation makes the loss NaN, and the
    # training step returns before the backward pass in that case.
    np.greater(a, 0, out=a)
    delta *= a


def inplace_tanh_backward(a: np.ndarray, delta: np.ndarray) -> None:
    """Multiply ``delta`` by ``1 - a**2``; ``a`` is overwritten."""
    np.multiply(a, a, out=a)
    np.subtract(1, a, out=a)
    delta *= a


def inplace_sigmoid_backward(a: np.ndarray, delta: np.ndarray) -> None:
    """Multiply ``delta`` by ``a * (1 - a)``; ``a`` is overwritten."""
    delta *= a
    np.subtract(1, a, out=a)
    delta *= a


FORWARD = {
    "relu": inplace_relu,
    "tanh": inplace_tanh,
    "sigmoid": inplace_sigmoid,
}
BACKWARD = {
    "relu": inplace_relu_backward,
    "tanh": inplace_tanh_backward,
    "sigmoid": inplace_sigmoid_backward,
}
ACTIVATION_NAMES = tuple(FORWARD)


def _as_float_array(x) -> np.ndarray:
    array = np.asarray(x)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return array


def relu(z) -> np.ndarray:
    """Return ``max(z, 0)`` elementwise."""
    return inplace_relu(np.array(_as_float_array(z), copy=True))


def tanh(z) -> np.ndarray:
    """Return ``tanh(z)`` elementwise."""
    return np.tanh(_as_float_array(z))


def sigmoid(z) -> np.ndarray:
    """Return the logistic function ``1 / (1 + exp(-z))`` elementwise.

    Never overflows: ``sigmoid(-1000) == 0.0``, ``sigmoid(1000) == 1.0`` and
    ``sigmoid(-745)`` is the smallest subnormal, with no warning even when
    overflow, division and invalid operations are set to raise.
    """
    z = np.array(_as_float_array(z), copy=True)
    with np.errstate(under="ignore"):
        return inplace_sigmoid(z)


def relu_derivative(a) -> np.ndarray:
    """Return relu'(z) from the output ``a = relu(z)``: 1 where ``a > 0``, else 0."""
    a = _as_float_array(a)
    return (a > 0).astype(a.dtype)


def tanh_derivative(a) -> np.ndarray:
    """Return tanh'(z) from the output ``a = tanh(z)``: ``1 - a**2``."""
    a = _as_float_array(a)
    return 1 - a * a


def sigmoid_derivative(a) -> np.ndarray:
    """Return sigmoid'(z) from the output ``a = sigmoid(z)``: ``a * (1 - a)``."""
    a = _as_float_array(a)
    return a * (1 - a)
