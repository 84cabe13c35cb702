"""Time one full-batch gradient-descent step: mlp against PyTorch and scikit-learn.

Every contender runs on one thread (threadpoolctl pins the BLAS pools and
``torch.set_num_threads(1)`` pins PyTorch). Contenders are interleaved: each
repetition times every contender once on the same shape and dtype, in a
rotating order, so drift on a shared machine hits all of them alike. The
ratio mlp/PyTorch is computed per repetition and its median reported.

    python benchmarks/step_time.py --repeats 5

writes ``benchmarks/results/step_time.json``. Some machines set
OPENBLAS_CORETYPE for old OpenBLAS builds, which slows a current NumPy. There,
unset it and OPENBLAS_L2_SIZE for this command only. The JSON records the BLAS
kernel that threadpoolctl reports.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from mlp._training import Workspace, he_initialize
from mlp.optimizers import GradientDescent

# (name, rows, features, hidden widths, activation, classes): training sets of the
# credit and review data's size, with small, medium and 500-wide hidden layers.
SHAPES = [
    ("credit 10x1 sigmoid", 21000, 26, (10,), "sigmoid", 2),
    ("credit 64x2 relu", 21000, 26, (64, 64), "relu", 2),
    ("credit 500x3 tanh", 21000, 26, (500, 500, 500), "tanh", 2),
    ("reviews 64x1 sigmoid", 525, 10000, (64,), "sigmoid", 50),
    ("reviews 500x3 relu", 525, 10000, (500, 500, 500), "relu", 50),
]
LEARNING_RATE = 1e-3


def step_flops(n_rows: int, layer_sizes: tuple[int, ...]) -> int:
    """Return the GEMM FLOPs of one step: forward, weight gradients and input deltas.

    Each (n x fan_in) @ (fan_in x fan_out) product costs ``2 n fan_in fan_out``.
    The first layer needs no input delta. Elementwise work is not counted.
    """
    flops = 0
    for i, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        products = 2 if i == 0 else 3
        flops += products * 2 * n_rows * fan_in * fan_out
    return flops


def make_data(n_rows, n_features, n_classes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features)).astype(dtype)
    y = np.arange(n_rows) % n_classes
    rng.shuffle(y)
    return X, y


class MlpStep:
    """The ``mlp`` training step as ``MLPClassifier(optimizer="gd").fit`` runs it."""

    name = "mlp"

    def __init__(self, X, y, hidden, activation, n_classes):
        layer_sizes = (X.shape[1], *hidden, n_classes)
        self.coefs, self.intercepts = he_initialize(layer_sizes, np.random.default_rng(0), X.dtype)
        self.workspace = Workspace(layer_sizes, X.shape[0], X.dtype, activation)
        self.optimizer = GradientDescent(self.coefs + self.intercepts, LEARNING_RATE)
        self.X = X
        self.target_flat = np.arange(X.shape[0], dtype=np.intp) * n_classes + y

    def __call__(self):
        self.workspace.step(self.coefs, self.intercepts, self.X, self.target_flat, 0.0, self.optimizer)


class TorchStep:
    """zero_grad, forward, cross-entropy, backward and an SGD step in PyTorch."""

    name = "torch"

    def __init__(self, X, y, hidden, activation, n_classes):
        import torch

        dtype = torch.float32 if X.dtype == np.float32 else torch.float64
        act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[activation]
        layers = []
        widths = (X.shape[1], *hidden)
        for fan_in, fan_out in zip(widths[:-1], widths[1:]):
            layers += [torch.nn.Linear(fan_in, fan_out, dtype=dtype), act()]
        layers.append(torch.nn.Linear(widths[-1], n_classes, dtype=dtype))
        self.torch = torch
        self.model = torch.nn.Sequential(*layers)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LEARNING_RATE)
        self.X = torch.from_numpy(X)
        self.y = torch.from_numpy(y.astype(np.int64))

    def __call__(self):
        self.optimizer.zero_grad()
        loss = self.torch.nn.functional.cross_entropy(self.model(self.X), self.y)
        loss.backward()
        self.optimizer.step()


class SklearnStep:
    """One full-batch SGD epoch (one step) of scikit-learn's MLPClassifier via partial_fit."""

    name = "sklearn"

    def __init__(self, X, y, hidden, activation, n_classes):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        act = "logistic" if activation == "sigmoid" else activation
        self.model = MLPClassifier(
            hidden_layer_sizes=hidden, activation=act, solver="sgd", batch_size=X.shape[0],
            learning_rate_init=LEARNING_RATE, momentum=0.0, alpha=0.0, shuffle=False,
            random_state=0,
        )  # fmt: skip
        self.X, self.y = X, y
        self.classes = np.arange(n_classes)
        warnings.simplefilter("ignore", ConvergenceWarning)
        self.model.partial_fit(X, y, classes=self.classes)

    def __call__(self):
        self.model.partial_fit(self.X, self.y)


