"""Training copies of the feature files as NumPy ``.npz`` archives.

A reviews split has 10,000 feature columns, and reading them from parquet
takes about a second per job, most of a small training job's cost beyond
``fit``. The workflow therefore converts each parquet file once into an
uncompressed ``.npz`` archive with the same values in float64, and training
jobs read those. An archive of a labelled split contains ``X`` (rows x
features, float64) and ``y`` (int64 or unicode labels). An archive of the
competition test file contains ``ids`` (int64) and ``X``.

The parquet files stay the feature stage's output: the archives store no
feature names or metadata. This module imports NumPy only, which keeps
pyarrow out of training jobs.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from gridstudy.io import open_atomic

LOAD_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
SPLIT_KEYS = ("X", "y")
COMPETITION_KEYS = ("ids", "X")
# The fix that load errors name: a training archive is derived data.
REBUILD = "delete it and rerun the workflow to rebuild it from the parquet file"


def check_load_dtype(dtype) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype, or raise ValueError unless it is float32 or float64."""
    message = f"dtype must be float32 or float64; got {dtype!r}"
    try:
        checked = np.dtype(dtype)
    except TypeError:
        raise ValueError(message) from None
    # np.dtype(None) is float64, so None is rejected here rather than by the comparison.
    if dtype is None or checked not in LOAD_DTYPES:
        raise ValueError(message)
    return checked


def _save_atomic(path, arrays: dict[str, np.ndarray]) -> None:
    with open_atomic(path, "wb") as stream:
        np.savez(stream, **arrays)


def save_split_arrays(path, X: np.ndarray, y: np.ndarray) -> None:
    """Write a labelled split's feature matrix and labels to ``path`` atomically."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.dtype != np.float64 or X.ndim != 2:
        raise ValueError(f"X must be a 2-D float64 matrix; got {X.ndim}-D {X.dtype}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have one label per row of X ({X.shape[0]}); got shape {y.shape}")
    if y.dtype.kind not in "iU":
        raise ValueError(f"y must be integer or unicode labels; got {y.dtype}")
    _save_atomic(path, {"X": X, "y": y})


def save_competition_arrays(path, ids: np.ndarray, X: np.ndarray) -> None:
    """Write the competition test file's ids and feature matrix to ``path`` atomically."""
    ids = np.asarray(ids)
    X = np.asarray(X)
    if X.dtype != np.float64 or X.ndim != 2:
        raise ValueError(f"X must be a 2-D float64 matrix; got {X.ndim}-D {X.dtype}")
    if ids.shape != (X.shape[0],) or ids.dtype != np.int64:
        raise ValueError(f"ids must be int64 with one id per row of X ({X.shape[0]}); got {ids.dtype} of shape {ids.shape}")
    _save_atomic(path, {"ids": ids, "X": X})


def _read_arrays(path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: training archive not found; rerun the workflow to build it from the parquet file")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not an .npz archive; {REBUILD}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            found = list(archive.files)
            arrays = {key: archive[key] for key in keys if key in found}
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as error:
        # A damaged member (bad CRC, truncated data) or an object array, which
        # NumPy loads only through pickle.
        raise ValueError(f"{path}: unreadable archive ({error}); {REBUILD}") from error
    missing = [key for key in keys if key not in found]
    if missing:
        raise ValueError(f"{path}: missing arrays {missing}, found {found}; {REBUILD}")
    for key, value in arrays.items():
        # np.load returns the raw bytes of a member that is not in .npy format.
        if not isinstance(value, np.ndarray):
            raise ValueError(f"{path}: member {key} is not a .npy array; {REBUILD}")
    X = arrays["X"]
    if X.ndim != 2 or X.dtype != np.float64:
        raise ValueError(f"{path}: X must be a 2-D float64 matrix, found {X.ndim}-D {X.dtype}; {REBUILD}")
    return arrays


def _check_one_per_row(path, name: str, values: np.ndarray, X: np.ndarray) -> None:
    if values.shape != (X.shape[0],):
        raise ValueError(f"{path}: {name} has shape {values.shape} for {X.shape[0]} rows of X; {REBUILD}")


def _to_dtype(X: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # astype rounds float64 to the nearest float32, as the parquet loader does. The
    # result is C-contiguous and writable, and a converted float64 matrix is freed on return.
    return np.ascontiguousarray(X.astype(dtype, copy=False))


def load_split_arrays(path, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """Load a labelled split archive and return (X in ``dtype``, y)."""
    dtype = check_load_dtype(dtype)
    arrays = _read_arrays(path, SPLIT_KEYS)
    X, y = arrays["X"], arrays["y"]
    _check_one_per_row(path, "y", y, X)
    if y.dtype.kind not in "iU":
        raise ValueError(f"{path}: y must contain integer or unicode labels, found {y.dtype}; {REBUILD}")
    return _to_dtype(X, dtype), y


def load_competition_arrays(path, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """Load a competition test archive and return (ids as int64, X in ``dtype``)."""
    dtype = check_load_dtype(dtype)
    arrays = _read_arrays(path, COMPETITION_KEYS)
    ids, X = arrays["ids"], arrays["X"]
    _check_one_per_row(path, "ids", ids, X)
    if ids.dtype != np.int64:
        raise ValueError(f"{path}: ids must be int64, found {ids.dtype}; {REBUILD}")
    return ids, _to_dtype(X, dtype)


def load_training_inputs(paths: Mapping[str, str | os.PathLike], dtype) -> tuple[dict, np.ndarray | None]:
    """Load a training job's archives and check that they agree on the number of features.

    ``paths`` maps ``train``, ``validation`` and ``test`` to split archives
    and, optionally, ``competition_test`` to a competition archive (None or
    absent when the dataset has none). Returns ``{split: (X, y)}`` and the
    competition matrix or None. Archives from different feature builds are
    rejected here, before the fit, with every file's feature count.
    """
    splits = {name: load_split_arrays(paths[name], dtype=dtype) for name in ("train", "validation", "test")}
    competition_X = None
    if paths.get("competition_test"):
        _, competition_X = load_competition_arrays(paths["competition_test"], dtype=dtype)

    counts = {paths[name]: X.shape[1] for name, (X, _) in splits.items()}
    if competition_X is not None:
        counts[paths["competition_test"]] = competition_X.shape[1]
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{path}: {count}" for path, count in counts.items())
        raise ValueError(
            f"the training archives have different numbers of features ({listed}), so they come from different "
            "feature builds; delete them and rerun the workflow to rebuild them from the parquet files"
        )
    return splits, competition_X
