"""Small synthetic copies of the two raw sources, byte-for-byte in their formats.

The credit CSV has the columns ``ucimlrepo.fetch_ucirepo(id=350)`` returns
(``ID, X1..X23, Y``), written as plain integers.  The review archive mirrors
the Kaggle competition download: ``amazon_review_ID.shuf.lrn.csv`` (``ID``,
quoted ``"V1".."Vn"`` and quoted ``"Class"`` in the header, unquoted values),
``amazon_review_ID.shuf.tes.csv`` without ``Class``, and the sample solution
``amazon_review_ID.shuf.sol.ex.csv`` with the header ``ID,"Class"``.
Both generators plant a learnable signal, so a small network beats chance.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

REVIEW_TRAIN = "amazon_review_ID.shuf.lrn.csv"
REVIEW_TEST = "amazon_review_ID.shuf.tes.csv"
REVIEW_SAMPLE = "amazon_review_ID.shuf.sol.ex.csv"
AUTHORS = ["Shea", "Riley", "Chachra", "Agresti", "Nigam", "Messick", "Cutey", "Mitchell"]


def credit_rows(n_rows: int = 600, seed: int = 0) -> np.ndarray:
    """Return an int64 array of shape (n_rows, 25): ID, X1..X23, Y."""
    rng = np.random.default_rng(seed)
    table = np.empty((n_rows, 25), dtype=np.int64)
    table[:, 0] = np.arange(1, n_rows + 1)
    table[:, 1] = rng.integers(1, 51, n_rows) * 10_000  # LIMIT_BAL
    table[:, 2] = rng.integers(1, 3, n_rows)  # SEX
    table[:, 3] = rng.choice([0, 1, 2, 3, 4, 5, 6], n_rows, p=[0.01, 0.35, 0.45, 0.14, 0.01, 0.03, 0.01])
    table[:, 4] = rng.choice([0, 1, 2, 3], n_rows, p=[0.01, 0.45, 0.5, 0.04])  # MARRIAGE
    table[:, 5] = rng.integers(21, 80, n_rows)  # AGE
    table[:, 6:12] = rng.integers(-2, 9, (n_rows, 6))  # PAY_0, PAY_2..PAY_6
    table[:, 12:18] = rng.integers(-5_000, 200_000, (n_rows, 6))  # BILL_AMT1..6
    table[:, 18:24] = rng.integers(0, 20_000, (n_rows, 6))  # PAY_AMT1..6
    late = table[:, 6] >= 2
    table[:, 24] = np.where(late, rng.random(n_rows) < 0.85, rng.random(n_rows) < 0.1)
    return table


def write_credit_csv(path: Path, n_rows: int = 600, seed: int = 0) -> Path:
    """Write a credit CSV in ucimlrepo's columns and return its path."""
    header = ",".join(["ID"] + [f"X{i}" for i in range(1, 24)] + ["Y"])
    lines = [header] + [",".join(map(str, row)) for row in credit_rows(n_rows, seed)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def review_tables(n_train: int, n_test: int, n_features: int, n_authors: int, seed: int):
    """Return (train_counts, train_authors, test_counts) with author-specific word rates."""
    rng = np.random.default_rng(seed)
    authors = (AUTHORS * (n_authors // len(AUTHORS) + 1))[:n_authors]
    authors = [f"{name}{i // len(AUTHORS) or ''}" for i, name in enumerate(authors)]
    rates = rng.gamma(0.3, 1.0, (n_authors, n_features))
    train_labels = np.arange(n_train) % n_authors
    rng.shuffle(train_labels)
    test_labels = rng.integers(0, n_authors, n_test)
    train = rng.poisson(rates[train_labels])
    test = rng.poisson(rates[test_labels])
    return train, [authors[i] for i in train_labels], test


def review_csv_texts(n_train=120, n_test=40, n_features=30, n_authors=4, seed=0) -> dict[str, str]:
    """Return the three competition files as {member name: text}."""
    train, labels, test = review_tables(n_train, n_test, n_features, n_authors, seed)
    names = ",".join(f'"V{i}"' for i in range(1, n_features + 1))
    train_lines = [f'ID,{names},"Class"']
    for i, (row, label) in enumerate(zip(train, labels)):
        train_lines.append(",".join([str(i), *map(str, row), label]))
    test_lines = [f"ID,{names}"]
    sample_lines = ['ID,"Class"']
    for j, row in enumerate(test):
        test_lines.append(",".join([str(n_train + j), *map(str, row)]))
        sample_lines.append(f"{n_train + j},{labels[0]}")
    return {
        REVIEW_TRAIN: "\n".join(train_lines) + "\n",
        REVIEW_TEST: "\n".join(test_lines) + "\n",
        REVIEW_SAMPLE: "\n".join(sample_lines) + "\n",
    }


def write_review_archive(path: Path, layout: str = "flat", **sizes) -> Path:
    """Write the competition download as a zip and return its path.

    ``layout`` is one of ``flat`` (the three CSVs at the top, as Kaggle serves
    this competition), ``folder`` (inside one top folder), ``nested`` (one zip
    per CSV inside the archive) or ``macosx`` (flat plus ``__MACOSX`` entries).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    texts = review_csv_texts(**sizes)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in texts.items():
            if layout == "folder":
                archive.writestr(f"reviews/{name}", text)
            elif layout == "nested":
                inner = io.BytesIO()
                with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as member:
                    member.writestr(name, text)
                archive.writestr(name + ".zip", inner.getvalue())
            elif layout in ("flat", "macosx"):
                archive.writestr(name, text)
                if layout == "macosx":
                    archive.writestr(f"__MACOSX/._{name}", b"\x00\x05\x16\x07")
            else:
                raise ValueError(f"unknown layout {layout!r}; use flat, folder, nested or macosx")
    return path


def write_review_folder(folder: Path, **sizes) -> Path:
    """Write the three competition CSVs into a folder and return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in review_csv_texts(**sizes).items():
        (folder / name).write_text(text)
    return folder
