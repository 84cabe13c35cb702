"""The multi-layer perceptron classifier."""

from __future__ import annotations

import math

import numpy as np

from mlp._training import Workspace, all_finite, forward_logits, he_initialize
from mlp._validation import (
    check_dtype,
    check_hidden_layer_sizes,
    check_int,
    check_real,
    check_X,
    check_y,
)
from mlp.activations import ACTIVATION_NAMES
from mlp.losses import log_softmax, softmax
from mlp.optimizers import OPTIMIZER_NAMES, make_optimizer

__all__ = ["DivergedError", "MLPClassifier", "NotFittedError"]

STOP_REASONS = ("max_iter", "converged", "diverged")
DEFAULT_MINIBATCH_SIZE = 200


class DivergedError(RuntimeError):
    """Raised when a model whose training diverged is asked for predictions."""


class NotFittedError(ValueError, AttributeError):
    """Raised when a model is used before ``fit``."""


def _labels_to_index(classes: np.ndarray, labels: np.ndarray, name: str) -> np.ndarray:
    """Return the position of each label in ``classes``, rejecting unseen labels."""
    index = np.searchsorted(classes, labels)
    index = np.minimum(index, classes.shape[0] - 1)
    unknown = classes[index] != labels
    if unknown.any():
        raise ValueError(
            f"{name} contains labels not seen in training: {np.unique(labels[unknown])[:10]!r}; "
            f"known classes are {classes!r}"
        )
    return index.astype(np.intp)


def _mean_cross_entropy(logits: np.ndarray, y_index: np.ndarray) -> float:
    rows = np.arange(logits.shape[0])
    return 0.0 - float(log_softmax(logits)[rows, y_index].mean())


class _StopTracker:
    """Loss history and the no-improvement counter of one fit."""

    def __init__(self, params: dict, restore_best: bool, validating: bool):
        self.tol = params["tol"]
        self.n_iter_no_change = params["n_iter_no_change"]
        self.restore_best = restore_best
        self.loss_curve: list[float] = []
        self.validation_loss_curve: list[float] | None = [] if validating else None
        self.best_validation_loss = math.inf
        self.best_iteration: int | None = None
        self.best_monitored = math.inf
        self.no_improvement_count = 0

    def converged(self, monitored: float) -> bool:
        """Record ``monitored`` and return True once it stalled ``n_iter_no_change`` times.

        An iteration counts as stalled when its loss is not below the best
        loss so far minus ``tol``.
        """
        if monitored > self.best_monitored - self.tol:
            self.no_improvement_count += 1
        else:
            self.no_improvement_count = 0
        self.best_monitored = min(self.best_monitored, monitored)
        return self.no_improvement_count >= self.n_iter_no_change


def _check_name(kind: str, value, accepted: tuple[str, ...]) -> str:
    if value not in accepted:
        raise ValueError(f"{kind} must be one of {', '.join(map(repr, accepted))}; got {value!r}")
    return value


