"""Gradients against finite differences, a step worked by hand, and optimizer updates."""

import math

import numpy as np
import pytest

from mlp import MLPClassifier, cross_entropy
from mlp._training import Workspace, forward_logits, he_initialize
from mlp.optimizers import Adam, GradientDescent, MomentumSGD


class GradientRecorder:
    """Optimizer stand-in that stores copies of the gradients and changes nothing."""

    def update(self, params, grads):
        self.grads = [grad.copy() for grad in grads]


def penalized_loss(coefs, intercepts, X, y, activation, alpha):
    logits = forward_logits(coefs, intercepts, X, activation)
    loss, _ = cross_entropy(logits, y)
    squares = sum(float(np.sum(weights**2)) for weights in coefs)
    return loss + 0.5 * alpha / X.shape[0] * squares


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("hidden", [(5,), (4, 3), (3, 4, 3)])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_gradients_match_finite_differences(activation, hidden, n_classes):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(6, 3))
    y = np.arange(6) % n_classes
    layer_sizes = (3, *hidden, n_classes)
    coefs, intercepts = he_initialize(layer_sizes, rng, np.dtype(np.float64))
    for bias in intercepts:
        bias[:] = rng.normal(scale=0.1, size=bias.shape)
    alpha = 0.3

    workspace = Workspace(layer_sizes, 6, np.dtype(np.float64), activation)
    recorder = GradientRecorder()
    target_flat = np.arange(6) * n_classes + y
    loss = workspace.step(coefs, intercepts, X, target_flat, alpha, recorder)
    assert loss == pytest.approx(penalized_loss(coefs, intercepts, X, y, activation, alpha), rel=1e-12)

    params = coefs + intercepts
    step = 1e-6
    for param, analytic in zip(params, recorder.grads):
        numeric = np.empty_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + step
            upper = penalized_loss(coefs, intercepts, X, y, activation, alpha)
            param[index] = saved - step
            lower = penalized_loss(coefs, intercepts, X, y, activation, alpha)
            param[index] = saved
            numeric[index] = (upper - lower) / (2 * step)
        error = np.linalg.norm(analytic - numeric) / max(
            np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-12
        )
        assert error < 1e-6, f"relative error {error:.2e} for a parameter of shape {param.shape}"


def test_gradient_descent_step_by_hand():
    # Network 2-1-2 with relu; one sample x = (1, 2) of class 0.
    coefs = [np.array([[0.5], [0.25]]), np.array([[1.0, -1.0]])]
    intercepts = [np.zeros(1), np.zeros(2)]
    X = np.array([[1.0, 2.0]])
    # Hidden z = 0.5 + 0.5 = 1, h = 1; logits (1, -1); p = (sigmoid(2), sigmoid(-2)).
    p0, p1 = 1 / (1 + math.exp(-2)), 1 / (1 + math.exp(2))
    expected_loss = math.log(1 + math.exp(-2))
    # Output delta p - onehot = (-p1, p1); hidden delta = -p1 * 1 + p1 * -1 = -2 p1.
    learning_rate = 0.1
    expected_coefs = [
        np.array([[0.5 + learning_rate * 2 * p1], [0.25 + learning_rate * 4 * p1]]),
        np.array([[1.0 + learning_rate * p1, -1.0 - learning_rate * p1]]),
    ]
    expected_intercepts = [np.array([learning_rate * 2 * p1]), np.array([learning_rate * p1, -learning_rate * p1])]
    assert p0 + p1 == pytest.approx(1.0)

    workspace = Workspace((2, 1, 2), 1, np.dtype(np.float64), "relu")
    optimizer = GradientDescent(coefs + intercepts, learning_rate)
    loss = workspace.step(coefs, intercepts, X, np.array([0]), 0.0, optimizer)

    assert loss == pytest.approx(expected_loss, rel=1e-15)
    for actual, expected in zip(coefs + intercepts, expected_coefs + expected_intercepts):
        np.testing.assert_allclose(actual, expected, rtol=1e-15, atol=1e-17)


