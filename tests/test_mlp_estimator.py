"""MLPClassifier behaviour: labels, dtypes, determinism, divergence, input checks, learning."""

import warnings

import numpy as np
import pytest

from mlp import DivergedError, MLPClassifier, NotFittedError


def blobs(n_samples=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 4))
    y = (X[:, 0] - X[:, 2] > 0).astype(int)
    return X, y


def two_moons(n_samples, noise, seed):
    """Two interleaved half circles: class 0 on the upper arc, class 1 on the shifted lower arc."""
    rng = np.random.default_rng(seed)
    n_upper = n_samples // 2
    angles_upper = rng.uniform(0, np.pi, n_upper)
    angles_lower = rng.uniform(0, np.pi, n_samples - n_upper)
    upper = np.column_stack([np.cos(angles_upper), np.sin(angles_upper)])
    lower = np.column_stack([1 - np.cos(angles_lower), 0.5 - np.sin(angles_lower)])
    X = np.vstack([upper, lower]) + rng.normal(scale=noise, size=(n_samples, 2))
    y = np.concatenate([np.zeros(n_upper, int), np.ones(n_samples - n_upper, int)])
    return X, y


# ---------------------------------------------------------------- learning


def test_learns_xor():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    model = MLPClassifier(hidden_layer_sizes=(8,), activation="tanh", learning_rate=0.5,
                          max_iter=2000, random_state=0).fit(X, y)  # fmt: skip
    assert model.score(X, y) == 1.0
    np.testing.assert_array_equal(model.predict(X), y)


def test_learns_two_moons():
    X, y = two_moons(600, noise=0.1, seed=0)
    X_test, y_test = two_moons(400, noise=0.1, seed=1)
    model = MLPClassifier(hidden_layer_sizes=(32, 32), learning_rate=0.2, max_iter=2000,
                          random_state=0).fit(X, y)  # fmt: skip
    assert model.score(X_test, y_test) > 0.95


def test_loss_curve_decreases_under_small_steps():
    X, y = blobs()
    model = MLPClassifier(hidden_layer_sizes=(6,), learning_rate=0.05, max_iter=30).fit(X, y)
    assert len(model.loss_curve_) == model.n_iter_ == 30
    assert all(isinstance(loss, float) for loss in model.loss_curve_)
    assert np.all(np.diff(model.loss_curve_) < 0)


# ------------------------------------------------------------------ labels


@pytest.mark.parametrize(
    "labels",
    [[0, 1], [1, 2], [-1, 5], ["no", "yes"], [0, 2, 7], ["cat", "dog", "emu"]],
)
def test_labels_map_back_to_original(labels):
    X, _ = blobs(90)
    labels = np.array(labels)
    y = labels[np.arange(90) % len(labels)]
    X[:, 0] = np.arange(90) % len(labels) * 3.0
    model = MLPClassifier(hidden_layer_sizes=(8,), learning_rate=0.2, max_iter=300).fit(X, y)
    np.testing.assert_array_equal(model.classes_, np.unique(labels))
    assert model.coefs_[-1].shape[1] == len(labels)
    predictions = model.predict(X)
    assert predictions.dtype == model.classes_.dtype
    assert set(predictions) <= set(labels)
    assert model.score(X, y) > 0.9
    assert model.predict_proba(X).shape == (90, len(labels))


def test_one_class_is_rejected():
    X, _ = blobs()
    with pytest.raises(ValueError, match="single class.*'only'"):
        MLPClassifier().fit(X, np.full(len(X), "only"))


def test_unseen_validation_label_is_rejected():
    X, y = blobs()
    with pytest.raises(ValueError, match="not seen in training"):
        MLPClassifier(max_iter=2).fit(X, y, validation_data=(X[:5], np.array([0, 1, 9, 0, 1])))


# ------------------------------------------------------------------ dtypes


@pytest.mark.parametrize("dtype", [np.float32, np.float64, "float32", "float64"])
@pytest.mark.parametrize("optimizer", ["gd", "sgd", "adam"])
def test_dtype_flows_through(dtype, optimizer):
    X, y = blobs()
    model = MLPClassifier(hidden_layer_sizes=(5, 3), optimizer=optimizer, dtype=dtype, alpha=0.01,
                          max_iter=5).fit(X, y, validation_data=(X, y))  # fmt: skip
    expected = np.dtype(dtype)
    assert all(array.dtype == expected for array in model.coefs_ + model.intercepts_)
    assert model.predict_proba(X).dtype == expected
    assert model.predict_log_proba(X).dtype == expected
    assert model.decision_function(X.astype(np.float64)).dtype == expected
    n_parameters = 4 * 5 + 5 + 5 * 3 + 3 + 3 * 2 + 2
    assert model.n_parameters_ == n_parameters
    assert model.nbytes_ == n_parameters * expected.itemsize
    assert model.nbytes_ == sum(a.nbytes for a in model.coefs_ + model.intercepts_)


