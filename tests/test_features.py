"""Tests of the feature stage: splits, preprocessing, input checks and the parquet format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gridstudy.features import (
    apply_tfidf,
    build_credit_features,
    build_review_features,
    fit_idf,
    load_competition_test,
    load_split,
    signed_log1p,
    status_indicators,
)
from gridstudy.splits import check_split_params, split_sizes, stratified_split
from tests.fakedata import REVIEW_TEST, REVIEW_TRAIN, credit_rows, write_credit_csv, write_review_folder

SPLIT = {"train": 0.7, "validation": 0.15, "test": 0.15, "seed": 0}
CATEGORIES = {"SEX": [1, 2], "EDUCATION": [1, 2, 3, 4], "MARRIAGE": [1, 2, 3]}
CREDIT_FEATURES = (
    ["LIMIT_BAL", "SEX_1", "SEX_2", "EDUCATION_1", "EDUCATION_2", "EDUCATION_3", "EDUCATION_4"]
    + ["MARRIAGE_1", "MARRIAGE_2", "MARRIAGE_3", "AGE", "PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6"]
    + [f"BILL_AMT{i}" for i in range(1, 7)]
    + [f"PAY_AMT{i}" for i in range(1, 7)]
)
SHARED_CREDIT = Path(__file__).resolve().parents[2] / "shared" / "data" / "credit_default" / "default_of_credit_card_clients.csv"


# ---------------------------------------------------------------- helpers


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Replace the cell of data row ``row`` (0-based) in ``column`` of a CSV whose header may quote names."""
    lines = path.read_text().splitlines()
    header = [name.strip('"') for name in lines[0].split(",")]
    cells = lines[row + 1].split(",")
    cells[header.index(column)] = value
    lines[row + 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")


def set_column(path: Path, column: str, value: str) -> None:
    lines = path.read_text().splitlines()
    index = [name.strip('"') for name in lines[0].split(",")].index(column)
    for row in range(1, len(lines)):
        cells = lines[row].split(",")
        cells[index] = value
        lines[row] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")


def drop_column(path: Path, column: str) -> None:
    lines = path.read_text().splitlines()
    index = [name.strip('"') for name in lines[0].split(",")].index(column)
    remaining = [",".join(cell for i, cell in enumerate(line.split(",")) if i != index) for line in lines]
    path.write_text("\n".join(remaining) + "\n")


def prepend_index_column(path: Path, name: str) -> None:
    """Add a leading column the way pandas writes its index, with header ``name``."""
    lines = path.read_text().splitlines()
    lines = [f"{name}," + lines[0]] + [f"{row}," + line for row, line in enumerate(lines[1:])]
    path.write_text("\n".join(lines) + "\n")


def credit_outputs(folder: Path) -> dict[str, Path]:
    return {name: folder / f"{name}.parquet" for name in ("train", "validation", "test")} | {
        "metadata": folder / "metadata.json"
    }


def review_outputs(folder: Path) -> dict[str, Path]:
    return credit_outputs(folder) | {"competition_test": folder / "competition_test.parquet"}


def write_checksums(folder: Path) -> Path:
    path = folder / "sha256.json"
    path.write_text(json.dumps({"files": {"data.csv": "0" * 64}}))
    return path


@pytest.fixture
def credit_csv(tmp_path) -> Path:
    return write_credit_csv(tmp_path / "raw" / "data.csv", n_rows=600, seed=0)


@pytest.fixture
def review_folder(tmp_path) -> Path:
    return write_review_folder(tmp_path / "raw_reviews", n_train=120, n_test=40, n_features=30, n_authors=4)


def build_credit(csv: Path, out: Path, split=SPLIT, categories=CATEGORIES, preprocessing="standardize") -> dict:
    return build_credit_features(
        csv=csv, checksums=write_checksums(csv.parent), **credit_outputs(out), split=split, categories=categories,
        preprocessing=preprocessing,
    )


def build_reviews(folder: Path, out: Path, preprocessing="standardize", split=SPLIT) -> dict:
    return build_review_features(
        train_csv=folder / REVIEW_TRAIN,
        test_csv=folder / REVIEW_TEST,
        checksums=write_checksums(folder),
        **review_outputs(out),
        split=split,
        preprocessing=preprocessing,
    )


def assert_nothing_written(out: Path) -> None:
    leftovers = sorted(path.name for path in out.iterdir()) if out.exists() else []
    assert leftovers == []


# ------------------------------------------------------------------ split


def test_split_sizes_sum_to_rows():
    assert split_sizes(750, [0.7, 0.15, 0.15]).tolist() == [525, 113, 112]
    assert split_sizes(30000, [0.7, 0.15, 0.15]).tolist() == [21000, 4500, 4500]
    assert split_sizes(7, [0.5, 0.25, 0.25]).sum() == 7


def test_split_stratifies_classes():
    labels = np.array([0] * 800 + [1] * 200)
    positions = stratified_split(labels, SPLIT)
    assert {name: len(index) for name, index in positions.items()} == {"train": 700, "validation": 150, "test": 150}
    for name, index in positions.items():
        assert abs(np.mean(labels[index] == 1) - 0.2) <= 1 / len(index)
    every_row = np.sort(np.concatenate(list(positions.values())))
    assert np.array_equal(every_row, np.arange(1000))


def test_split_stratifies_many_small_classes():
    labels = np.repeat([f"author{i}" for i in range(50)], 15)
    positions = stratified_split(labels, SPLIT)
    for name, index in positions.items():
        counts = np.unique(labels[index], return_counts=True)[1]
        expected = 15 * SPLIT[name]
        assert len(counts) == 50
        assert counts.min() >= np.floor(expected) - 1
        assert counts.max() <= np.ceil(expected) + 1


def test_split_is_deterministic_for_seed():
    labels = np.random.default_rng(5).integers(0, 3, 300)
    first = stratified_split(labels, SPLIT)
    second = stratified_split(labels, SPLIT)
    other = stratified_split(labels, {**SPLIT, "seed": 1})
    for name in first:
        assert np.array_equal(first[name], second[name])
    assert not np.array_equal(first["train"], other["train"])


@pytest.mark.parametrize(
    "split, message",
    [
        ({"train": 0.7, "validation": 0.2, "test": 0.15}, "sum to"),
        ({"train": 1.0, "validation": 0.15, "test": 0.15}, "between 0 and 1"),
        ({"train": "0.7"}, "not a number"),
        ({"seed": -1}, "non-negative integer"),
        ({"shuffle": True}, "unknown split parameter"),
    ],
)
def test_split_params_rejected(split, message):
    with pytest.raises(ValueError, match=message):
        check_split_params(split)


def test_split_rejects_tiny_class():
    labels = np.array(["Shea"] * 40 + ["Riley"] * 3)
    with pytest.raises(ValueError, match="class 'Riley' has 3 rows"):
        stratified_split(labels, SPLIT)


# ----------------------------------------------------------------- credit


def test_credit_columns_and_dtypes(credit_csv, tmp_path):
    out = tmp_path / "features"
    metadata = build_credit(credit_csv, out)
    assert metadata["feature_names"] == CREDIT_FEATURES
    assert metadata["classes"] == [0, 1]
    for name in ("train", "validation", "test"):
        schema = pq.read_schema(out / f"{name}.parquet")
        assert schema.names == CREDIT_FEATURES + ["target"]
        assert all(schema.field(feature).type == pa.float64() for feature in CREDIT_FEATURES)
        assert schema.field("target").type == pa.int64()
        frame = pd.read_parquet(out / f"{name}.parquet")
        assert (frame.dtypes[CREDIT_FEATURES] == np.float64).all()
        assert frame["target"].dtype == np.int64
    assert sorted(path.name for path in out.iterdir()) == [
        "metadata.json", "test.parquet", "train.parquet", "validation.parquet"
    ]


def test_credit_metadata_contents(credit_csv, tmp_path):
    out = tmp_path / "features"
    build_credit(credit_csv, out)
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["dataset"] == "credit_default"
    assert metadata["target"] == "target"
    assert metadata["n_classes"] == 2
    assert metadata["rows"] == {"train": 420, "validation": 90, "test": 90}
    assert metadata["split"] == SPLIT
    assert metadata["raw_sha256"] == {"files": {"data.csv": "0" * 64}}
    assert metadata["preprocessing"]["kind"] == "standardize"
    assert metadata["preprocessing"]["one_hot"] == CATEGORIES
    assert set(metadata["majority_class_rate"]) == {"train", "validation", "test"}

    target = credit_rows(600, 0)[:, 24]
    assert metadata["majority_class_rate"]["train"] == pytest.approx(max(np.mean(target == 0), np.mean(target == 1)), abs=0.01)


def test_credit_id_and_index_not_features(credit_csv, tmp_path):
    prepend_index_column(credit_csv, "")
    metadata = build_credit(credit_csv, tmp_path / "features")
    assert metadata["feature_names"] == CREDIT_FEATURES
    _, _, names = load_split(tmp_path / "features" / "train.parquet")
    assert "ID" not in names
    assert "" not in names
    assert not any(name.startswith("Unnamed") for name in names)


def test_credit_preprocessing_fit_on_train(credit_csv, tmp_path):
    out = tmp_path / "features"
    metadata = build_credit(credit_csv, out)
    numeric = [CREDIT_FEATURES.index(name) for name in metadata["preprocessing"]["columns"]]
    X_train, _, _ = load_split(out / "train.parquet")
    X_test, _, _ = load_split(out / "test.parquet")
    assert np.allclose(X_train[:, numeric].mean(axis=0), 0, atol=1e-12)
    assert np.allclose(X_train[:, numeric].std(axis=0), 1)
    assert not np.allclose(X_test[:, numeric].mean(axis=0), 0, atol=1e-3)

    raw = credit_rows(600, 0)
    train_rows = stratified_split(raw[:, 24], SPLIT)["train"]
    limit_index = metadata["preprocessing"]["columns"].index("LIMIT_BAL")
    assert metadata["preprocessing"]["mean"][limit_index] == pytest.approx(raw[train_rows, 1].mean())
    assert metadata["preprocessing"]["std"][limit_index] == pytest.approx(raw[train_rows, 1].std())


def test_credit_log_onehot_columns(credit_csv, tmp_path):
    metadata = build_credit(credit_csv, tmp_path / "features", preprocessing="log_onehot")
    names = metadata["feature_names"]
    status = [f"PAY_0={code}" for code in (-2, -1, 0, 1, 2)] + ["PAY_0>=3"]
    assert names[names.index("PAY_0") + 1 : names.index("PAY_0") + 7] == status
    assert len(names) == len(CREDIT_FEATURES) + 6 * 6
    assert metadata["preprocessing"]["kind"] == "log_onehot"
    assert metadata["preprocessing"]["signed_log1p"][0] == "LIMIT_BAL"
    # Indicators stay 0/1 like the one-hot categories; only the other columns are standardised.
    assert "PAY_0=0" not in metadata["preprocessing"]["columns"]
    assert "PAY_0" in metadata["preprocessing"]["columns"]


def test_credit_log_onehot_values(credit_csv, tmp_path):
    set_cell(credit_csv, 0, "X12", "-999")  # BILL_AMT1
    set_cell(credit_csv, 0, "X6", "5")  # PAY_0
    out = tmp_path / "features"
    metadata = build_credit(credit_csv, out, preprocessing="log_onehot")
    prep = metadata["preprocessing"]
    frame = pd.concat([pd.read_parquet(out / f"{name}.parquet") for name in ("train", "validation", "test")])

    def unscaled(name):
        index = prep["columns"].index(name)
        return frame[name].to_numpy() * prep["std"][index] + prep["mean"][index]

    bill = unscaled("BILL_AMT1")
    assert np.all(np.isfinite(bill))
    (row,) = np.flatnonzero(np.isclose(bill, -np.log1p(999.0)))
    assert unscaled("PAY_0")[row] == pytest.approx(5.0)
    assert frame["PAY_0>=3"].iloc[row] == 1.0
    assert frame[[f"PAY_0={code}" for code in (-2, -1, 0, 1, 2)]].iloc[row].sum() == 0.0
    indicators = frame[[name for name in frame.columns if name.startswith("PAY_2=") or name == "PAY_2>=3"]]
    assert set(np.unique(indicators.to_numpy())) <= {0.0, 1.0}


def test_credit_signed_log1p_and_status_indicators():
    assert np.allclose(signed_log1p(np.array([-np.e + 1, 0.0, 9.0])), [-1.0, 0.0, np.log(10.0)])
    codes = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 8.0])
    expected = np.zeros((7, 6))
    expected[np.arange(5), np.arange(5)] = 1.0
    expected[5:, 5] = 1.0
    assert np.array_equal(status_indicators(codes), expected)


