"""Feature stage: raw CSVs to stratified, preprocessed parquet splits.

Each split file contains the feature columns in a fixed order, all float64,
followed by a ``target`` column (int64 for the credit data, string author
names for the reviews).  The competition test file of the reviews contains an
int64 ``ID`` column and the same feature columns, without a target.  A JSON
file of metadata records the feature names, classes, row counts, split
parameters, fitted preprocessing statistics and the raw files' checksums.

Every statistic is fitted on the training split only and applied unchanged
to the other splits.  Inputs are checked before anything is written, and
outputs are written under temporary names and renamed at the end, so a
failed run leaves no parquet or JSON file behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from gridstudy.arrays import check_load_dtype, save_competition_arrays, save_split_arrays
from gridstudy.splits import SPLIT_NAMES, check_split_params, stratified_split

logger = logging.getLogger(__name__)

TARGET = "target"
ID_COLUMN = "ID"

# ucimlrepo's column names for the credit data (dataset 350) and their descriptive names.
CREDIT_NAMES = {
    "X1": "LIMIT_BAL",
    "X2": "SEX",
    "X3": "EDUCATION",
    "X4": "MARRIAGE",
    "X5": "AGE",
    "X6": "PAY_0",
    "X7": "PAY_2",
    "X8": "PAY_3",
    "X9": "PAY_4",
    "X10": "PAY_5",
    "X11": "PAY_6",
    **{f"X{11 + i}": f"BILL_AMT{i}" for i in range(1, 7)},
    **{f"X{17 + i}": f"PAY_AMT{i}" for i in range(1, 7)},
}
CREDIT_TARGET = "Y"
# Codes that occur in the data but not in the dataset's documentation, mapped to "others".
CREDIT_FOLDED_CODES = {"EDUCATION": {0: 4, 5: 4, 6: 4}, "MARRIAGE": {0: 3}}
CREDIT_CATEGORIES = {"SEX": [1, 2], "EDUCATION": [1, 2, 3, 4], "MARRIAGE": [1, 2, 3]}
CREDIT_PREPROCESSING = ("standardize", "log_onehot")
# Money columns, heavy-tailed and sometimes negative: log_onehot takes sign(x) * log(1 + |x|) of them.
CREDIT_MONEY = ("LIMIT_BAL", *(f"BILL_AMT{i}" for i in range(1, 7)), *(f"PAY_AMT{i}" for i in range(1, 7)))
# Repayment status columns: -2 no consumption, -1 paid in full, 0 revolving credit, k >= 1 payment
# delayed k months.  log_onehot adds one indicator per code below and one for "3 or more".
CREDIT_STATUS = ("PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6")
CREDIT_STATUS_CODES = (-2, -1, 0, 1, 2)

REVIEW_TARGET = "Class"
REVIEW_FEATURE = re.compile(r"V\d+")
REVIEW_PREPROCESSING = ("standardize", "tfidf")

# Read every cell as written: no text counts as missing, so empty cells and
# markers such as "n/a" reach the checks below with their original text.
_CSV_CONVERT = pacsv.ConvertOptions(null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False)


# ---------------------------------------------------------------- reading


def read_csv(path: str | os.PathLike) -> pa.Table:
    """Read a CSV file into an Arrow table, keeping every cell's text where it is not a number."""
    table = pacsv.read_csv(path, convert_options=_CSV_CONVERT)
    seen: set[str] = set()
    duplicates = sorted({name for name in table.column_names if name in seen or seen.add(name)})
    if duplicates:
        raise ValueError(f"{path}: column name(s) {duplicates} occur more than once; keep one column of each name")
    return table


def _row_labels(table: pa.Table) -> list[str]:
    """Return a label per row for error messages: its ID where the table has one, else its line number."""
    if ID_COLUMN in table.column_names:
        return [f"row ID {value}" for value in table.column(ID_COLUMN).to_pylist()]
    return [f"line {line}" for line in range(2, table.num_rows + 2)]


def _require_columns(table: pa.Table, names: Sequence[str], path, describe: Mapping[str, str] | None = None) -> None:
    """Raise ValueError naming the first of ``names`` missing from ``table``."""
    describe = describe or {}
    for name in names:
        if name not in table.column_names:
            meaning = f" ({describe[name]})" if name in describe else ""
            raise ValueError(
                f"{path}: column {name}{meaning} is missing; the file has {len(table.column_names)} columns "
                f"starting with {table.column_names[:5]}. Check that the raw stage wrote the complete file"
            )


