"""Run scikit-learn baselines on the workflow's own feature splits.

Each baseline trains on the train split, picks its hyper-parameter (if it has
one) by validation accuracy, and reads the test split once, for the chosen
setting.  Models with a random state are refitted with several seeds at the
chosen setting and report the mean over seeds.  The splits are the parquet
files the workflow writes under ``data/features/{dataset}/{preprocessing}/``,
so the numbers are comparable with the grid study's test metrics.

scikit-learn is an optional dependency (the ``baselines`` extra); the workflow
never imports this script.  Example, after ``snakemake`` built the features
(the tf-idf reviews come from the ``tuned`` study):

    python benchmarks/baselines.py --features data/features --output results/tables/baselines.csv

The summary rule shows ``results/tables/baselines.csv`` beside the studies when
the file exists.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from gridstudy.features import load_split

logger = logging.getLogger("baselines")

COLUMNS = (
    "dataset", "model", "preprocessing", "setting", "n_seeds", "validation_accuracy",
    "test_accuracy", "test_accuracy_std", "test_roc_auc", "test_macro_f1", "train_rows", "test_rows",
    "raw_sha256", "split", "seeds", "fit_seconds",
)


@dataclass(frozen=True)
class Baseline:
    """A model factory with the settings tried on validation; ``seeded`` models take a random state."""

    dataset: str
    model: str
    preprocessing: str
    make: Callable[..., object]
    settings: tuple[dict, ...] = ({},)
    seeded: bool = False


def _sklearn():
    try:
        from sklearn import dummy, ensemble, linear_model, neural_network, svm
    except ImportError:
        raise SystemExit(
            "scikit-learn is not installed. Install the baselines extra: pip install -e '.[baselines]'"
        ) from None
    return dummy, ensemble, linear_model, neural_network, svm


def baselines() -> list[Baseline]:
    """Return the baselines of both datasets, in the order the table lists them."""
    dummy, ensemble, linear_model, neural_network, svm = _sklearn()
    return [
        Baseline("credit_default", "majority class", "standardize",
                 lambda: dummy.DummyClassifier(strategy="most_frequent")),
        Baseline("credit_default", "logistic regression", "standardize",
                 lambda C: linear_model.LogisticRegression(C=C, max_iter=2000),
                 tuple({"C": C} for C in (0.01, 0.1, 1.0, 10.0))),
        Baseline("credit_default", "logistic regression", "log_onehot",
                 lambda C: linear_model.LogisticRegression(C=C, max_iter=2000),
                 tuple({"C": C} for C in (0.01, 0.1, 1.0, 10.0))),
        Baseline("credit_default", "MLPClassifier (64, 64) adam", "standardize",
                 lambda alpha, seed: neural_network.MLPClassifier(
                     (64, 64), solver="adam", alpha=alpha, max_iter=200, random_state=seed),
                 tuple({"alpha": alpha} for alpha in (1e-4, 1e-2)), seeded=True),
        Baseline("credit_default", "histogram gradient boosting", "standardize",
                 lambda learning_rate, max_leaf_nodes: ensemble.HistGradientBoostingClassifier(
                     learning_rate=learning_rate, max_leaf_nodes=max_leaf_nodes, early_stopping=False,
                     random_state=0),
                 tuple({"learning_rate": lr, "max_leaf_nodes": leaves}
                       for lr in (0.05, 0.1) for leaves in (15, 31))),
        Baseline("amazon_reviews", "majority class", "tfidf",
                 lambda: dummy.DummyClassifier(strategy="most_frequent")),
        Baseline("amazon_reviews", "logistic regression", "standardize",
                 lambda C: linear_model.LogisticRegression(C=C, max_iter=2000),
                 tuple({"C": C} for C in (0.01, 0.1, 1.0))),
        # Softmax with cross-entropy on the tuned study's input: the MLP's loss without the hidden layer.
        Baseline("amazon_reviews", "logistic regression", "tfidf",
                 lambda C: linear_model.LogisticRegression(C=C, max_iter=5000),
                 tuple({"C": C} for C in (1.0, 10.0, 100.0, 1000.0))),
        Baseline("amazon_reviews", "ridge classifier", "tfidf",
                 lambda alpha: linear_model.RidgeClassifier(alpha=alpha),
                 tuple({"alpha": alpha} for alpha in (0.1, 1.0, 10.0))),
        Baseline("amazon_reviews", "LinearSVC", "tfidf",
                 lambda C: svm.LinearSVC(C=C),
                 tuple({"C": C} for C in (0.1, 1.0, 10.0))),
        Baseline("amazon_reviews", "MLPClassifier (256) adam", "tfidf",
                 lambda alpha, seed: neural_network.MLPClassifier(
                     (256,), solver="adam", alpha=alpha, max_iter=200, random_state=seed),
                 tuple({"alpha": alpha} for alpha in (1e-4, 1e-2)), seeded=True),
    ]


def load_splits(features: Path, dataset: str, preprocessing: str) -> tuple[dict, dict]:
    """Return ``{split: (X, y)}`` and the metadata of one feature set."""
    base = features / dataset / preprocessing
    metadata_path = base / "metadata.json"
    if not metadata_path.exists():
        raise FileNotFoundError(
            f"{metadata_path} not found. Build the features first, e.g. "
            f"snakemake --cores 2 {base}/metadata.json"
        )
    splits = {}
    for split in ("train", "validation", "test"):
        X, y, _ = load_split(base / f"{split}.parquet")
        splits[split] = (X, y)
    return splits, json.loads(metadata_path.read_text())


def _test_metrics(model, X: np.ndarray, y: np.ndarray, binary: bool) -> dict:
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    predictions = model.predict(X)
    metrics = {
        "accuracy": accuracy_score(y, predictions),
        "macro_f1": f1_score(y, predictions, average="macro"),
        "roc_auc": None,
    }
    if binary and hasattr(model, "predict_proba") and np.unique(y).size == 2:
        positive = list(model.classes_).index(np.max(model.classes_))
        metrics["roc_auc"] = roc_auc_score(y == np.max(model.classes_), model.predict_proba(X)[:, positive])
    return metrics


def run_baseline(baseline: Baseline, splits: dict, seeds: list[int]) -> dict:
    """Select the setting on validation, then refit it per seed and return the test metrics."""
    X_train, y_train = splits["train"]
    X_validation, y_validation = splits["validation"]
    X_test, y_test = splits["test"]
    binary = np.unique(y_train).size == 2
    start = time.perf_counter()

    scores = []
    for setting in baseline.settings:
        arguments = {**setting, "seed": seeds[0]} if baseline.seeded else setting
        model = baseline.make(**arguments).fit(X_train, y_train)
        score = float(np.mean(model.predict(X_validation) == y_validation))
        scores.append(score)
        logger.info("%s / %s %s: validation accuracy %.4f", baseline.dataset, baseline.model, setting, score)
    best = int(np.argmax(scores))  # first setting wins ties
    setting = baseline.settings[best]

    runs = []
    for seed in seeds if baseline.seeded else [None]:
        arguments = {**setting, "seed": seed} if baseline.seeded else setting
        model = baseline.make(**arguments).fit(X_train, y_train)
        runs.append(_test_metrics(model, X_test, y_test, binary))

    accuracy = np.array([run["accuracy"] for run in runs])
    auc = [run["roc_auc"] for run in runs if run["roc_auc"] is not None]
    return {
        "setting": " ".join(f"{key}={value:g}" for key, value in setting.items()),
        "n_seeds": len(runs),
        "validation_accuracy": scores[best],
        "test_accuracy": float(accuracy.mean()),
        "test_accuracy_std": float(accuracy.std(ddof=1)) if len(runs) > 1 else None,
        "test_roc_auc": float(np.mean(auc)) if auc else None,
        "test_macro_f1": float(np.mean([run["macro_f1"] for run in runs])),
        "fit_seconds": time.perf_counter() - start,
    }


def raw_checksums(metadata: dict) -> str:
    """Return the raw files' sha256 as ``name=digest`` pairs, so a reader can tell which data a row used."""
    files = (metadata.get("raw_sha256") or {}).get("files", {})
    return " ".join(f"{name}={digest}" for name, digest in sorted(files.items()))