def test_credit_standardize_unchanged_by_log_onehot_option(credit_csv, tmp_path):
    default = build_credit(credit_csv, tmp_path / "a")
    explicit = build_credit(credit_csv, tmp_path / "b", preprocessing="standardize")
    assert default == explicit
    assert (tmp_path / "a" / "train.parquet").read_bytes() == (tmp_path / "b" / "train.parquet").read_bytes()


def test_credit_unknown_preprocessing_rejected(credit_csv, tmp_path):
    with pytest.raises(ValueError, match="'logs'.*standardize.*log_onehot"):
        build_credit(credit_csv, tmp_path / "features", preprocessing="logs")
    assert not (tmp_path / "features").exists() or not any((tmp_path / "features").iterdir())


def test_credit_folds_undocumented_codes(credit_csv, tmp_path):
    for row, (education, marriage) in enumerate([(0, 0), (5, 1), (6, 2)]):
        set_cell(credit_csv, row, "X3", str(education))
        set_cell(credit_csv, row, "X4", str(marriage))
    out = tmp_path / "features"
    build_credit(credit_csv, out)
    frames = pd.concat([pd.read_parquet(out / f"{name}.parquet") for name in ("train", "validation", "test")])
    education = frames[[f"EDUCATION_{code}" for code in (1, 2, 3, 4)]]
    marriage = frames[[f"MARRIAGE_{code}" for code in (1, 2, 3)]]
    assert (education.sum(axis=1) == 1).all()
    assert (marriage.sum(axis=1) == 1).all()


