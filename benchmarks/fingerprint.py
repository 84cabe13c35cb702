"""Record SHA-256 fingerprints of MLP fits, to prove a speed change keeps results bit-identical.

Each configuration fits a small synthetic problem and hashes the fitted
coefs, intercepts, loss curve and stop reason. Run it before and after a
change to ``mlp/`` and compare:

    python benchmarks/fingerprint.py --output /tmp/before.json
    python benchmarks/fingerprint.py --compare /tmp/before.json

``--compare`` exits with status 1 when any fingerprint differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

import numpy as np
from threadpoolctl import threadpool_limits

from mlp import MLPClassifier


def make_data(n_samples: int, n_features: int, n_classes: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    weights = rng.normal(size=(n_features, n_classes))
    y = np.argmax(X @ weights + rng.normal(scale=0.5, size=(n_samples, n_classes)), axis=1)
    return X, y


def configurations() -> list[dict]:
    """Return the fitted configurations: every activation, depth, optimizer and dtype."""
    configs = []
    for dtype in ("float32", "float64"):
        for activation in ("relu", "tanh", "sigmoid"):
            for layers, optimizer in ((1, "gd"), (2, "sgd"), (3, "adam")):
                configs.append(
                    {"activation": activation, "layers": layers, "optimizer": optimizer,
                     "dtype": dtype, "learning_rate": 0.05, "max_iter": 30, "alpha": 0.0,
                     "early_stopping": False, "validation": False}
                )  # fmt: skip
        # Converges early on the training loss, with L2 and 2 classes.
        configs.append(
            {"activation": "relu", "layers": 2, "optimizer": "gd", "dtype": dtype,
             "learning_rate": 0.5, "max_iter": 400, "alpha": 0.01, "early_stopping": True,
             "validation": False, "tol": 1e-2, "n_classes": 2}
        )  # fmt: skip
        # Early stopping on validation loss with checkpoints.
        configs.append(
            {"activation": "tanh", "layers": 2, "optimizer": "adam", "dtype": dtype,
             "learning_rate": 0.01, "max_iter": 40, "alpha": 0.001, "early_stopping": True,
             "validation": True, "checkpoints": [5, 20]}
        )  # fmt: skip
        # Diverges: the learning rate is far too large.
        configs.append(
            {"activation": "relu", "layers": 3, "optimizer": "gd", "dtype": dtype,
             "learning_rate": 1e12, "max_iter": 50, "alpha": 0.0, "early_stopping": False,
             "validation": False}
        )  # fmt: skip
    return configs


def fingerprint(config: dict) -> dict:
    n_classes = config.get("n_classes", 5)
    X, y = make_data(300, 12, n_classes, seed=1)
    X_val, y_val = make_data(100, 12, n_classes, seed=2)
    model = MLPClassifier(
        hidden_layer_sizes=(16,) * config["layers"],
        activation=config["activation"],
        optimizer=config["optimizer"],
        learning_rate=config["learning_rate"],
        max_iter=config["max_iter"],
        batch_size=64 if config["optimizer"] != "gd" else None,
        alpha=config["alpha"],
        tol=config.get("tol", 1e-4),
        n_iter_no_change=5,
        early_stopping=config["early_stopping"],
        random_state=3,
        dtype=config["dtype"],
    )
    validation = (X_val, y_val) if config["validation"] else None
    model.fit(X, y, validation_data=validation, checkpoints=config.get("checkpoints"))
    digest = hashlib.sha256()
    for array in model.coefs_ + model.intercepts_:
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(np.asarray(model.loss_curve_, dtype=np.float64).tobytes())
    digest.update(np.asarray(getattr(model, "validation_loss_curve_", []), dtype=np.float64).tobytes())
    for budget, checkpoint in sorted(model.checkpoints_.items()):
        digest.update(str(budget).encode())
        for array in checkpoint.coefs_ + checkpoint.intercepts_:
            digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(model.stop_reason_.encode())
    return {"n_iter": model.n_iter_, "stop_reason": model.stop_reason_, "sha256": digest.hexdigest()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", help="write the fingerprints to this JSON file")
    parser.add_argument("--compare", help="compare against fingerprints in this JSON file")
    args = parser.parse_args(argv)

    results = []
    with threadpool_limits(limits=1):
        for config in configurations():
            results.append({"config": config, **fingerprint(config)})
    if args.output:
        with open(args.output, "w") as handle:
            json.dump(results, handle, indent=1)
    stops = sorted({result["stop_reason"] for result in results})
    print(f"{len(results)} fingerprints; stop reasons seen: {', '.join(stops)}")
    if args.compare:
        with open(args.compare) as handle:
            expected = json.load(handle)
        changed = [new["config"] for old, new in zip(expected, results) if old != new]
        if changed or len(expected) != len(results):
            print(f"CHANGED: {len(changed)} fingerprints differ: {changed}")
            return 1
        print("all fingerprints unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
