"""Measure the peak resident memory of the largest training cell of each dataset.

Each dataset runs in a fresh Python process that does what a training job
does (``scripts/train.py``): import, load the three splits (and the
competition test file for the reviews) from their ``.npz`` training archives
with ``gridstudy.arrays``, then
``gridstudy.training.train_cell`` on the largest cell (hidden 500, 3 layers).
The peak resident set size (``ru_maxrss``) is read after each phase. The
budgets are cut to (1, 2, 3) iterations: that keeps one weight snapshot per
budget as the real (50, 100, 500) does, and memory does not grow with the
number of iterations.

    python benchmarks/memory.py --arrays data/arrays

writes ``benchmarks/results/memory.json``. ``--loader parquet --features
data/features`` loads the parquet files with ``gridstudy.features`` instead,
as training jobs did before the archives. The reference size is the data at
the training dtype, plus one activation and one delta buffer per layer for
the training rows, plus the weights. The target is a peak below 3 times that.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

DATASETS = ("credit_default", "amazon_reviews")
LARGEST_CELL = {
    "activation": "relu", "hidden": 500, "layers": 3, "learning_rate": 0.01, "seed": 0,
    "optimizer": "gd", "early_stopping": "train", "tol": 1e-4, "n_iter_no_change": 10,
    "max_iter": 3,
}  # fmt: skip
BUDGETS = (1, 2, 3)


def peak_mb() -> float:
    """Return this process's peak resident set size in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def current_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def load_parquet(folder: Path, load_dtype: str):
    from gridstudy.features import load_competition_test, load_split

    splits = {}
    for name in ("train", "validation", "test"):
        X, y, _ = load_split(folder / f"{name}.parquet", dtype=load_dtype)
        splits[name] = (X, y)
    competition_X = None
    if (folder / "competition_test.parquet").exists():
        _, competition_X = load_competition_test(folder / "competition_test.parquet", dtype=load_dtype)
    return splits, competition_X


def load_archives(folder: Path, load_dtype: str):
    from gridstudy.arrays import load_training_inputs

    paths = {name: folder / f"{name}.npz" for name in ("train", "validation", "test", "competition_test")}
    if not paths["competition_test"].exists():
        paths["competition_test"] = None
    return load_training_inputs(paths, dtype=load_dtype)


def child(data: Path, loader: str, dataset: str, dtype: str, load_in_training_dtype: bool) -> dict:
    phases = {"start": (current_mb(), peak_mb())}
    import numpy as np

    if loader == "parquet":
        import gridstudy.features  # noqa: F401 (imported here so the imports phase counts pyarrow)
    else:
        import gridstudy.arrays  # noqa: F401
    from gridstudy.training import train_cell

    phases["imports"] = (current_mb(), peak_mb())
    folder = data / dataset / "standardize"
    load_dtype = dtype if load_in_training_dtype else "float64"
    if loader == "parquet":
        splits, competition_X = load_parquet(folder, load_dtype)
    else:
        splits, competition_X = load_archives(folder, load_dtype)
    phases["load"] = (current_mb(), peak_mb())
    loaded_dtype = str(splits["train"][0].dtype)

    start = time.perf_counter()
    train_cell(splits, {**LARGEST_CELL, "dtype": dtype}, BUDGETS, competition_X)
    phases["train_cell"] = (current_mb(), peak_mb())

    itemsize = np.dtype(dtype).itemsize
    arrays = [X for X, _ in splits.values()] + ([competition_X] if competition_X is not None else [])
    data_bytes = sum(X.size for X in arrays) * itemsize
    n_rows, n_features = splits["train"][0].shape
    n_classes = len(np.unique(splits["train"][1]))
    widths = [n_features] + [LARGEST_CELL["hidden"]] * LARGEST_CELL["layers"] + [n_classes]
    activation_bytes = 2 * n_rows * sum(widths[1:]) * itemsize
    weight_bytes = sum(a * b + b for a, b in zip(widths[:-1], widths[1:])) * itemsize
    reference_mb = (data_bytes + activation_bytes + weight_bytes) / 1e6
    peak = phases["train_cell"][1]
    return {
        "dataset": dataset, "loader": loader, "dtype": dtype, "loaded_dtype": loaded_dtype,
        "shape_train": [n_rows, n_features], "data_mb": data_bytes / 1e6,
        "activations_mb": activation_bytes / 1e6, "weights_mb": weight_bytes / 1e6,
        "reference_mb": reference_mb, "peak_mb": peak, "peak_over_reference": peak / reference_mb,
        "train_seconds": time.perf_counter() - start,
        "phases": {name: {"rss_mb": rss, "peak_mb": top} for name, (rss, top) in phases.items()},
    }  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loader", default="arrays", choices=("arrays", "parquet"),
                        help="load the .npz training archives, as scripts/train.py does, or the parquet files")
    parser.add_argument("--arrays", default="data/arrays", help="folder of the training archives (--loader arrays)")
    parser.add_argument("--features", default="data/features", help="folder of the parquet files (--loader parquet)")
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument(
        "--load-in-training-dtype", action=argparse.BooleanOptionalAction, default=True,
        help="load straight into the training dtype, as scripts/train.py does; --no-load-in-training-dtype loads float64",
    )  # fmt: skip
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "memory.json"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    data = Path(args.arrays if args.loader == "arrays" else args.features)
    if args.child:
        print(json.dumps(child(data, args.loader, args.child, args.dtype, args.load_in_training_dtype)))
        return 0

    rows = []
    for dataset in DATASETS:
        load_flag = "--load-in-training-dtype" if args.load_in_training_dtype else "--no-load-in-training-dtype"
        completed = subprocess.run(
            [sys.executable, __file__, "--loader", args.loader, "--arrays", args.arrays, "--features", args.features,
             "--dtype", args.dtype, "--child", dataset, load_flag],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        row = json.loads(completed.stdout.splitlines()[-1])
        rows.append(row)
        phases = ", ".join(f"{name} {value['peak_mb']:.0f}" for name, value in row["phases"].items())
        print(
            f"{dataset} ({args.dtype}): peak {row['peak_mb']:.0f} MB, reference "
            f"{row['reference_mb']:.0f} MB, ratio {row['peak_over_reference']:.2f}; "
            f"peak after each phase (MB): {phases}"
        )
    result = {"command": "python benchmarks/memory.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "rows": rows}  # fmt: skip
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(result, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