def test_credit_missing_category_same_columns(credit_csv, tmp_path):
    set_column(credit_csv, "X3", "1")
    set_cell(credit_csv, 0, "X3", "3")  # EDUCATION 3 in exactly one row, so in one split only
    out = tmp_path / "features"
    build_credit(credit_csv, out)
    frames = {name: pd.read_parquet(out / f"{name}.parquet") for name in ("train", "validation", "test")}
    for frame in frames.values():
        assert list(frame.columns) == CREDIT_FEATURES + ["target"]
    assert sum(frame["EDUCATION_3"].sum() for frame in frames.values()) == 1
    assert all(frame["EDUCATION_2"].sum() == 0 for frame in frames.values())


def test_credit_constant_column_becomes_zero(credit_csv, tmp_path):
    set_column(credit_csv, "X5", "30")
    out = tmp_path / "features"
    metadata = build_credit(credit_csv, out)
    age = metadata["preprocessing"]["columns"].index("AGE")
    assert metadata["preprocessing"]["std"][age] == 0.0
    for name in ("train", "validation", "test"):
        X, _, names = load_split(out / f"{name}.parquet")
        assert np.isfinite(X).all()
        assert (X[:, names.index("AGE")] == 0).all()


@pytest.mark.parametrize("value", ["unknown", "?", "n/a", "", "NaN", "inf"])
def test_credit_bad_value_rejected(credit_csv, tmp_path, value):
    set_cell(credit_csv, 4, "X5", value)
    out = tmp_path / "features"
    with pytest.raises(ValueError) as error:
        build_credit(credit_csv, out)
    message = str(error.value)
    assert "column X5 (AGE)" in message
    assert "row ID 5" in message
    assert (f"the value {value.lower()!r}" if value else "an empty cell") in message
    assert_nothing_written(out)