def numeric_column(table: pa.Table, name: str, path, rows: list[str], description: str | None = None) -> np.ndarray:
    """Return column ``name`` as float64, or raise ValueError naming the column, a bad value and its row.

    Every cell must hold a finite number: empty cells, text such as "unknown",
    "?" or "n/a", NaN and infinities are rejected.  ``rows`` labels each row
    for the message, and ``description`` explains the column name.
    """
    column = table.column(name)
    label = f"column {name}" + (f" ({description})" if description else "")
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        values = column.to_numpy().astype(np.float64)
        texts = None
    else:
        texts = column.cast(pa.string()).to_pylist()
        values = np.empty(len(texts), dtype=np.float64)
        for i, text in enumerate(texts):
            try:
                values[i] = float(text)
            except ValueError:
                values[i] = np.nan

    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        first = bad[0]
        value = texts[first] if texts is not None else str(values[first])
        value_text = "an empty cell" if value.strip() == "" else f"the value {value!r}"
        raise ValueError(
            f"{path}: {label} has {value_text} at {rows[first]} ({len(bad)} bad cell(s) in this column); "
            f"every cell must hold a finite number, so fix or remove those rows"
        )
    return values


def _label_column(table: pa.Table, name: str, path, rows: list[str]) -> np.ndarray:
    """Return the string labels of column ``name``, or raise ValueError at the first empty one."""
    labels = np.array([str(value).strip() for value in table.column(name).to_pylist()], dtype=str)
    empty = np.flatnonzero(labels == "")
    if len(empty):
        raise ValueError(
            f"{path}: the target column {name} is empty at {rows[empty[0]]} ({len(empty)} row(s) without a label); "
            f"every training row needs a label, so fix or remove those rows"
        )
    return labels