def test_float32_training_never_allocates_float64(monkeypatch):
    import mlp._training as training

    X, y = blobs()
    X = X.astype(np.float32)
    created = []
    original_matmul = np.matmul

    def recording_matmul(*args, **kwargs):
        result = original_matmul(*args, **kwargs)
        created.append(result.dtype)
        return result

    monkeypatch.setattr(training.np, "matmul", recording_matmul)
    MLPClassifier(hidden_layer_sizes=(5,), dtype=np.float32, max_iter=3).fit(X, y)
    assert created and set(created) == {np.dtype(np.float32)}


def test_float32_and_float64_agree():
    X, y = blobs()
    model64 = MLPClassifier(hidden_layer_sizes=(6,), max_iter=50).fit(X, y)
    model32 = MLPClassifier(hidden_layer_sizes=(6,), max_iter=50, dtype=np.float32).fit(X, y)
    np.testing.assert_allclose(model32.loss_curve_, model64.loss_curve_, rtol=1e-4)


@pytest.mark.parametrize("bad", [np.int32, "float16", "double precision", None])
def test_bad_dtype_is_rejected(bad):
    X, y = blobs()
    with pytest.raises(ValueError, match="dtype must be"):
        MLPClassifier(dtype=bad).fit(X, y)


# ----------------------------------------------------------- determinism


@pytest.mark.parametrize("optimizer", ["gd", "sgd", "adam"])
def test_same_seed_gives_identical_weights(optimizer):
    X, y = blobs()
    params = dict(hidden_layer_sizes=(7, 5), optimizer=optimizer, batch_size=None if optimizer == "gd" else 16,
                  max_iter=15, random_state=42)  # fmt: skip
    first = MLPClassifier(**params).fit(X, y)
    second = MLPClassifier(**params).fit(X, y)
    for a, b in zip(first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_):
        assert np.array_equal(a, b)
    assert first.loss_curve_ == second.loss_curve_

    other = MLPClassifier(**{**params, "random_state": 43}).fit(X, y)
    assert not np.array_equal(other.coefs_[0], first.coefs_[0])


def test_refit_resets_state():
    X, y = blobs()
    model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5)
    model.fit(X, y, validation_data=(X, y), checkpoints=[2])
    model.fit(X, y)
    assert not hasattr(model, "validation_loss_curve_")
    assert model.checkpoints_ == {}
    fresh = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, y)
    assert np.array_equal(model.coefs_[0], fresh.coefs_[0])


def test_no_global_random_state_used():
    X, y = blobs()
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    MLPClassifier(hidden_layer_sizes=(4,), optimizer="sgd", batch_size=8, max_iter=3).fit(X, y)
    assert np.array_equal(np.random.get_state()[1], before)


# ------------------------------------------------------------- divergence


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_divergence_stops_and_blocks_prediction(dtype):
    X, y = blobs()
    model = MLPClassifier(hidden_layer_sizes=(8,), learning_rate=1000.0, max_iter=300,
                          early_stopping=False, dtype=dtype)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(10 * X, y)
    assert model.stop_reason_ == "diverged"
    assert model.n_iter_ == len(model.loss_curve_) < 300
    assert np.isfinite(model.loss_curve_[:-1]).all()
    last_finite = np.isfinite(model.loss_curve_[-1])
    weights_finite = all(np.isfinite(a).all() for a in model.coefs_ + model.intercepts_)
    # The failing iteration had a non-finite loss or left a non-finite weight.
    assert not (last_finite and weights_finite)
    message = f"diverged at iteration {model.n_iter_}"
    for method in (model.predict, model.predict_proba):
        with pytest.raises(DivergedError, match=message) as error:
            method(X)
        assert "smaller learning_rate" in str(error.value)
        assert isinstance(error.value, RuntimeError)
    with pytest.raises(DivergedError):
        model.score(X, y)


def test_divergence_with_validation_data():
    X, y = blobs()
    model = MLPClassifier(hidden_layer_sizes=(8,), learning_rate=1000.0, max_iter=300,
                          early_stopping=False)  # fmt: skip
    model.fit(10 * X, y, validation_data=(10 * X, y))
    assert model.stop_reason_ == "diverged"
    assert len(model.validation_loss_curve_) in (model.n_iter_, model.n_iter_ - 1)


# ------------------------------------------------------- early stopping


def test_early_stopping_on_training_loss():
    X, y = blobs()
    tol, patience = 1e-3, 4
    model = MLPClassifier(hidden_layer_sizes=(6,), learning_rate=0.5, max_iter=1000, tol=tol,
                          n_iter_no_change=patience).fit(X, y)  # fmt: skip
    assert model.stop_reason_ == "converged"
    curve = model.loss_curve_
    best = np.minimum.accumulate(curve)
    stalled = [curve[i] > best[i - 1] - tol for i in range(1, len(curve))]
    assert all(stalled[-patience:])
    assert not all(stalled[-patience - 1:])