def test_credit_missing_column_rejected(credit_csv, tmp_path):
    drop_column(credit_csv, "X12")
    out = tmp_path / "features"
    with pytest.raises(ValueError, match=r"column X12 \(BILL_AMT1\) is missing"):
        build_credit(credit_csv, out)
    assert_nothing_written(out)


def test_credit_missing_target_rejected(credit_csv, tmp_path):
    drop_column(credit_csv, "Y")
    out = tmp_path / "features"
    with pytest.raises(ValueError, match="column Y .*is missing"):
        build_credit(credit_csv, out)
    assert_nothing_written(out)


@pytest.mark.parametrize("value, message", [("", "empty cell at row ID 8"), ("2", "value 2 at row ID 8")])
def test_credit_bad_target_rejected(credit_csv, tmp_path, value, message):
    set_cell(credit_csv, 7, "Y", value)
    out = tmp_path / "features"
    with pytest.raises(ValueError, match=message):
        build_credit(credit_csv, out)
    assert_nothing_written(out)


def test_credit_unknown_category_rejected(credit_csv, tmp_path):
    set_cell(credit_csv, 2, "X4", "7")
    out = tmp_path / "features"
    with pytest.raises(ValueError, match=r"column MARRIAGE has the value 7 at row ID 3"):
        build_credit(credit_csv, out)
    assert_nothing_written(out)


