"""Tests of the .npz training archives: conversion from parquet, loading and bad files."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import numpy as np
import pytest

from gridstudy.arrays import (
    load_competition_arrays,
    load_split_arrays,
    load_training_inputs,
    save_competition_arrays,
    save_split_arrays,
)
from gridstudy.features import load_competition_test, load_split, write_training_arrays
from tests.test_features import build_credit, build_reviews, credit_csv, review_folder  # noqa: F401 (fixtures)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_credit_split_loads_as_parquet(credit_csv, tmp_path, dtype):  # noqa: F811
    build_credit(credit_csv, tmp_path / "features")
    for name in ("train", "validation", "test"):
        parquet = tmp_path / "features" / f"{name}.parquet"
        archive = tmp_path / "arrays" / f"{name}.npz"
        write_training_arrays(parquet, archive)

        X, y = load_split_arrays(archive, dtype=dtype)
        expected_X, expected_y, _ = load_split(parquet, dtype=dtype)
        assert X.dtype == dtype
        assert X.tobytes() == expected_X.tobytes(), name
        assert X.flags.c_contiguous
        assert X.flags.writeable
        assert y.dtype == np.int64
        assert np.array_equal(y, expected_y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reviews_archives_load_as_parquet(review_folder, tmp_path, dtype):  # noqa: F811
    build_reviews(review_folder, tmp_path / "features", preprocessing="tfidf")
    for name in ("train", "validation", "test"):
        parquet = tmp_path / "features" / f"{name}.parquet"
        write_training_arrays(parquet, tmp_path / "arrays" / f"{name}.npz")
        X, y = load_split_arrays(tmp_path / "arrays" / f"{name}.npz", dtype=dtype)
        expected_X, expected_y, _ = load_split(parquet, dtype=dtype)
        assert X.tobytes() == expected_X.tobytes(), name
        assert y.dtype.kind == "U"
        assert y.tolist() == expected_y.tolist()

    parquet = tmp_path / "features" / "competition_test.parquet"
    write_training_arrays(parquet, tmp_path / "arrays" / "competition_test.npz")
    ids, X = load_competition_arrays(tmp_path / "arrays" / "competition_test.npz", dtype=dtype)
    expected_ids, expected_X = load_competition_test(parquet, dtype=dtype)
    assert ids.dtype == np.int64
    assert ids.tolist() == expected_ids.tolist()
    assert X.tobytes() == expected_X.tobytes()


def test_archive_without_pickles(tmp_path):
    save_split_arrays(tmp_path / "split.npz", np.zeros((2, 3)), np.array(["a", "b"]))
    with zipfile.ZipFile(tmp_path / "split.npz") as archive:
        assert sorted(archive.namelist()) == ["X.npy", "y.npy"]
    with np.load(tmp_path / "split.npz", allow_pickle=False) as arrays:
        assert arrays["y"].dtype.kind == "U"


def test_training_job_imports_no_pyarrow():
    code = (
        "import sys, gridstudy.arrays, gridstudy.training, gridstudy.io, gridstudy.joblog; "
        "print(sorted(name for name in ('pyarrow', 'pandas') if name in sys.modules))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


@pytest.mark.parametrize("dtype", ["float16", "int64", "not-a-dtype", None])
def test_load_rejects_dtype(tmp_path, dtype):
    save_split_arrays(tmp_path / "split.npz", np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(ValueError, match=f"dtype must be float32 or float64; got {dtype!r}"):
        load_split_arrays(tmp_path / "split.npz", dtype=dtype)


def test_load_missing_archive(tmp_path):
    with pytest.raises(FileNotFoundError, match="training archive not found; rerun the workflow"):
        load_split_arrays(tmp_path / "absent.npz")


def test_load_not_an_archive(tmp_path):
    path = tmp_path / "train.npz"
    path.write_bytes(b"PAR1 not a zip file")
    with pytest.raises(ValueError, match="not an .npz archive; delete it and rerun the workflow"):
        load_split_arrays(path)


def test_load_split_from_competition_archive(tmp_path):
    path = tmp_path / "competition_test.npz"
    save_competition_arrays(path, np.arange(2, dtype=np.int64), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"missing arrays \['y'\], found \['ids', 'X'\]"):
        load_split_arrays(path)


def test_load_float32_archive(tmp_path):
    path = tmp_path / "train.npz"
    np.savez(path, X=np.zeros((2, 3), dtype=np.float32), y=np.array([0, 1]))
    with pytest.raises(ValueError, match="X must be a 2-D float64 matrix, found 2-D float32"):
        load_split_arrays(path)


def test_load_labels_of_wrong_length(tmp_path):
    path = tmp_path / "train.npz"
    np.savez(path, X=np.zeros((2, 3)), y=np.array([0, 1, 1]))
    with pytest.raises(ValueError, match=r"y has shape \(3,\) for 2 rows of X"):
        load_split_arrays(path)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.zeros((2, 3), dtype=np.float32), np.array([0, 1]), "X must be a 2-D float64 matrix; got 2-D float32"),
        (np.zeros(3), np.array([0, 1, 1]), "X must be a 2-D float64 matrix; got 1-D float64"),
        (np.zeros((2, 3)), np.array([0]), r"y must have one label per row of X \(2\); got shape \(1,\)"),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), "y must be integer or unicode labels; got float64"),
    ],
)
def test_save_rejects_without_writing(tmp_path, X, y, message):
    with pytest.raises(ValueError, match=message):
        save_split_arrays(tmp_path / "arrays" / "train.npz", X, y)
    assert not (tmp_path / "arrays").exists() or list((tmp_path / "arrays").iterdir()) == []


def test_save_competition_rejects_float_ids(tmp_path):
    with pytest.raises(ValueError, match="ids must be int64 with one id per row of X"):
        save_competition_arrays(tmp_path / "competition_test.npz", np.array([1.0, 2.0]), np.zeros((2, 3)))
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_old_archive(tmp_path, monkeypatch):
    path = tmp_path / "train.npz"
    save_split_arrays(path, np.ones((2, 3)), np.array([0, 1]))

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", fail)
    with pytest.raises(OSError, match="disk full"):
        save_split_arrays(path, np.zeros((2, 3)), np.array([1, 0]))
    X, y = load_split_arrays(path)
    assert X.tolist() == np.ones((2, 3)).tolist()
    assert list(tmp_path.iterdir()) == [path]


def test_load_damaged_member(tmp_path):
    path = tmp_path / "train.npz"
    save_split_arrays(path, np.arange(6000, dtype=np.float64).reshape(1000, 6), np.zeros(1000, dtype=np.int64))
    data = bytearray(path.read_bytes())
    middle = len(data) // 3
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="train.npz: unreadable archive .*; delete it and rerun the workflow"):
        load_split_arrays(path)


def test_load_object_labels(tmp_path):
    path = tmp_path / "train.npz"
    np.savez(path, X=np.zeros((2, 3)), y=np.array(["a", None], dtype=object))
    with pytest.raises(ValueError, match="unreadable archive .*allow_pickle"):
        load_split_arrays(path)


def test_load_member_not_npy(tmp_path):
    path = tmp_path / "train.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("X.npy", b"not an array")
        archive.writestr("y.npy", b"not an array")
    with pytest.raises(ValueError, match="member X is not a .npy array; delete it and rerun the workflow"):
        load_split_arrays(path)


def test_load_float_labels(tmp_path):
    path = tmp_path / "train.npz"
    np.savez(path, X=np.zeros((2, 3)), y=np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="y must contain integer or unicode labels, found float64"):
        load_split_arrays(path)


def test_load_float_ids(tmp_path):
    path = tmp_path / "competition_test.npz"
    np.savez(path, ids=np.array([1.7, 2.2]), X=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="ids must be int64, found float64; delete it and rerun the workflow"):
        load_competition_arrays(path)


def test_load_ids_of_wrong_length(tmp_path):
    path = tmp_path / "competition_test.npz"
    np.savez(path, ids=np.arange(3, dtype=np.int64), X=np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"ids has shape \(3,\) for 2 rows of X"):
        load_competition_arrays(path)


def write_inputs(folder, features_by_name):
    paths = {}
    for name, n_features in features_by_name.items():
        paths[name] = folder / f"{name}.npz"
        if name == "competition_test":
            save_competition_arrays(paths[name], np.arange(2, dtype=np.int64), np.zeros((2, n_features)))
        else:
            save_split_arrays(paths[name], np.ones((2, n_features)), np.array([0, 1]))
    return paths


def test_training_inputs_loaded(tmp_path):
    paths = write_inputs(tmp_path, {"train": 3, "validation": 3, "test": 3, "competition_test": 3})
    splits, competition_X = load_training_inputs(paths, dtype="float32")
    assert sorted(splits) == ["test", "train", "validation"]
    assert all(X.dtype == np.float32 for X, _ in splits.values())
    assert competition_X.shape == (2, 3)
    assert competition_X.dtype == np.float32


def test_training_inputs_without_competition(tmp_path):
    paths = write_inputs(tmp_path, {"train": 3, "validation": 3, "test": 3})
    splits, competition_X = load_training_inputs({**paths, "competition_test": None}, dtype="float64")
    assert competition_X is None
    assert splits["train"][0].shape == (2, 3)


@pytest.mark.parametrize("other", ["validation", "test", "competition_test"])
def test_training_inputs_feature_mismatch(tmp_path, other):
    counts = {"train": 29, "validation": 29, "test": 29, "competition_test": 29}
    counts[other] = 26
    paths = write_inputs(tmp_path, counts)
    with pytest.raises(ValueError, match="different numbers of features") as raised:
        load_training_inputs(paths, dtype="float32")
    message = str(raised.value)
    assert f"{paths['train']}: 29" in message
    assert f"{paths[other]}: 26" in message
    assert "rerun the workflow to rebuild them" in message