GEMM_SIZE = 1024


def gemm_throughput(dtype, seconds: float) -> float:
    """Return the best FLOP/s of a square ``GEMM_SIZE`` GEMM in NumPy at ``dtype``.

    Runs GEMMs for about ``seconds``, at least three.
    """
    rng = np.random.default_rng(0)
    a = rng.standard_normal((GEMM_SIZE, GEMM_SIZE)).astype(dtype)
    b = rng.standard_normal((GEMM_SIZE, GEMM_SIZE)).astype(dtype)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    best = math.inf
    deadline = time.perf_counter() + seconds
    runs = 0
    while runs < 3 or time.perf_counter() < deadline:
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
        runs += 1
    return 2 * GEMM_SIZE**3 / best


def time_steps(step, n_steps: int) -> float:
    start = time.perf_counter()
    for _ in range(n_steps):
        step()
    return (time.perf_counter() - start) / n_steps


def environment() -> dict:
    import sklearn
    import torch

    return {
        "machine": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "torch_blas": torch.backends.mkldnn.is_available() and "oneDNN/MKL-DNN available" or "none",
        "sklearn": sklearn.__version__,
        "blas": [
            {key: info.get(key) for key in ("internal_api", "version", "architecture", "prefix")}
            for info in threadpool_info()
        ],
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "load_average": os.getloadavg(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repetitions per shape")
    parser.add_argument("--min-seconds", type=float, default=0.3,
                        help="minimum time of one contender's timed block, in seconds")  # fmt: skip
    parser.add_argument("--shapes", nargs="*", help="substrings selecting shape names")
    parser.add_argument("--dtypes", nargs="*", default=["float32", "float64"])
    parser.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn")
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "step_time.json"))
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    contenders = [MlpStep, TorchStep] + ([] if args.no_sklearn else [SklearnStep])
    shapes = [s for s in SHAPES if not args.shapes or any(key in s[0] for key in args.shapes)]
    rows = []
    with threadpool_limits(limits=1):
        for name, n_rows, n_features, hidden, activation, n_classes in shapes:
            for dtype in args.dtypes:
                X, y = make_data(n_rows, n_features, n_classes, np.dtype(dtype))
                steps = [cls(X, y, hidden, activation, n_classes) for cls in contenders]
                for step in steps:
                    step()
                    step()
                # Steps per timed block so the block lasts about min_seconds.
                probe = min(time_steps(step, 1) for step in steps)
                n_steps = max(1, math.ceil(args.min_seconds / probe))
                times = {step.name: [] for step in steps}
                gemm_rates = []
                for repeat in range(args.repeats):
                    shift = repeat % len(steps)
                    for step in steps[shift:] + steps[:shift]:
                        times[step.name].append(time_steps(step, n_steps))
                    # The GEMM reference is measured in every repetition too, so
                    # that machine load affects it as it affects the contenders.
                    gemm_rates.append(gemm_throughput(np.dtype(dtype), args.min_seconds))
                flops = step_flops(n_rows, (n_features, *hidden, n_classes))
                row = {
                    "shape": name, "dtype": dtype, "rows": n_rows, "features": n_features,
                    "hidden": list(hidden), "activation": activation, "classes": n_classes,
                    "steps_per_block": n_steps, "gemm_flops_per_step": flops,
                    "seconds": {k: statistics.median(v) for k, v in times.items()},
                    "all_seconds": times,
                    "mlp_over_torch": statistics.median(
                        m / t for m, t in zip(times["mlp"], times["torch"])
                    ),
                }  # fmt: skip
                row["gemm_flops_per_second"] = statistics.median(gemm_rates)
                row["mlp_gemm_fraction"] = statistics.median(
                    flops / m / g for m, g in zip(times["mlp"], gemm_rates)
                )
                row["torch_gemm_fraction"] = statistics.median(
                    flops / t / g for t, g in zip(times["torch"], gemm_rates)
                )
                if "sklearn" in times:
                    row["mlp_over_sklearn"] = statistics.median(
                        m / s for m, s in zip(times["mlp"], times["sklearn"])
                    )
                rows.append(row)
                print(
                    f"{name:22s} {dtype}: mlp {row['seconds']['mlp'] * 1e3:8.2f} ms, torch "
                    f"{row['seconds']['torch'] * 1e3:8.2f} ms, ratio {row['mlp_over_torch']:.2f}, "
                    f"GEMM fraction {row['mlp_gemm_fraction']:.2f} of "
                    f"{row['gemm_flops_per_second'] / 1e9:.0f} GFLOP/s"
                    + (f", sklearn {row['seconds']['sklearn'] * 1e3:8.2f} ms" if "sklearn" in times else ""),
                    flush=True,
                )
    result = {
        "command": "python benchmarks/step_time.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "environment": environment(),
        "gemm_size": GEMM_SIZE,
        "rows": rows,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(result, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
