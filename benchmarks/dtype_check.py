"""Compare float32 and float64 training on the real data for a few grid cells.

For each configuration and seed, ``gridstudy.training.train_cell`` trains the
cell in both dtypes on the feature stage's splits, and the validation
accuracy at each budget is recorded. The seed-to-seed spread in float64 is
the run-to-run noise that a float32 difference is compared with.

    python benchmarks/dtype_check.py --features data/features

writes ``benchmarks/results/dtype_check.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from gridstudy.features import load_split
from gridstudy.training import train_cell

CONFIGS = [
    ("credit_default", {"activation": "relu", "hidden": 64, "layers": 2, "learning_rate": 0.1}),
    ("credit_default", {"activation": "sigmoid", "hidden": 10, "layers": 1, "learning_rate": 0.1}),
    ("amazon_reviews", {"activation": "sigmoid", "hidden": 64, "layers": 1, "learning_rate": 0.05}),
    ("amazon_reviews", {"activation": "relu", "hidden": 64, "layers": 1, "learning_rate": 0.01}),
]
FIXED = {"optimizer": "gd", "early_stopping": "train", "tol": 1e-4, "n_iter_no_change": 10}
BUDGETS = (50, 100, 500)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", default="data/features", help="folder of the feature stage's output")
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1], help="seeds per configuration")
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "dtype_check.json"))
    args = parser.parse_args(argv)

    rows = []
    cache = {}
    with threadpool_limits(limits=1):
        for dataset, config in CONFIGS:
            if dataset not in cache:
                folder = Path(args.features) / dataset / "standardize"
                cache[dataset] = {
                    name: load_split(folder / f"{name}.parquet")[:2] for name in ("train", "validation", "test")
                }
            for seed in args.seeds:
                for dtype in ("float32", "float64"):
                    params = {**FIXED, **config, "seed": seed, "dtype": dtype, "max_iter": BUDGETS[-1]}
                    start = time.perf_counter()
                    result = train_cell(cache[dataset], params, BUDGETS)
                    accuracy = {
                        entry["iterations"]: entry["validation"]["accuracy"] for entry in result["budgets"]
                    }
                    rows.append({"dataset": dataset, **config, "seed": seed, "dtype": dtype,
                                 "validation_accuracy": accuracy, "fit_seconds": result["fit_seconds"],
                                 "seconds": time.perf_counter() - start})  # fmt: skip
                    print(f"{dataset} {config} seed {seed} {dtype}: {accuracy} "
                          f"fit {result['fit_seconds']:.1f} s", flush=True)  # fmt: skip
    result = {"command": "python benchmarks/dtype_check.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "budgets": list(BUDGETS), "rows": rows}  # fmt: skip
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(result, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