def split_text(metadata: dict) -> str:
    """Return the feature set's split settings as ``key=value`` pairs, so a reused row can be checked."""
    return " ".join(f"{key}={value:g}" for key, value in sorted((metadata.get("split") or {}).items()))


def read_rows(path: Path) -> dict:
    """Return the rows of an earlier output, keyed by (dataset, model, preprocessing); none if it is missing."""
    if not path.exists():
        return {}
    with open(path, newline="") as stream:
        return {(row["dataset"], row["model"], row["preprocessing"]): row for row in csv.DictReader(stream)}


def _format(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format(value, ".6g")
    return str(value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--features", type=Path, default=Path("data/features"),
                        help="folder with {dataset}/{preprocessing}/ feature sets (default: data/features)")
    parser.add_argument("--output", type=Path, default=Path("results/tables/baselines.csv"),
                        help="CSV to write (default: results/tables/baselines.csv)")
    parser.add_argument("--datasets", nargs="+", default=["credit_default", "amazon_reviews"],
                        help="datasets to run (default: both)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4],
                        help="random states of the seeded models at the chosen setting (default: 0 1 2 3 4)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and OpenMP threads (default: 1)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the rows already in --output whose dataset, model, preprocessing, raw "
                             "checksums, split, seeds and row counts match, and the rows of datasets not in "
                             "--datasets; run only the other baselines")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")

    previous = read_rows(args.output) if args.reuse else {}
    seeds_text = " ".join(str(seed) for seed in args.seeds)
    rows = []
    cache = {}
    with threadpool_limits(limits=args.threads):
        for baseline in baselines():
            old = previous.get((baseline.dataset, baseline.model, baseline.preprocessing))
            if baseline.dataset not in args.datasets:
                if old is not None:
                    rows.append(old)  # --reuse keeps the rows of datasets this call does not run
                continue
            key = (baseline.dataset, baseline.preprocessing)
            if key not in cache:
                cache[key] = load_splits(args.features, *key)
            splits, metadata = cache[key]
            current = {
                "raw_sha256": raw_checksums(metadata),
                "split": split_text(metadata),
                "seeds": seeds_text if baseline.seeded else "",
                "train_rows": str(len(splits["train"][1])),
                "test_rows": str(len(splits["test"][1])),
            }
            if old is not None and all(old.get(column) == value for column, value in current.items()):
                logger.info("%s / %s on %s: kept from %s", baseline.dataset, baseline.model,
                            baseline.preprocessing, args.output)
                rows.append(old)
                continue
            result = run_baseline(baseline, splits, args.seeds)
            rows.append({
                "dataset": baseline.dataset,
                "model": baseline.model,
                "preprocessing": baseline.preprocessing,
                **result,
                "train_rows": len(splits["train"][1]),
                "test_rows": len(splits["test"][1]),
                "raw_sha256": current["raw_sha256"],
                "split": current["split"],
                "seeds": current["seeds"],
            })
            logger.info("%s / %s: test accuracy %.4f", baseline.dataset, baseline.model, result["test_accuracy"])

    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({column: _format(row.get(column)) for column in COLUMNS})
    logger.info("wrote %d baselines to %s", len(rows), args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
