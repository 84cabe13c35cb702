"""Checks on inputs and hyper-parameters; each error names the value and the fix."""

from __future__ import annotations

import numbers

import numpy as np

_DTYPES = {"float32": np.float32, "float64": np.float64}


def check_dtype(dtype) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype, accepting only float32 and float64."""
    resolved = None
    if dtype is not None:  # np.dtype(None) would silently mean float64
        try:
            resolved = np.dtype(dtype)
        except TypeError:
            pass
    if resolved is None or resolved.name not in _DTYPES:
        raise ValueError(f"dtype must be np.float32, np.float64, 'float32' or 'float64'; got {dtype!r}")
    return resolved


def check_hidden_layer_sizes(hidden_layer_sizes) -> tuple[int, ...]:
    """Return the hidden layer widths as a tuple of positive ints."""
    if isinstance(hidden_layer_sizes, numbers.Integral):
        sizes = (hidden_layer_sizes,)
    else:
        try:
            sizes = tuple(hidden_layer_sizes)
        except TypeError:
            raise ValueError(
                f"hidden_layer_sizes must be an int or a tuple of ints; got {hidden_layer_sizes!r}"
            ) from None
    if not sizes or not all(
        isinstance(size, numbers.Integral) and not isinstance(size, bool) and size >= 1
        for size in sizes
    ):
        raise ValueError(
            "hidden_layer_sizes must be a positive int or a non-empty tuple of positive ints; "
            f"got {hidden_layer_sizes!r}"
        )
    return tuple(int(size) for size in sizes)


def check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}")
    return int(value)


def check_real(name: str, value, minimum: float, maximum: float = np.inf, *, open_low=False,
               open_high=False) -> float:
    """Return ``value`` as a float after checking it lies in the stated interval."""
    valid = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if valid:
        valid = (value > minimum if open_low else value >= minimum) and (
            value < maximum if open_high else value <= maximum
        )
    if not valid:
        low = "(" if open_low else "["
        high = ")" if open_high or np.isinf(maximum) else "]"
        raise ValueError(f"{name} must be a finite number in {low}{minimum}, {maximum}{high}; got {value!r}")
    return float(value)


def check_X(X, dtype: np.dtype, name: str = "X") -> np.ndarray:
    """Return ``X`` as a C-contiguous finite 2-D array of ``dtype``."""
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features); got {array.ndim} "
            f"dimension(s) with shape {array.shape}. Reshape a single feature with "
            "X.reshape(-1, 1) or a single sample with X.reshape(1, -1)."
        )
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must be numeric (bool, integer or float); got dtype {array.dtype}. "
            "Encode categorical columns as numbers first."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must have at least one sample and one feature; got shape {array.shape}")
    with np.errstate(over="ignore"):
        array = np.ascontiguousarray(array, dtype=dtype)
    if not np.isfinite(array).all():
        row, column = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{name} contains a non-finite value ({array[row, column]}) at row {row}, column "
            f"{column}; remove or impute missing values before fitting. Values beyond the range "
            f"of {np.dtype(dtype).name} also become inf."
        )
    return array


def check_y(y, n_samples: int, name: str = "y") -> np.ndarray:
    """Return ``y`` as a 1-D array with ``n_samples`` labels and no NaN."""
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels; got shape {labels.shape}")
    if labels.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {labels.shape[0]} labels but X has {n_samples} rows; they must match"
        )
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        index = int(np.argwhere(~np.isfinite(labels))[0, 0])
        raise ValueError(f"{name} contains a non-finite label ({labels[index]}) at index {index}")
    if labels.dtype.kind == "O":
        try:
            np.unique(labels)
        except TypeError as error:
            raise ValueError(
                f"{name} mixes label types that cannot be sorted ({error}); use one type"
            ) from None
    return labels