def test_credit_is_deterministic(credit_csv, tmp_path):
    build_credit(credit_csv, tmp_path / "first")
    build_credit(credit_csv, tmp_path / "second")
    build_credit(credit_csv, tmp_path / "other", split={**SPLIT, "seed": 3})
    for name in ("train", "validation", "test"):
        X1, y1, _ = load_split(tmp_path / "first" / f"{name}.parquet")
        X2, y2, _ = load_split(tmp_path / "second" / f"{name}.parquet")
        assert np.array_equal(X1, X2)
        assert np.array_equal(y1, y2)
    first_train, _, _ = load_split(tmp_path / "first" / "train.parquet")
    other_train, _, _ = load_split(tmp_path / "other" / "train.parquet")
    assert not np.array_equal(first_train, other_train)


def test_load_split_arrays(credit_csv, tmp_path):
    build_credit(credit_csv, tmp_path / "features")
    X, y, names = load_split(tmp_path / "features" / "train.parquet")
    assert X.dtype == np.float64
    assert X.flags.c_contiguous
    assert X.flags.writeable
    assert X.shape == (420, len(CREDIT_FEATURES))
    assert y.dtype == np.int64
    assert names == CREDIT_FEATURES


@pytest.mark.shared_data
@pytest.mark.skipif(not SHARED_CREDIT.exists(), reason="needs the real credit CSV in ../shared/data")
def test_credit_real_csv(tmp_path):
    csv = tmp_path / "raw" / "data.csv"
    csv.parent.mkdir()
    csv.write_bytes(SHARED_CREDIT.read_bytes())
    metadata = build_credit(csv, tmp_path / "features")
    assert metadata["rows"] == {"train": 21000, "validation": 4500, "test": 4500}
    assert metadata["feature_names"] == CREDIT_FEATURES
    assert metadata["majority_class_rate"]["test"] == pytest.approx(0.7788, abs=0.002)
    X, y, _ = load_split(tmp_path / "features" / "validation.parquet")
    assert np.isfinite(X).all()
    assert set(np.unique(y)) == {0, 1}


# ---------------------------------------------------------------- reviews


def test_reviews_columns_and_dtypes(review_folder, tmp_path):
    out = tmp_path / "features"
    metadata = build_reviews(review_folder, out)
    names = [f"V{i}" for i in range(1, 31)]
    assert metadata["feature_names"] == names
    assert metadata["classes"] == ["Agresti", "Chachra", "Riley", "Shea"]
    assert metadata["rows"] == {"train": 84, "validation": 18, "test": 18, "competition_test": 40}
    for name in ("train", "validation", "test"):
        schema = pq.read_schema(out / f"{name}.parquet")
        assert schema.names == names + ["target"]
        assert all(schema.field(feature).type == pa.float64() for feature in names)
        assert schema.field("target").type == pa.string()
        X, y, loaded_names = load_split(out / f"{name}.parquet")
        assert loaded_names == names
        assert y.dtype.kind == "U"
    schema = pq.read_schema(out / "competition_test.parquet")
    assert schema.names == ["ID"] + names
    assert schema.field("ID").type == pa.int64()


def test_reviews_competition_test_matches(review_folder, tmp_path):
    out = tmp_path / "features"
    metadata = build_reviews(review_folder, out)
    ids, X = load_competition_test(out / "competition_test.parquet")
    assert ids.dtype == np.int64
    assert ids.tolist() == list(range(120, 160))
    assert X.shape == (40, len(metadata["feature_names"]))
    assert X.flags.c_contiguous

    raw = pd.read_csv(review_folder / REVIEW_TEST)
    counts = raw[metadata["feature_names"]].to_numpy(dtype=np.float64)
    fitted = metadata["preprocessing"]
    std = np.array(fitted["std"])
    expected = np.where(std == 0, 0.0, (counts - fitted["mean"]) / np.where(std == 0, 1, std))
    assert np.allclose(X, expected)


def test_reviews_standardize_fit_on_train(review_folder, tmp_path):
    out = tmp_path / "features"
    build_reviews(review_folder, out)
    X_train, _, _ = load_split(out / "train.parquet")
    X_test, _, _ = load_split(out / "test.parquet")
    assert np.allclose(X_train.mean(axis=0), 0, atol=1e-12)
    assert not np.allclose(X_test.mean(axis=0), 0, atol=1e-3)