class MLPClassifier:
    """Multi-layer perceptron with softmax output and cross-entropy loss.

    Parameters follow scikit-learn's ``MLPClassifier`` where the names match.

    hidden_layer_sizes : int or tuple of int
        Width of each hidden layer.
    activation : {"relu", "tanh", "sigmoid"}
        Activation of every hidden layer.
    optimizer : {"gd", "sgd", "adam"}
        ``gd`` is full-batch gradient descent, one step per iteration.
        ``sgd`` (with ``momentum``) and ``adam`` take mini-batches of
        ``batch_size`` rows, reshuffled every iteration by the model's
        generator; one iteration is one pass over the training set.
    learning_rate : float
        Constant step size.
    max_iter : int
        Maximum number of iterations (gd steps or epochs).
    batch_size : int or None
        Mini-batch size for ``sgd`` and ``adam``; None means
        ``min(200, n_samples)``. Must be None for ``gd``.
    alpha : float
        L2 penalty: the loss gains ``alpha / (2 n) * sum ||W||^2`` over the
        weight matrices (not the biases), ``n`` being the batch size.
    tol, n_iter_no_change : float, int
        With ``early_stopping``, training stops (``stop_reason_ ==
        "converged"``) once the monitored loss has not fallen below the best
        loss so far minus ``tol`` for ``n_iter_no_change`` consecutive
        iterations. The monitored loss is the training loss, or the
        validation loss when ``fit`` gets ``validation_data``.
    early_stopping : bool
        Whether to stop on convergence; False runs until ``max_iter`` or
        divergence.
    random_state : int or None
        Seed of the one ``numpy.random.Generator`` used for initialisation
        and shuffling.
    dtype : np.float32, np.float64, "float32" or "float64"
        Working dtype of inputs, weights, buffers and outputs.
    momentum : float
        Momentum of ``sgd``, in [0, 1).
    beta_1, beta_2, epsilon : float
        Adam's moment decay rates and the term added to its denominator.

    Fitted attributes: ``classes_``, ``n_features_in_``, ``coefs_``,
    ``intercepts_``, ``loss_curve_`` (mean training loss with the L2 term per
    iteration, as computed in that iteration's forward passes), ``n_iter_``,
    ``stop_reason_``, ``n_parameters_``, ``nbytes_``, ``checkpoints_`` and,
    with validation data, ``validation_loss_curve_``, ``best_iteration_``
    and ``best_validation_loss_``.

    ``n_iter_`` counts the iterations run, the last one included, and always
    equals ``len(loss_curve_)``. When training diverges, ``n_iter_`` is the
    iteration in which a step's loss was non-finite (that step applies no
    update, so the weights are those before it) or whose updates left a
    non-finite weight. That iteration's loss is the last entry of
    ``loss_curve_`` and is not finite in the first case.
    A checkpoint at budget ``k`` has ``n_iter_ == min(k, n_iter_ of the full
    fit)``. Diverged models raise ``DivergedError`` on prediction.
    """

    def __init__(
        self,
        hidden_layer_sizes=(64, 64),
        activation="relu",
        optimizer="gd",
        learning_rate=0.05,
        max_iter=500,
        batch_size=None,
        alpha=0.0,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=True,
        random_state=0,
        dtype=np.float64,
        momentum=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = _check_name("activation", activation, ACTIVATION_NAMES)
        self.optimizer = _check_name("optimizer", optimizer, OPTIMIZER_NAMES)
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.alpha = alpha
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.random_state = random_state
        self.dtype = dtype
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    # ----------------------------------------------------------- parameters

    _PARAM_NAMES = (
        "hidden_layer_sizes", "activation", "optimizer", "learning_rate", "max_iter",
        "batch_size", "alpha", "tol", "n_iter_no_change", "early_stopping", "random_state",
        "dtype", "momentum", "beta_1", "beta_2", "epsilon",
    )  # fmt: skip

    def get_params(self, deep: bool = True) -> dict:
        """Return the constructor parameters as a dict."""
        return {name: getattr(self, name) for name in self._PARAM_NAMES}

    def set_params(self, **params) -> MLPClassifier:
        """Set constructor parameters by name and return the estimator."""
        for name, value in params.items():
            if name not in self._PARAM_NAMES:
                raise ValueError(
                    f"unknown parameter {name!r}; valid parameters: {', '.join(self._PARAM_NAMES)}"
                )
            if name == "activation":
                value = _check_name("activation", value, ACTIVATION_NAMES)
            if name == "optimizer":
                value = _check_name("optimizer", value, OPTIMIZER_NAMES)
            setattr(self, name, value)
        return self

    def _validated_params(self) -> dict:
        """Return the hyper-parameters checked and converted, or raise ValueError."""
        params = {
            "hidden_layer_sizes": check_hidden_layer_sizes(self.hidden_layer_sizes),
            "activation": _check_name("activation", self.activation, ACTIVATION_NAMES),
            "optimizer": _check_name("optimizer", self.optimizer, OPTIMIZER_NAMES),
            "learning_rate": check_real("learning_rate", self.learning_rate, 0.0, open_low=True),
            "max_iter": check_int("max_iter", self.max_iter, 1),
            "alpha": check_real("alpha", self.alpha, 0.0),
            "tol": check_real("tol", self.tol, 0.0),
            "n_iter_no_change": check_int("n_iter_no_change", self.n_iter_no_change, 1),
            "dtype": check_dtype(self.dtype),
            "momentum": check_real("momentum", self.momentum, 0.0, 1.0, open_high=True),
            "beta_1": check_real("beta_1", self.beta_1, 0.0, 1.0, open_high=True),
            "beta_2": check_real("beta_2", self.beta_2, 0.0, 1.0, open_high=True),
            "epsilon": check_real("epsilon", self.epsilon, 0.0, open_low=True),
        }
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise ValueError(f"early_stopping must be True or False; got {self.early_stopping!r}")
        if self.random_state is not None:
            check_int("random_state", self.random_state, 0)
        if self.batch_size is not None:
            check_int("batch_size", self.batch_size, 1)
            if self.optimizer == "gd":
                raise ValueError(
                    f"batch_size={self.batch_size!r} has no effect with optimizer='gd', which "
                    "always uses the full batch; pass batch_size=None or use optimizer='sgd' "
                    "or 'adam'"
                )
        return params

    # ------------------------------------------------------------------ fit

    def fit(self, X, y, *, validation_data=None, checkpoints=None) -> MLPClassifier:
        """Train on ``X`` (n_samples, n_features) and labels ``y``; return self.

        validation_data : (X_val, y_val), optional
            Monitor the validation loss instead of the training loss for
            early stopping and, with ``early_stopping``, restore at the end the
            weights of the iteration with the lowest validation loss.
        checkpoints : iterable of int, optional
            Iteration budgets, each in [1, max_iter]. ``checkpoints_[k]`` is
            then an independent fitted estimator identical, bit for bit, to a
            separate fit with ``max_iter=k`` and the same data and seed.
        """
        params = self._validated_params()
        dtype = params["dtype"]
        X = check_X(X, dtype)
        labels = check_y(y, X.shape[0])
        classes, y_index = np.unique(labels, return_inverse=True)
        if classes.shape[0] < 2:
            raise ValueError(
                f"y contains a single class ({classes[0]!r}); a classifier needs at least two"
            )
        validation = None
        if validation_data is not None:
            validation = self._check_validation_data(validation_data, X.shape[1], classes, dtype)
        budgets = self._check_checkpoints(checkpoints, params["max_iter"])

        layer_sizes = (X.shape[1], *params["hidden_layer_sizes"], classes.shape[0])
        rng = np.random.default_rng(self.random_state)
        coefs, intercepts = he_initialize(layer_sizes, rng, dtype)

        self._reset_fitted_attributes()
        self.classes_ = classes
        self.n_features_in_ = X.shape[1]
        n_parameters = sum(a * b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
        self.n_parameters_ = int(n_parameters)
        self.nbytes_ = int(n_parameters * dtype.itemsize)

        with np.errstate(all="ignore"):
            self._train(params, X, y_index.astype(np.intp), validation, budgets, rng, coefs,
                        intercepts)
        return self

    def _reset_fitted_attributes(self) -> None:
        for name in list(vars(self)):
            if name.endswith("_") and not name.startswith("_"):
                delattr(self, name)

    @staticmethod
    def _check_validation_data(validation_data, n_features, classes, dtype):
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("validation_data must be a pair (X_val, y_val)") from None
        X_val = check_X(X_val, dtype, name="X_val")
        if X_val.shape[1] != n_features:
            raise ValueError(
                f"X_val has {X_val.shape[1]} features but X has {n_features}; they must match"
            )
        y_val = check_y(y_val, X_val.shape[0], name="y_val")
        index = _labels_to_index(classes, y_val, "y_val")
        return X_val, index

    @staticmethod
    def _check_checkpoints(checkpoints, max_iter) -> list[int]:
        if checkpoints is None:
            return []
        budgets = []
        for budget in checkpoints:
            if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)):
                raise ValueError(f"checkpoints must be ints; got {budget!r}")
            if not 1 <= budget <= max_iter:
                raise ValueError(
                    f"checkpoint {budget} lies outside [1, max_iter={max_iter}]; raise max_iter "
                    "or drop the checkpoint"
                )
            budgets.append(int(budget))
        return sorted(set(budgets))

    def _train(self, params, X, y_index, validation, budgets, rng, coefs, intercepts) -> None:
        """Run the training loop and set the fitted attributes (and ``checkpoints_``)."""
        n_samples = X.shape[0]
        n_classes = self.classes_.shape[0]
        dtype = params["dtype"]
        minibatch = params["optimizer"] != "gd"
        batch_size = n_samples
        if minibatch:
            batch_size = min(self.batch_size or DEFAULT_MINIBATCH_SIZE, n_samples)
        shuffle = minibatch and batch_size < n_samples
        layer_sizes = (X.shape[1], *params["hidden_layer_sizes"], n_classes)

        workspace = Workspace(layer_sizes, batch_size, dtype, params["activation"])
        optimizer = make_optimizer(params["optimizer"], coefs + intercepts, self)
        alpha = params["alpha"]
        # Flat index of each row's target class in a (batch rows, n_classes) buffer.
        row_offsets = (np.arange(n_samples, dtype=np.intp) % batch_size) * n_classes
        target_flat = row_offsets + y_index
        if shuffle:
            X_batch = np.empty((batch_size, X.shape[1]), dtype=dtype)

        validating = validation is not None
        tracker = _StopTracker(params, validating and self.early_stopping, validating)
        if validation is not None:
            X_val, y_val_index = validation
            best_params = [param.copy() for param in coefs + intercepts]

        snapshots = {}
        pending = list(budgets)
        stop_reason = "max_iter"
        for iteration in range(1, params["max_iter"] + 1):
            if shuffle:
                order = rng.permutation(n_samples)
                np.add(row_offsets, y_index[order], out=target_flat)

            loss_total = 0.0
            for start in range(0, n_samples, batch_size):
                stop = min(start + batch_size, n_samples)
                if shuffle:
                    rows = X_batch[: stop - start]
                    np.take(X, order[start:stop], axis=0, out=rows)
                else:
                    rows = X[start:stop]
                batch_loss = workspace.step(
                    coefs, intercepts, rows, target_flat[start:stop], alpha, optimizer
                )
                if not math.isfinite(batch_loss):
                    loss_total = batch_loss
                    break
                loss_total += batch_loss * (stop - start)
            epoch_loss = loss_total / n_samples
            tracker.loss_curve.append(epoch_loss)

            if not math.isfinite(epoch_loss) or not all_finite(coefs + intercepts):
                stop_reason = "diverged"
                break
            monitored = epoch_loss
            if validation is not None:
                logits = forward_logits(coefs, intercepts, X_val, params["activation"])
                monitored = _mean_cross_entropy(logits, y_val_index)
                tracker.validation_loss_curve.append(monitored)
                if not math.isfinite(monitored):
                    stop_reason = "diverged"
                    break
                if monitored < tracker.best_validation_loss:
                    tracker.best_validation_loss = monitored
                    tracker.best_iteration = iteration
                    for best, param in zip(best_params, coefs + intercepts):
                        np.copyto(best, param)
            if self.early_stopping and tracker.converged(monitored):
                stop_reason = "converged"
                break
            if pending and pending[0] == iteration and iteration < params["max_iter"]:
                pending.pop(0)
                snapshots[iteration] = self._snapshot(
                    iteration, tracker, "max_iter", coefs, intercepts,
                    best_params if tracker.restore_best else None,
                )  # fmt: skip

        # Release the gradient buffers and optimizer state, then hand the
        # final estimator the arrays training leaves behind instead of copies:
        # the end of a fit then holds no more weight copies than its loop.
        del workspace, optimizer
        rows = X_batch = None  # noqa: F841 (drops the mini-batch buffer)
        restore = tracker.restore_best and stop_reason != "diverged"
        final = self._snapshot(
            params["max_iter"], tracker, stop_reason, coefs, intercepts,
            best_params if restore else None, copy=False,
        )  # fmt: skip
        for budget in pending:
            clone = final._copy()
            clone.max_iter = budget
            snapshots[budget] = clone
        final.checkpoints_ = snapshots
        self.__dict__.update(
            {name: value for name, value in vars(final).items() if name.endswith("_")}
        )

    # ------------------------------------------------------------ inference

    def _check_fitted(self) -> None:
        if not hasattr(self, "coefs_"):
            raise NotFittedError(
                "this MLPClassifier is not fitted yet; call fit(X, y) before using it"
            )
        if self.stop_reason_ == "diverged":
            raise DivergedError(
                f"training diverged at iteration {self.n_iter_} (the loss or a weight became "
                "non-finite), so the model cannot make predictions; refit with a smaller "
                f"learning_rate (now {self.learning_rate}) or with standardized inputs"
            )

    def _logits(self, X) -> np.ndarray:
        self._check_fitted()
        X = check_X(X, self.coefs_[0].dtype)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features but the model was fitted with "
                f"{self.n_features_in_}; pass the same columns as in fit"
            )
        with np.errstate(all="ignore"):
            return forward_logits(self.coefs_, self.intercepts_, X, self.activation)

    def decision_function(self, X) -> np.ndarray:
        """Return the output logits, shape (n_samples, n_classes), in the model's dtype."""
        return self._logits(X)

    def predict_proba(self, X) -> np.ndarray:
        """Return class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        return softmax(self._logits(X))

    def predict_log_proba(self, X) -> np.ndarray:
        """Return log class probabilities, shape (n_samples, n_classes)."""
        return log_softmax(self._logits(X))

    def predict(self, X) -> np.ndarray:
        """Return the most probable label of each row, as the original labels."""
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]

    def score(self, X, y) -> float:
        """Return the accuracy, the fraction of rows whose predicted label equals ``y``."""
        predictions = self.predict(X)
        labels = check_y(y, predictions.shape[0])
        return float(np.mean(predictions == labels))

    def loss(self, X, y) -> float:
        """Return the mean cross-entropy over the rows of ``X``, without the L2 term.

        Every label in ``y`` must be one of ``classes_``.
        """
        logits = self._logits(X)
        labels = check_y(y, logits.shape[0])
        index = _labels_to_index(self.classes_, labels, "y")
        with np.errstate(all="ignore"):
            return _mean_cross_entropy(logits, index)

    # ----------------------------------------------------------------- repr

    def __repr__(self) -> str:
        try:
            hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
            hidden_text = "-".join(map(str, hidden))
        except ValueError:
            hidden_text = repr(self.hidden_layer_sizes)
        try:
            dtype_text = check_dtype(self.dtype).name
        except ValueError:
            dtype_text = repr(self.dtype)
        fields = [
            f"activation={self.activation!r}",
            f"optimizer={self.optimizer!r}",
            f"learning_rate={self.learning_rate!r}",
            f"dtype={dtype_text}",
        ]
        if hasattr(self, "coefs_"):
            layers = f"{self.n_features_in_}-{hidden_text}-{len(self.classes_)}"
            fields += [
                f"parameters={self.n_parameters_:,}",
                f"bytes={self.nbytes_:,}",
                f"stop_reason={self.stop_reason_!r}",
                f"n_iter={self.n_iter_}",
            ]
        else:
            layers = f"?-{hidden_text}-?"
            fields.append("not fitted")
        return f"MLPClassifier(layers={layers}, " + ", ".join(fields) + ")"

    def _snapshot(self, budget, tracker, stop_reason, coefs, intercepts, best_params, copy=True):
        """Return a new fitted estimator holding the current training state.

        With ``copy=False`` the estimator takes the weight arrays themselves,
        which the caller must not use afterwards.
        """
        clone = MLPClassifier(**self.get_params())
        clone.max_iter = budget
        n_layers = len(coefs)
        source = best_params if best_params is not None else coefs + intercepts
        if copy:
            source = [array.copy() for array in source]
        clone.classes_ = self.classes_.copy()
        clone.n_features_in_ = self.n_features_in_
        clone.coefs_ = list(source[:n_layers])
        clone.intercepts_ = list(source[n_layers:])
        clone.loss_curve_ = list(tracker.loss_curve)
        clone.n_iter_ = len(tracker.loss_curve)
        clone.stop_reason_ = stop_reason
        clone.n_parameters_ = self.n_parameters_
        clone.nbytes_ = self.nbytes_
        if tracker.validation_loss_curve is not None:
            clone.validation_loss_curve_ = list(tracker.validation_loss_curve)
            clone.best_iteration_ = tracker.best_iteration
            clone.best_validation_loss_ = tracker.best_validation_loss
        clone.checkpoints_ = {}
        return clone

    def _copy(self) -> MLPClassifier:
        clone = MLPClassifier(**self.get_params())
        for name, value in vars(self).items():
            if not name.endswith("_"):
                continue
            if isinstance(value, list):
                value = [item.copy() if isinstance(item, np.ndarray) else item for item in value]
            elif isinstance(value, np.ndarray):
                value = value.copy()
            elif isinstance(value, dict):
                value = {}
            setattr(clone, name, value)
        return clone