def _read_checksums(path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# ---------------------------------------------------------- preprocessing


def fit_standardize(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the per-column mean and population standard deviation of ``X``.

    A column whose values are all equal gets a standard deviation of exactly
    0, even where rounding in the mean would leave a tiny positive value.
    """
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    if len(X):
        std[X.min(axis=0) == X.max(axis=0)] = 0.0
    return mean, std


def apply_standardize(X: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Return the z-scores ``(X - mean) / std``. A column with std 0 becomes 0 in every row."""
    constant = std == 0
    scale = np.where(constant, 1.0, std)
    Z = (X - mean) / scale
    Z[:, constant] = 0.0
    return Z


def fit_idf(counts: np.ndarray) -> np.ndarray:
    """Return the smoothed inverse document frequency ``log((1 + n) / (1 + df)) + 1`` per column.

    ``n`` is the number of rows and ``df`` the number of rows with a non-zero
    count, the smooth variant of scikit-learn's ``TfidfTransformer``.
    """
    n_rows = counts.shape[0]
    document_frequency = np.count_nonzero(counts, axis=0)
    return np.log((1.0 + n_rows) / (1.0 + document_frequency)) + 1.0


def apply_tfidf(counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """Return ``log1p(counts) * idf`` with each row scaled to unit L2 length. An all-zero row stays zero."""
    weighted = np.log1p(counts) * idf
    norms = np.linalg.norm(weighted, axis=1, keepdims=True)
    return weighted / np.where(norms == 0, 1.0, norms)


def one_hot(values: np.ndarray, categories: Sequence[int], name: str, path, rows: list[str]) -> np.ndarray:
    """Return a float64 indicator matrix with one column per category, in the order given.

    Raises ValueError naming the column, value and row of the first value
    that is not in ``categories``.
    """
    categories_array = np.asarray(categories, dtype=np.float64)
    matrix = (values[:, None] == categories_array[None, :]).astype(np.float64)
    unknown = np.flatnonzero(matrix.sum(axis=1) == 0)
    if len(unknown):
        value = values[unknown[0]]
        value_text = int(value) if float(value).is_integer() else value
        raise ValueError(
            f"{path}: column {name} has the value {value_text} at {rows[unknown[0]]} ({len(unknown)} row(s)), "
            f"which is not among the configured categories {list(categories)}; add it to the categories of {name} "
            f"in the config or fix the data"
        )
    return matrix


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """Return ``sign(x) * log(1 + |x|)``, a log scale that keeps zero and negative amounts."""
    return np.sign(values) * np.log1p(np.abs(values))


def status_indicators(values: np.ndarray) -> np.ndarray:
    """Return float64 indicators of the repayment status codes -2, -1, 0, 1, 2 and of codes >= 3.

    Codes below -2 (not in the dataset's documentation) get no indicator; the
    status column itself still carries them.
    """
    exact = values[:, None] == np.asarray(CREDIT_STATUS_CODES, dtype=np.float64)[None, :]
    return np.hstack([exact, values[:, None] >= 3]).astype(np.float64)


# ---------------------------------------------------------------- writing


@contextlib.contextmanager
def staged_outputs(paths: Mapping[str, str | os.PathLike]) -> Iterator[dict[str, Path]]:
    """Yield temporary paths beside each output, and rename them to the outputs if the block succeeds.

    On an exception every temporary file is removed and no output is
    touched.  The renames happen in the order of ``paths``, so put the file
    whose presence marks completion (the metadata) last.
    """
    final = {key: Path(path) for key, path in paths.items()}
    staged = {key: path.with_name(f".{path.name}.tmp{os.getpid()}") for key, path in final.items()}
    for path in final.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield staged
        for key, path in staged.items():
            os.replace(path, final[key])
    finally:
        for path in staged.values():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _feature_table(X: np.ndarray, feature_names: Sequence[str], extra_first=(), extra_last=()) -> pa.Table:
    """Build an Arrow table of float64 feature columns between optional extra (name, array) columns."""
    columns_first = np.asfortranarray(X, dtype=np.float64)
    arrays = [array for _, array in extra_first]
    arrays += [pa.array(columns_first[:, j], type=pa.float64()) for j in range(X.shape[1])]
    arrays += [array for _, array in extra_last]
    names = [name for name, _ in extra_first] + list(feature_names) + [name for name, _ in extra_last]
    return pa.table(arrays, names=names)


def _target_array(y: np.ndarray) -> pa.Array:
    if np.issubdtype(y.dtype, np.integer):
        return pa.array(y.astype(np.int64), type=pa.int64())
    return pa.array(y.tolist(), type=pa.string())


def _write_parquet(table: pa.Table, path: Path) -> None:
    # Without dictionaries and statistics, which no reader here uses, the 525 x 10,000 review
    # split was written in 0.4 s instead of 0.9 s (pyarrow 26, one run on a busy 2-core machine).
    pq.write_table(table, path, use_dictionary=False, write_statistics=False)


def _majority_rates(labels: Mapping[str, np.ndarray]) -> tuple[object, dict[str, float]]:
    """Return the most frequent training label and its share of each split (ties go to the smallest label)."""
    classes, counts = np.unique(labels["train"], return_counts=True)
    majority = classes[np.argmax(counts)]
    rates = {name: float(np.mean(values == majority)) for name, values in labels.items()}
    return majority.item(), rates


def write_feature_set(
    outputs: Mapping[str, str | os.PathLike],
    features: Mapping[str, np.ndarray],
    labels: Mapping[str, np.ndarray],
    feature_names: Sequence[str],
    metadata: dict,
    competition: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """Write the split parquet files, the optional competition test file and the metadata JSON.

    ``outputs`` maps train, validation, test, metadata and, with
    ``competition`` (ids, features), competition_test to paths.  Adds
    ``feature_names``, ``target``, ``classes``, ``n_classes``, ``rows`` and
    ``majority_class_rate`` to ``metadata`` and returns it.
    """
    classes = np.unique(np.concatenate([labels[name] for name in SPLIT_NAMES]))
    majority, rates = _majority_rates(labels)
    rows = {name: int(len(labels[name])) for name in SPLIT_NAMES}
    if competition is not None:
        rows["competition_test"] = int(len(competition[0]))
    metadata = {
        **metadata,
        "feature_names": list(feature_names),
        "target": TARGET,
        "classes": classes.tolist(),
        "n_classes": int(len(classes)),
        "rows": rows,
        "majority_class": majority,
        "majority_class_rate": rates,
    }

    keys = list(SPLIT_NAMES) + (["competition_test"] if competition is not None else []) + ["metadata"]
    with staged_outputs({key: outputs[key] for key in keys}) as staged:
        for name in SPLIT_NAMES:
            table = _feature_table(features[name], feature_names, extra_last=[(TARGET, _target_array(labels[name]))])
            _write_parquet(table, staged[name])
        if competition is not None:
            ids, X = competition
            id_array = pa.array(np.asarray(ids, dtype=np.int64), type=pa.int64())
            _write_parquet(_feature_table(X, feature_names, extra_first=[(ID_COLUMN, id_array)]), staged["competition_test"])
        with open(staged["metadata"], "w", encoding="utf-8") as handle:
            json.dump(metadata, handle, indent=2, allow_nan=False)
            handle.write("\n")
    for key in keys:
        logger.info("wrote %s", outputs[key])
    return metadata


# ----------------------------------------------------------------- credit


def _check_categories(categories: Mapping[str, Sequence[int]] | None) -> dict[str, list[int]]:
    categories = dict(CREDIT_CATEGORIES if categories is None else categories)
    known = set(CREDIT_NAMES.values())
    for name, codes in categories.items():
        if name not in known:
            raise ValueError(f"categories name the column {name!r}, which the credit data lacks; use one of {sorted(known)}")
        codes = list(codes)
        if not codes or any(isinstance(code, bool) or not isinstance(code, (int, np.integer)) for code in codes):
            raise ValueError(f"categories of {name} must be a non-empty list of integer codes, got {codes!r}")
        if len(set(codes)) != len(codes):
            raise ValueError(f"categories of {name} list a code twice: {codes!r}")
        categories[name] = [int(code) for code in codes]
    return categories


def _credit_columns(path) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    """Read and check the credit CSV.

    Returns ({descriptive name: float64 values}, int64 labels, row labels).
    """
    table = read_csv(path)
    describe = {**CREDIT_NAMES, CREDIT_TARGET: "target, default payment next month"}
    _require_columns(table, list(CREDIT_NAMES) + [CREDIT_TARGET], path, describe)
    ignored = [name for name in table.column_names if name not in describe and name != ID_COLUMN]
    if ignored:
        logger.warning("%s: ignoring column(s) %s, which are not credit features", path, ignored)

    rows = _row_labels(table)
    columns = {CREDIT_NAMES[raw]: numeric_column(table, raw, path, rows, CREDIT_NAMES[raw]) for raw in CREDIT_NAMES}
    target = numeric_column(table, CREDIT_TARGET, path, rows, describe[CREDIT_TARGET])
    invalid = np.flatnonzero((target != 0) & (target != 1))
    if len(invalid):
        raise ValueError(
            f"{path}: the target column {CREDIT_TARGET} has the value {target[invalid[0]]:g} at {rows[invalid[0]]}; "
            f"it must be 0 or 1"
        )
    return columns, target.astype(np.int64), rows


def build_credit_features(
    csv: str | os.PathLike,
    checksums: str | os.PathLike,
    train: str | os.PathLike,
    validation: str | os.PathLike,
    test: str | os.PathLike,
    metadata: str | os.PathLike,
    split: Mapping | None = None,
    categories: Mapping[str, Sequence[int]] | None = None,
    preprocessing: str = "standardize",
) -> dict:
    """Build the credit default feature set from ucimlrepo's CSV (ID, X1..X23, Y) and return its metadata.

    Drops ID and renames X1..X23 to LIMIT_BAL, SEX, ..., PAY_AMT6.  Folds the
    EDUCATION codes 0, 5, 6 into 4 and the MARRIAGE code 0 into 3, then
    one-hot encodes the columns named in ``categories`` with the codes listed
    there.  Every other column is standardised with the training split's
    mean and standard deviation.  The target is Y as int64 0/1.

    ``preprocessing`` ``log_onehot`` first replaces each money column
    (:data:`CREDIT_MONEY`) by ``sign(x) * log(1 + |x|)``, which tames their
    long tails, and adds 0/1 indicators of the repayment status codes
    (:data:`CREDIT_STATUS_CODES` and "3 or more") after each status column,
    which keeps its standardised code as well.  Like the one-hot columns,
    the indicators are not standardised.
    """
    if preprocessing not in CREDIT_PREPROCESSING:
        raise ValueError(f"unknown preprocessing {preprocessing!r}; use one of {list(CREDIT_PREPROCESSING)}")
    split = check_split_params(split)
    categories = _check_categories(categories)
    columns, target, rows = _credit_columns(csv)
    logger.info("read %d rows from %s", len(target), csv)

    for name, mapping in CREDIT_FOLDED_CODES.items():
        values = columns[name]
        for code, replacement in mapping.items():
            values[values == code] = replacement

    engineered = preprocessing == "log_onehot"
    blocks, feature_names, numeric_names = [], [], []
    for name, values in columns.items():
        if name in categories:
            blocks.append(one_hot(values, categories[name], name, csv, rows))
            feature_names += [f"{name}_{code}" for code in categories[name]]
            continue
        if engineered and name in CREDIT_MONEY:
            values = signed_log1p(values)
        blocks.append(values[:, None])
        feature_names.append(name)
        numeric_names.append(name)
        if engineered and name in CREDIT_STATUS:
            blocks.append(status_indicators(values))
            feature_names += [f"{name}={code}" for code in CREDIT_STATUS_CODES] + [f"{name}>=3"]
    X = np.hstack(blocks)
    numeric = np.array([name in numeric_names for name in feature_names])

    positions = stratified_split(target, split)
    mean, std = fit_standardize(X[positions["train"]][:, numeric])
    features = {}
    for name, index in positions.items():
        part = X[index]
        part[:, numeric] = apply_standardize(part[:, numeric], mean, std)
        features[name] = np.ascontiguousarray(part)
    labels = {name: target[index] for name, index in positions.items()}
    logger.info("split sizes %s", {name: len(index) for name, index in positions.items()})

    meta = {
        "dataset": "credit_default",
        "split": split,
        "preprocessing": {
            "kind": preprocessing,
            "one_hot": categories,
            "folded_codes": {name: {str(code): new for code, new in mapping.items()} for name, mapping in CREDIT_FOLDED_CODES.items()},
            "columns": numeric_names,
            "mean": mean.tolist(),
            "std": std.tolist(),
            "note": "z = (x - mean) / std on the standardised columns; a column with std 0 becomes 0",
        },
        "raw_sha256": _read_checksums(checksums),
    }
    if engineered:
        meta["preprocessing"]["signed_log1p"] = list(CREDIT_MONEY)
        meta["preprocessing"]["status_indicators"] = list(CREDIT_STATUS)
    outputs = {"train": train, "validation": validation, "test": test, "metadata": metadata}
    return write_feature_set(outputs, features, labels, feature_names, meta)


# ---------------------------------------------------------------- reviews


def _review_feature_names(table: pa.Table, path) -> list[str]:
    names = [name for name in table.column_names if REVIEW_FEATURE.fullmatch(name)]
    if not names:
        raise ValueError(f"{path}: no feature columns named V1, V2, ...; the columns start with {table.column_names[:5]}")
    known = set(names) | {ID_COLUMN, REVIEW_TARGET}
    ignored = [name for name in table.column_names if name not in known]
    if ignored:
        logger.warning("%s: ignoring column(s) %s, which are not review features", path, ignored)
    return names


def _numeric_matrix(table: pa.Table, names: Sequence[str], path, rows: list[str]) -> np.ndarray:
    X = np.empty((table.num_rows, len(names)), dtype=np.float64, order="F")
    for j, name in enumerate(names):
        X[:, j] = numeric_column(table, name, path, rows)
    return np.ascontiguousarray(X)


def _check_counts(X: np.ndarray, names: Sequence[str], path, rows: list[str]) -> None:
    """Raise ValueError at the first negative count, which log1p cannot weight."""
    negative = np.argwhere(X < 0)
    if len(negative):
        i, j = negative[0]
        raise ValueError(
            f"{path}: column {names[j]} has the negative count {X[i, j]:g} at {rows[i]}; "
            f"tfidf needs counts >= 0, so fix the data or use preprocessing 'standardize'"
        )


def _read_review_files(train_csv, test_csv):
    """Read and check both review CSVs.

    Returns (feature names, train X, labels, train row labels, competition ids,
    competition X, competition row labels).
    """
    train_table = read_csv(train_csv)
    _require_columns(train_table, [REVIEW_TARGET], train_csv, {REVIEW_TARGET: "target, the author name"})
    feature_names = _review_feature_names(train_table, train_csv)
    train_rows = _row_labels(train_table)
    X = _numeric_matrix(train_table, feature_names, train_csv, train_rows)
    labels = _label_column(train_table, REVIEW_TARGET, train_csv, train_rows)

    test_table = read_csv(test_csv)
    _require_columns(test_table, [ID_COLUMN], test_csv, {ID_COLUMN: "row identifier of the submission"})
    test_names = [name for name in test_table.column_names if REVIEW_FEATURE.fullmatch(name)]
    if test_names != feature_names:
        missing = sorted(set(feature_names) - set(test_names), key=feature_names.index)
        extra = sorted(set(test_names) - set(feature_names))
        raise ValueError(
            f"{test_csv}: the feature columns differ from {train_csv} (missing {missing[:5]}, extra {extra[:5]}, "
            f"or a different order); both files must come from the same competition download"
        )
    test_rows = _row_labels(test_table)
    ids = numeric_column(test_table, ID_COLUMN, test_csv, test_rows, "row identifier")
    if not np.all(ids == np.round(ids)):
        raise ValueError(
            f"{test_csv}: column ID contains the non-integer value {ids[ids != np.round(ids)][0]:g}; IDs must be integers"
        )
    X_competition = _numeric_matrix(test_table, feature_names, test_csv, test_rows)
    return feature_names, X, labels, train_rows, ids.astype(np.int64), X_competition, test_rows


def _fit_review_preprocessing(kind: str, X_train: np.ndarray):
    """Fit ``standardize`` or ``tfidf`` on the training rows; return (transform function, metadata)."""
    if kind == "standardize":
        mean, std = fit_standardize(X_train)

        def transform(X):
            return apply_standardize(X, mean, std)

        fitted = {
            "kind": "standardize",
            "mean": mean.tolist(),
            "std": std.tolist(),
            "note": "z = (x - mean) / std per column; a column with std 0 becomes 0",
        }
        return transform, fitted

    idf = fit_idf(X_train)

    def transform(X):
        return apply_tfidf(X, idf)

    fitted = {
        "kind": "tfidf",
        "idf": idf.tolist(),
        "n_documents": int(len(X_train)),
        "note": "x = log1p(count) * idf with idf = log((1 + n) / (1 + df)) + 1, then each row scaled to unit L2 length",
    }
    return transform, fitted


def build_review_features(
    train_csv: str | os.PathLike,
    test_csv: str | os.PathLike,
    checksums: str | os.PathLike,
    train: str | os.PathLike,
    validation: str | os.PathLike,
    test: str | os.PathLike,
    competition_test: str | os.PathLike,
    metadata: str | os.PathLike,
    split: Mapping | None = None,
    preprocessing: str = "standardize",
) -> dict:
    """Build the Amazon reviews feature set from the competition CSVs and return its metadata.

    ``train_csv`` contains ID, V1..Vn and Class (the author name, which becomes
    the target); ``test_csv`` contains ID and V1..Vn for the competition.
    ``preprocessing`` is ``standardize`` (z-scores from the training split)
    or ``tfidf`` (log1p counts times the training split's smoothed idf,
    rows scaled to unit L2 length).  The competition rows go through the
    same fitted preprocessing.
    """
    if preprocessing not in REVIEW_PREPROCESSING:
        raise ValueError(f"unknown preprocessing {preprocessing!r}; use one of {list(REVIEW_PREPROCESSING)}")
    split = check_split_params(split)
    feature_names, X, labels, train_rows, ids, X_competition, test_rows = _read_review_files(train_csv, test_csv)
    logger.info("read %d labelled and %d competition rows with %d features", len(X), len(ids), len(feature_names))

    if preprocessing == "tfidf":
        _check_counts(X, feature_names, train_csv, train_rows)
        _check_counts(X_competition, feature_names, test_csv, test_rows)
    positions = stratified_split(labels, split)
    transform, fitted = _fit_review_preprocessing(preprocessing, X[positions["train"]])

    features = {name: transform(X[index]) for name, index in positions.items()}
    split_labels = {name: labels[index] for name, index in positions.items()}
    logger.info("split sizes %s, preprocessing %s", {name: len(index) for name, index in positions.items()}, preprocessing)

    meta = {
        "dataset": "amazon_reviews",
        "split": split,
        "preprocessing": fitted,
        "raw_sha256": _read_checksums(checksums),
    }
    outputs = {"train": train, "validation": validation, "test": test,
               "competition_test": competition_test, "metadata": metadata}
    return write_feature_set(outputs, features, split_labels, feature_names, meta, (ids, transform(X_competition)))


# ---------------------------------------------------------------- loading


# Columns decoded per read. Reading all 10,000 review columns in one call made
# pyarrow hold about 8 times the matrix in decode buffers; 500 at a time keeps
# that overhead to a few MB.
READ_COLUMNS_PER_CHUNK = 500


def _read_float_matrix(parquet: pq.ParquetFile, columns: list[str], path, dtype: np.dtype) -> np.ndarray:
    """Read ``columns`` into a C-contiguous ``dtype`` matrix, checking their type first.

    Columns are decoded in chunks of ``READ_COLUMNS_PER_CHUNK`` and copied into
    the preallocated matrix, so peak memory is the matrix plus one chunk. A
    float32 matrix contains each float64 value rounded to nearest, as
    ``ndarray.astype`` would round it.
    """
    schema = parquet.schema_arrow
    for name in columns:
        field_type = schema.field(name).type
        if field_type != pa.float64():
            raise ValueError(f"{path}: feature column {name} has type {field_type}, expected double (float64)")
    X = np.empty((parquet.metadata.num_rows, len(columns)), dtype=dtype)
    for start in range(0, len(columns), READ_COLUMNS_PER_CHUNK):
        chunk = parquet.read(columns=columns[start : start + READ_COLUMNS_PER_CHUNK])
        for offset, column in enumerate(chunk.columns):
            X[:, start + offset] = column.to_numpy()
    return X


def _release_freed_memory() -> None:
    """Hand heap memory that reading freed back to the operating system, where glibc allows it.

    Parsing the footer of a file of 10,000 columns allocates tens of MB. The
    read frees them, but they stay in the C heap until ``malloc_trim``
    returns them to the system.  Without glibc this does nothing.
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _load_libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim  # noqa: B018 (glibc only)
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _load_libc()


def _open_parquet(path) -> pq.ParquetFile:
    # pre_buffer=False stops pyarrow from reading ahead every column chunk of a read.
    return pq.ParquetFile(path, pre_buffer=False)


def load_split(path: str | os.PathLike, dtype=np.float64) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Load one split written by this module.

    Returns (X, y, feature_names).  X is a C-contiguous, writable array of
    shape (rows, features) in ``dtype`` (float32 or float64); loading straight
    into the training dtype avoids a second copy of the data.  y is int64 for
    integer targets and a numpy unicode array for string targets, so it can be
    saved without pickling.
    """
    dtype = check_load_dtype(dtype)
    parquet = _open_parquet(path)
    column_names = parquet.schema_arrow.names
    if TARGET not in column_names:
        raise ValueError(f"{path}: no {TARGET!r} column; a competition test file is read with load_competition_test")
    feature_names = [name for name in column_names if name != TARGET]
    X = _read_float_matrix(parquet, feature_names, path, dtype)
    target = parquet.read(columns=[TARGET]).column(TARGET)
    if pa.types.is_integer(target.type):
        y = target.to_numpy().astype(np.int64)
    else:
        y = np.array(target.to_pylist(), dtype=str)
    del parquet, target
    _release_freed_memory()
    return X, y, feature_names


def load_competition_test(path: str | os.PathLike, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """Load the competition test file; return (ids as int64, X as a C-contiguous ``dtype`` array)."""
    dtype = check_load_dtype(dtype)
    parquet = _open_parquet(path)
    column_names = parquet.schema_arrow.names
    if column_names[:1] != [ID_COLUMN]:
        raise ValueError(f"{path}: the first column is not {ID_COLUMN!r}; this is not a competition test file")
    ids = parquet.read(columns=[ID_COLUMN]).column(ID_COLUMN).to_numpy().astype(np.int64)
    X = _read_float_matrix(parquet, column_names[1:], path, dtype)
    del parquet
    _release_freed_memory()
    return ids, X


def write_training_arrays(parquet_path: str | os.PathLike, archive_path: str | os.PathLike) -> None:
    """Convert one feature file to the ``.npz`` archive that training jobs read.

    A file with a target column becomes a split archive, and a competition
    test file an archive of ids and features; see ``gridstudy.arrays``. The
    archive keeps the float64 values, so loading it in either dtype gives
    the matrix that ``load_split`` or ``load_competition_test`` returns.
    """
    if TARGET in pq.read_schema(parquet_path).names:
        X, y, _ = load_split(parquet_path)
        save_split_arrays(archive_path, X, y)
    else:
        ids, X = load_competition_test(parquet_path)
        save_competition_arrays(archive_path, ids, X)
