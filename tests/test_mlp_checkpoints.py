"""Iteration budgets: a checkpoint equals, bit for bit, a separate shorter fit."""

import numpy as np
import pytest

from mlp import MLPClassifier


def make_data(n_samples=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 3))
    y = np.where(X[:, 0] + 0.5 * X[:, 1] > 0, "yes", "no")
    return X, y


def assert_same_model(checkpoint, separate):
    assert checkpoint.get_params() == separate.get_params()
    assert checkpoint.n_iter_ == separate.n_iter_
    assert checkpoint.stop_reason_ == separate.stop_reason_
    assert np.array_equal(checkpoint.classes_, separate.classes_)
    assert np.array_equal(checkpoint.loss_curve_, separate.loss_curve_, equal_nan=True)
    assert len(checkpoint.coefs_) == len(separate.coefs_)
    for mine, theirs in zip(checkpoint.coefs_ + checkpoint.intercepts_,
                            separate.coefs_ + separate.intercepts_):
        assert mine.dtype == theirs.dtype
        assert np.array_equal(mine, theirs, equal_nan=True)
    assert hasattr(checkpoint, "validation_loss_curve_") == hasattr(separate, "validation_loss_curve_")
    if hasattr(separate, "validation_loss_curve_"):
        assert np.array_equal(checkpoint.validation_loss_curve_, separate.validation_loss_curve_,
                              equal_nan=True)
        assert checkpoint.best_iteration_ == separate.best_iteration_
        assert checkpoint.best_validation_loss_ == separate.best_validation_loss_
    assert checkpoint.n_parameters_ == separate.n_parameters_
    assert checkpoint.nbytes_ == separate.nbytes_


def check_budgets(params, budgets, X, y, validation_data=None):
    """Fit once with ``budgets`` and compare each checkpoint with a separate fit."""
    model = MLPClassifier(**params).fit(X, y, validation_data=validation_data, checkpoints=budgets)
    assert sorted(model.checkpoints_) == sorted(set(budgets))
    for budget in budgets:
        separate = MLPClassifier(**{**params, "max_iter": budget}).fit(
            X, y, validation_data=validation_data
        )
        checkpoint = model.checkpoints_[budget]
        assert checkpoint.max_iter == budget
        assert_same_model(checkpoint, separate)
    return model


def fit_reference(params, X, y, validation_data=None):
    model = MLPClassifier(**params).fit(X, y, validation_data=validation_data)
    return model


def test_budgets_before_and_after_convergence():
    X, y = make_data()
    params = dict(hidden_layer_sizes=(6,), learning_rate=0.5, max_iter=400, tol=1e-3,
                  n_iter_no_change=5)  # fmt: skip
    reference = fit_reference(params, X, y)
    assert reference.stop_reason_ == "converged"
    stop = reference.n_iter_
    assert stop > 10

    model = check_budgets(params, [3, stop - 1, stop, stop + 1, 400], X, y)
    assert model.checkpoints_[3].stop_reason_ == "max_iter"
    assert model.checkpoints_[stop - 1].stop_reason_ == "max_iter"
    assert model.checkpoints_[stop].stop_reason_ == "converged"
    assert model.checkpoints_[stop + 1].n_iter_ == stop
    assert_same_model(model.checkpoints_[400], model)


def test_checkpoints_are_independent_copies():
    X, y = make_data()
    model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=20).fit(X, y, checkpoints=[5, 20])
    assert model.checkpoints_[20].coefs_[0] is not model.coefs_[0]
    model.checkpoints_[20].coefs_[0][:] = 0
    assert model.coefs_[0].any()
    assert model.checkpoints_[5].loss_curve_ == model.loss_curve_[:5]


def test_budgets_around_divergence():
    X, y = make_data()
    params = dict(hidden_layer_sizes=(8,), learning_rate=100.0, max_iter=200, early_stopping=False)
    reference = fit_reference(params, 10 * X, y)
    assert reference.stop_reason_ == "diverged"
    stop = reference.n_iter_

    model = check_budgets(params, [stop - 1, stop, stop + 3], 10 * X, y)
    assert model.checkpoints_[stop - 1].stop_reason_ == "max_iter"
    assert model.checkpoints_[stop].stop_reason_ == "diverged"
    assert model.checkpoints_[stop + 3].n_iter_ == stop


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_budgets_with_shuffled_minibatches(optimizer):
    X, y = make_data()
    params = dict(hidden_layer_sizes=(6, 5), activation="tanh", optimizer=optimizer,
                  batch_size=16, learning_rate=0.05, max_iter=300, tol=1e-3, n_iter_no_change=4)  # fmt: skip
    reference = fit_reference(params, X, y)
    assert reference.stop_reason_ == "converged"
    stop = reference.n_iter_

    check_budgets(params, [1, 4, stop - 1, stop, 300], X, y)
    check_budgets({**params, "early_stopping": False}, [2, 7, 12], X, y)


def test_budgets_with_validation_stopping_and_restore():
    X, y = make_data(90)
    # Flipping a fifth of the labels makes the validation loss turn up early.
    flip = np.random.default_rng(5).random(90) < 0.2
    y = np.where(flip, np.where(y == "yes", "no", "yes"), y)
    validation_data = (X[60:], y[60:])
    params = dict(hidden_layer_sizes=(16,), learning_rate=0.5, max_iter=500, tol=0.0,
                  n_iter_no_change=5)  # fmt: skip
    reference = fit_reference(params, X[:60], y[:60], validation_data)
    assert reference.stop_reason_ == "converged"
    stop = reference.n_iter_
    assert 2 < reference.best_iteration_ < stop - 1

    budgets = [2, reference.best_iteration_ + 1, stop, 500]
    model = check_budgets(params, budgets, X[:60], y[:60], validation_data)
    restored = model.checkpoints_[stop]
    assert restored.best_iteration_ == stop - params["n_iter_no_change"]
    assert len(restored.validation_loss_curve_) == stop


def test_budgets_with_validation_and_float32_sgd():
    X, y = make_data(90)
    params = dict(hidden_layer_sizes=(8,), optimizer="sgd", batch_size=20, learning_rate=0.1,
                  max_iter=60, dtype="float32")  # fmt: skip
    check_budgets(params, [5, 30, 60], X[:60], y[:60], (X[60:], y[60:]))


def test_checkpoint_rejects_budget_above_max_iter():
    X, y = make_data()
    with pytest.raises(ValueError, match="max_iter=10"):
        MLPClassifier(max_iter=10).fit(X, y, checkpoints=[5, 11])
    with pytest.raises(ValueError, match="outside"):
        MLPClassifier(max_iter=10).fit(X, y, checkpoints=[0])