def test_reviews_id_and_index_not_features(review_folder, tmp_path):
    prepend_index_column(review_folder / REVIEW_TRAIN, "Unnamed: 0")
    metadata = build_reviews(review_folder, tmp_path / "features")
    assert metadata["feature_names"] == [f"V{i}" for i in range(1, 31)]


def test_reviews_tfidf_rows_unit_length(review_folder, tmp_path):
    set_column(review_folder / REVIEW_TRAIN, "V7", "0")
    set_column(review_folder / REVIEW_TEST, "V7", "0")
    out = tmp_path / "features"
    metadata = build_reviews(review_folder, out, preprocessing="tfidf")
    assert metadata["preprocessing"]["kind"] == "tfidf"
    for name in ("train", "validation", "test"):
        X, _, names = load_split(out / f"{name}.parquet")
        norms = np.linalg.norm(X, axis=1)
        assert np.allclose(norms[norms > 0], 1)
        assert (X[:, names.index("V7")] == 0).all()
    _, X_competition = load_competition_test(out / "competition_test.parquet")
    assert np.isfinite(X_competition).all()


def test_tfidf_formula_and_zero_row():
    counts = np.array([[1.0, 0.0, 3.0], [0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    idf = fit_idf(counts)
    assert np.allclose(idf, np.log(4 / np.array([3, 1, 2])) + 1)
    weighted = apply_tfidf(counts, idf)
    expected = np.log1p(counts[0]) * idf
    assert np.allclose(weighted[0], expected / np.linalg.norm(expected))
    assert (weighted[1] == 0).all()
    assert np.isfinite(weighted).all()


@pytest.mark.parametrize("value", ["unknown", "?", "n/a", "", "nan"])
def test_reviews_bad_value_rejected(review_folder, tmp_path, value):
    set_cell(review_folder / REVIEW_TRAIN, 10, "V3", value)
    out = tmp_path / "features"
    with pytest.raises(ValueError, match=r"column V3 has .* at row ID 10"):
        build_reviews(review_folder, out)
    assert_nothing_written(out)


def test_reviews_bad_competition_value_rejected(review_folder, tmp_path):
    set_cell(review_folder / REVIEW_TEST, 0, "V2", "?")
    out = tmp_path / "features"
    with pytest.raises(ValueError, match=r"column V2 has the value '\?' at row ID 120"):
        build_reviews(review_folder, out)
    assert_nothing_written(out)


def test_reviews_missing_target_rejected(review_folder, tmp_path):
    drop_column(review_folder / REVIEW_TRAIN, "Class")
    out = tmp_path / "features"
    with pytest.raises(ValueError, match="column Class .*is missing"):
        build_reviews(review_folder, out)
    assert_nothing_written(out)


def test_reviews_empty_label_rejected(review_folder, tmp_path):
    set_cell(review_folder / REVIEW_TRAIN, 3, "Class", "")
    out = tmp_path / "features"
    with pytest.raises(ValueError, match="target column Class is empty at row ID 3"):
        build_reviews(review_folder, out)
    assert_nothing_written(out)


def test_reviews_feature_mismatch_rejected(review_folder, tmp_path):
    drop_column(review_folder / REVIEW_TEST, "V5")
    out = tmp_path / "features"
    with pytest.raises(ValueError, match=r"feature columns differ .*missing \['V5'\]"):
        build_reviews(review_folder, out)
    assert_nothing_written(out)


def test_reviews_negative_count_rejected_for_tfidf(review_folder, tmp_path):
    set_cell(review_folder / REVIEW_TRAIN, 6, "V4", "-2")
    out = tmp_path / "features"
    with pytest.raises(ValueError, match="negative count -2 at row ID 6"):
        build_reviews(review_folder, out, preprocessing="tfidf")
    assert_nothing_written(out)


def test_reviews_unknown_preprocessing_rejected(review_folder, tmp_path):
    with pytest.raises(ValueError, match="unknown preprocessing 'pca'; use one of"):
        build_reviews(review_folder, tmp_path / "features", preprocessing="pca")


def test_reviews_deterministic_bytes(review_folder, tmp_path):
    build_reviews(review_folder, tmp_path / "first")
    build_reviews(review_folder, tmp_path / "second")
    for name in ("train.parquet", "validation.parquet", "test.parquet", "competition_test.parquet", "metadata.json"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()