def test_first_fit_iteration_is_one_gradient_step():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 4))
    y = np.where(X[:, 0] > 0, "b", "a")
    model = MLPClassifier(hidden_layer_sizes=(5,), activation="tanh", learning_rate=0.3,
                          alpha=0.1, max_iter=1, random_state=11).fit(X, y)

    coefs, intercepts = he_initialize((4, 5, 2), np.random.default_rng(11), np.dtype(np.float64))
    y_index = (y == "b").astype(int)
    hidden = np.tanh(X @ coefs[0] + intercepts[0])
    logits = hidden @ coefs[1] + intercepts[1]
    loss, delta = cross_entropy(logits, y_index)
    loss += 0.5 * 0.1 / 20 * sum(np.sum(w**2) for w in coefs)
    grad_coef_1 = hidden.T @ delta + 0.1 / 20 * coefs[1]
    delta_hidden = (delta @ coefs[1].T) * (1 - hidden**2)
    grad_coef_0 = X.T @ delta_hidden + 0.1 / 20 * coefs[0]

    assert model.loss_curve_ == [pytest.approx(loss, rel=1e-12)]
    np.testing.assert_allclose(model.coefs_[0], coefs[0] - 0.3 * grad_coef_0, rtol=1e-12)
    np.testing.assert_allclose(model.coefs_[1], coefs[1] - 0.3 * grad_coef_1, rtol=1e-12)
    np.testing.assert_allclose(model.intercepts_[0], -0.3 * delta_hidden.sum(axis=0), atol=1e-15)
    np.testing.assert_allclose(model.intercepts_[1], -0.3 * delta.sum(axis=0), atol=1e-15)


def test_gradient_descent_update_closed_form():
    param = np.array([1.0, -2.0, 3.0])
    grad = np.array([0.5, 0.25, -1.0])
    GradientDescent([param], 0.1).update([param], [grad.copy()])
    np.testing.assert_allclose(param, [0.95, -2.025, 3.1], rtol=1e-15)


def test_momentum_updates_closed_form():
    param = np.array([1.0, -2.0])
    optimizer = MomentumSGD([param], learning_rate=0.1, momentum=0.9)
    optimizer.update([param], [np.array([1.0, -1.0])])
    # v1 = -0.1 * g1
    np.testing.assert_allclose(param, [0.9, -1.9], rtol=1e-15)
    optimizer.update([param], [np.array([2.0, 0.0])])
    # v2 = 0.9 * v1 - 0.1 * g2 = (-0.09 - 0.2, 0.09)
    np.testing.assert_allclose(param, [0.9 - 0.29, -1.9 + 0.09], rtol=1e-14)


def test_adam_updates_closed_form():
    param = np.array([1.0, -2.0, 0.0])
    g1 = np.array([0.5, -3.0, 0.0])
    g2 = np.array([1.0, 1.0, 2.0])
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    optimizer = Adam([param], lr, b1, b2, eps)

    optimizer.update([param], [g1.copy()])
    # After one step m_hat = g and v_hat = g**2, so the step is lr * g / (|g| + eps).
    expected = np.array([1.0, -2.0, 0.0]) - lr * g1 / (np.abs(g1) + eps)
    np.testing.assert_allclose(param, expected, rtol=1e-14)

    optimizer.update([param], [g2.copy()])
    m = b1 * (1 - b1) * g1 + (1 - b1) * g2
    v = b2 * (1 - b2) * g1**2 + (1 - b2) * g2**2
    m_hat = m / (1 - b1**2)
    v_hat = v / (1 - b2**2)
    expected = expected - lr * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(param, expected, rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_optimizers_keep_dtype(dtype):
    for make in (
        lambda p: GradientDescent(p, 0.1),
        lambda p: MomentumSGD(p, 0.1, 0.9),
        lambda p: Adam(p, 0.1, 0.9, 0.999, 1e-8),
    ):
        param = np.ones(4, dtype=dtype)
        optimizer = make([param])
        optimizer.update([param], [np.full(4, 0.5, dtype=dtype)])
        assert param.dtype == dtype


def test_he_initialisation_variance_and_zero_bias():
    coefs, intercepts = he_initialize((400, 300, 2), np.random.default_rng(0), np.dtype(np.float64))
    variance = coefs[0].var()
    # 120000 draws: the sample variance has a relative standard error of about 0.4%.
    assert variance == pytest.approx(2 / 400, rel=0.02)
    assert abs(coefs[0].mean()) < 3 * math.sqrt(2 / 400 / coefs[0].size)
    assert coefs[1].var() == pytest.approx(2 / 300, rel=0.2)
    # Untruncated: about 0.27% of draws lie beyond three standard deviations.
    beyond = np.mean(np.abs(coefs[0]) > 3 * math.sqrt(2 / 400))
    assert 0.0015 < beyond < 0.004
    assert all(not bias.any() for bias in intercepts)
