"""Numerical properties of the activations, softmax and cross-entropy."""

import warnings

import numpy as np
import pytest

from mlp import activations, cross_entropy, log_softmax, softmax

ACTIVATION_NAMES = ("relu", "tanh", "sigmoid")


@pytest.fixture
def strict_floats():
    """Turn overflow, division and invalid operations into errors, and warnings into errors."""
    with np.errstate(over="raise", divide="raise", invalid="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_sigmoid_exact_values(strict_floats):
    z = np.array([-1000.0, -745.0, 0.0, 1.0, 1000.0])
    values = activations.sigmoid(z)
    assert values[0] == 0.0
    assert values[1] in (5e-324, 0.0)
    assert values[2] == 0.5
    assert values[3] == 0.7310585786300049
    assert values[4] == 1.0


def test_sigmoid_float32_extremes(strict_floats):
    values = activations.sigmoid(np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype=np.float32))
    assert values.dtype == np.float32
    assert np.all(np.isfinite(values))
    np.testing.assert_array_equal(values[[0, 2, 4]], np.array([0.0, 0.5, 1.0], dtype=np.float32))


def test_sigmoid_keeps_relative_precision():
    z = np.array([-30.0, -50.0, -700.0])
    np.testing.assert_allclose(activations.sigmoid(z), np.exp(z) / (1 + np.exp(z)), rtol=1e-15)


def test_activations_at_extremes_are_silent(strict_floats):
    z = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    np.testing.assert_array_equal(activations.relu(z), [0.0, 0.0, 0.0, 1.0, 1000.0])
    np.testing.assert_array_equal(activations.tanh(z)[[0, 2, 4]], [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_derivative_from_output_matches_slope(name):
    z = np.linspace(-3, 3, 61) + 0.013  # avoid relu's kink at exactly 0
    function = getattr(activations, name)
    derivative = getattr(activations, f"{name}_derivative")
    step = 1e-6
    slope = (function(z + step) - function(z - step)) / (2 * step)
    np.testing.assert_allclose(derivative(function(z)), slope, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inplace_kernels_match_and_keep_dtype(name, dtype):
    z = np.random.default_rng(1).normal(scale=3, size=(7, 5)).astype(dtype)
    expected_output = getattr(activations, name)(z)
    output = z.copy()
    activations.FORWARD[name](output, np.empty_like(output))
    assert output.dtype == dtype
    np.testing.assert_allclose(output, expected_output, rtol=1e-6)

    delta = np.full_like(z, 2.0)
    expected_delta = delta * getattr(activations, f"{name}_derivative")(output)
    activations.BACKWARD[name](output, delta)
    assert delta.dtype == dtype
    np.testing.assert_allclose(delta, expected_delta, rtol=1e-6)


@pytest.mark.parametrize(
    ("logits", "label", "expected"),
    [
        ([1e8, 1e8, -1e8], 1, 0.6931471805599453),
        ([1000.0, 0.0, -1000.0], 0, 0.0),
        ([1000.0, 0.0, -1000.0], 2, 2000.0),
        ([800.0, 800.0, 0.0], 2, 800.6931471805599),
        ([3.0, 1.0, 0.2], 0, 0.17910417478500268),
    ],
)
def test_cross_entropy_exact_values(strict_floats, logits, label, expected):
    loss, gradient = cross_entropy(np.array([logits]), np.array([label]))
    # Two ulps: the exact value is not always the correctly rounded result of
    # a float64 log-sum-exp.
    assert loss == pytest.approx(expected, rel=4.5e-16, abs=0.0)
    assert np.all(np.isfinite(gradient))
    np.testing.assert_allclose(gradient.sum(axis=1), 0.0, atol=1e-16)


def test_cross_entropy_gradient_is_probabilities_minus_onehot():
    logits = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, 1.0]])
    labels = np.array([2, 0])
    loss, gradient = cross_entropy(logits, labels)
    probabilities = softmax(logits)
    expected = probabilities.copy()
    expected[[0, 1], labels] -= 1
    np.testing.assert_allclose(gradient, expected / 2, rtol=1e-14)
    assert loss == pytest.approx(-np.mean(np.log(probabilities[[0, 1], labels])), rel=1e-14)


def test_cross_entropy_finite_for_probability_zero_and_one(strict_floats):
    # softmax gives exactly 1.0 for the first class and exactly 0.0 for the second.
    logits = np.array([[0.0, -2000.0], [0.0, -2000.0]])
    assert softmax(logits)[0, 1] == 0.0
    assert softmax(logits)[0, 0] == 1.0
    loss, gradient = cross_entropy(logits, np.array([0, 1]))
    assert loss == pytest.approx(1000.0)
    assert np.all(np.isfinite(gradient))


def test_cross_entropy_rejects_bad_labels():
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="shape"):
        cross_entropy(np.zeros((2, 3)), np.array([0]))


def test_cross_entropy_keeps_float32():
    loss, gradient = cross_entropy(np.array([[1.0, 2.0]], dtype=np.float32), np.array([1]))
    assert gradient.dtype == np.float32
    assert isinstance(loss, float)


def test_softmax_rows_sum_to_one_and_ignore_row_shift(strict_floats):
    rng = np.random.default_rng(0)
    for scale in (1e-3, 1.0, 30.0, 700.0):
        logits = rng.normal(scale=scale, size=(20, 5))
        shift = rng.normal(scale=1000.0, size=(20, 1))
        probabilities = softmax(logits)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-14)
        np.testing.assert_allclose(softmax(logits + shift), probabilities, rtol=1e-9, atol=1e-300)


def test_log_softmax_matches_log_of_softmax():
    logits = np.random.default_rng(2).normal(size=(10, 4))
    np.testing.assert_allclose(log_softmax(logits), np.log(softmax(logits)), rtol=1e-13)


def test_softmax_keeps_float32():
    assert softmax(np.ones((2, 3), dtype=np.float32)).dtype == np.float32