def test_early_stopping_switched_off_runs_to_max_iter():
    X, y = blobs()
    model = MLPClassifier(hidden_layer_sizes=(6,), learning_rate=0.5, max_iter=120, tol=1.0,
                          early_stopping=False).fit(X, y)  # fmt: skip
    assert model.stop_reason_ == "max_iter"
    assert model.n_iter_ == 120


def test_validation_restores_best_weights():
    X, y = blobs(120)
    flip = np.random.default_rng(1).random(120) < 0.25
    y = np.where(flip, 1 - y, y)
    model = MLPClassifier(hidden_layer_sizes=(32,), learning_rate=1.0, max_iter=400, tol=0.0,
                          n_iter_no_change=5)  # fmt: skip
    model.fit(X[:60], y[:60], validation_data=(X[60:], y[60:]))
    assert model.stop_reason_ == "converged"
    curve = model.validation_loss_curve_
    assert len(curve) == model.n_iter_
    assert model.best_iteration_ == int(np.argmin(curve)) + 1
    assert model.best_validation_loss_ == min(curve)
    assert model.loss(X[60:], y[60:]) == pytest.approx(min(curve), rel=1e-12)


def test_loss_method_excludes_penalty():
    X, y = blobs()
    model = MLPClassifier(hidden_layer_sizes=(6,), alpha=5.0, max_iter=1, learning_rate=1e-12).fit(X, y)
    penalty = 0.5 * 5.0 / len(X) * sum(float(np.sum(w**2)) for w in model.coefs_)
    assert model.loss(X, y) == pytest.approx(model.loss_curve_[0] - penalty, rel=1e-9)


# ----------------------------------------------------------- input checks


def test_nan_position_is_named():
    X, y = blobs()
    X[7, 2] = np.nan
    with pytest.raises(ValueError, match="row 7, column 2"):
        MLPClassifier().fit(X, y)


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.zeros(10), "2-D"),
        (np.zeros((10, 2, 2)), "2-D"),
        (np.array([["a", "b"]] * 10), "numeric"),
        (np.full((10, 2), np.inf), "non-finite"),
    ],
)
def test_bad_X_is_rejected(X, match):
    with pytest.raises(ValueError, match=match):
        MLPClassifier().fit(X, np.arange(10) % 2)


def test_bad_y_is_rejected():
    X, y = blobs()
    with pytest.raises(ValueError, match="79 labels but X has 80 rows"):
        MLPClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match="1-D"):
        MLPClassifier().fit(X, y.reshape(-1, 1))
    with pytest.raises(ValueError, match="non-finite label"):
        MLPClassifier().fit(X, np.where(y == 1, np.nan, 0.0))


def test_predict_checks_feature_count():
    X, y = blobs()
    model = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="3 features but the model was fitted with 4"):
        model.predict(X[:, :3])


def test_unfitted_model_raises():
    with pytest.raises(NotFittedError, match="not fitted"):
        MLPClassifier().predict(np.zeros((2, 2)))


def test_unknown_names_list_accepted_values():
    with pytest.raises(ValueError, match="'relu', 'tanh', 'sigmoid'.*'softplus'"):
        MLPClassifier(activation="softplus")
    with pytest.raises(ValueError, match="'gd', 'sgd', 'adam'.*'rmsprop'"):
        MLPClassifier(optimizer="rmsprop")
    model = MLPClassifier()
    model.activation = "elu"
    with pytest.raises(ValueError, match="'elu'"):
        model.fit(*blobs())


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": ()}, "hidden_layer_sizes"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"max_iter": 0}, "max_iter"),
        ({"alpha": -1.0}, "alpha"),
        ({"momentum": 1.0, "optimizer": "sgd"}, "momentum"),
        ({"batch_size": 0, "optimizer": "sgd"}, "batch_size"),
        ({"batch_size": 32}, "optimizer='gd'"),
        ({"n_iter_no_change": 0}, "n_iter_no_change"),
    ],
)
def test_bad_hyper_parameters_are_rejected(params, match):
    with pytest.raises(ValueError, match=match):
        MLPClassifier(**params).fit(*blobs())


# ------------------------------------------------------------------- repr


def test_repr_shows_layers_and_size():
    unfitted = MLPClassifier(hidden_layer_sizes=(64, 64))
    assert "layers=?-64-64-?" in repr(unfitted)
    assert "not fitted" in repr(unfitted)

    X, y = blobs()
    model = MLPClassifier(hidden_layer_sizes=5, activation="tanh", max_iter=2).fit(X, y)
    text = repr(model)
    assert "layers=4-5-2" in text
    assert "activation='tanh'" in text
    assert "optimizer='gd'" in text
    assert "parameters=37" in text
    assert "bytes=296" in text
