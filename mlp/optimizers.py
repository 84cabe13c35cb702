"""Parameter update rules; every update works in place on the parameter arrays.

``update(params, grads)`` consumes ``grads``: the arrays are used as scratch
space and hold no meaningful values afterwards. Scalars are Python floats, so
NumPy keeps float32 parameters in float32.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["OPTIMIZER_NAMES", "Adam", "GradientDescent", "MomentumSGD", "make_optimizer"]


class GradientDescent:
    """Plain gradient descent: ``p -= learning_rate * g``."""

    def __init__(self, params: list[np.ndarray], learning_rate: float):
        self.learning_rate = float(learning_rate)

    def update(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for param, grad in zip(params, grads):
            grad *= self.learning_rate
            param -= grad


class MomentumSGD:
    """Gradient descent with heavy-ball momentum.

    ``v = momentum * v - learning_rate * g`` and then ``p += v``, with ``v``
    starting at zero. ``momentum=0`` is plain gradient descent.
    """

    def __init__(self, params: list[np.ndarray], learning_rate: float, momentum: float):
        self.learning_rate = float(learning_rate)
        self.momentum = float(momentum)
        self.velocities = [np.zeros_like(param) for param in params] if self.momentum else []

    def update(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        if not self.momentum:
            for param, grad in zip(params, grads):
                grad *= self.learning_rate
                param -= grad
            return
        for param, grad, velocity in zip(params, grads, self.velocities):
            velocity *= self.momentum
            grad *= self.learning_rate
            velocity -= grad
            param += velocity


class Adam:
    """Adam (Kingma and Ba, 2015, Algorithm 1) with bias-corrected moments.

    At step ``t`` (from 1): ``m = beta_1 * m + (1 - beta_1) * g``,
    ``v = beta_2 * v + (1 - beta_2) * g**2`` and
    ``p -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)`` with
    ``m_hat = m / (1 - beta_1**t)`` and ``v_hat = v / (1 - beta_2**t)``.
    """

    def __init__(
        self,
        params: list[np.ndarray],
        learning_rate: float,
        beta_1: float,
        beta_2: float,
        epsilon: float,
    ):
        self.learning_rate = float(learning_rate)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        self.first_moments = [np.zeros_like(param) for param in params]
        self.second_moments = [np.zeros_like(param) for param in params]
        self.scratch = [np.empty_like(param) for param in params]

    def update(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.t += 1
        step_size = self.learning_rate / (1.0 - self.beta_1**self.t)
        inverse_root_correction = 1.0 / math.sqrt(1.0 - self.beta_2**self.t)
        moments = zip(params, grads, self.first_moments, self.second_moments, self.scratch)
        for param, grad, first, second, scratch in moments:
            first *= self.beta_1
            np.multiply(grad, 1.0 - self.beta_1, out=scratch)
            first += scratch

            second *= self.beta_2
            np.multiply(grad, grad, out=scratch)
            scratch *= 1.0 - self.beta_2
            second += scratch

            # scratch = sqrt(v_hat) + epsilon, then m / scratch.
            np.sqrt(second, out=scratch)
            scratch *= inverse_root_correction
            scratch += self.epsilon
            np.divide(first, scratch, out=scratch)
            scratch *= step_size
            param -= scratch


OPTIMIZER_NAMES = ("gd", "sgd", "adam")


def make_optimizer(name: str, params: list[np.ndarray], estimator) -> object:
    """Build the optimizer ``name`` for ``params`` from the estimator's hyper-parameters."""
    if name == "gd":
        return GradientDescent(params, estimator.learning_rate)
    if name == "sgd":
        return MomentumSGD(params, estimator.learning_rate, estimator.momentum)
    if name == "adam":
        return Adam(
            params, estimator.learning_rate, estimator.beta_1, estimator.beta_2, estimator.epsilon
        )
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZER_NAMES)}; got {name!r}")
