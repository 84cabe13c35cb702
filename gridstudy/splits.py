"""Stratified train/validation/test split with a seeded numpy Generator.

The split sizes follow the fractions as closely as whole rows allow.  Each
class is spread over the splits in proportion to its size, within about two
rows per class and split.  The same labels and seed always give the same
rows in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

SPLIT_NAMES = ("train", "validation", "test")
DEFAULT_SPLIT = {"train": 0.7, "validation": 0.15, "test": 0.15, "seed": 0}


def check_split_params(split: Mapping | None) -> dict:
    """Return the split parameters with defaults filled in, or raise ValueError.

    ``split`` maps ``train``, ``validation`` and ``test`` to fractions in
    (0, 1) that sum to 1, and ``seed`` to a non-negative integer.  Missing
    keys take the defaults 0.7, 0.15, 0.15 and seed 0.
    """
    merged = dict(DEFAULT_SPLIT)
    merged.update(split or {})
    unknown = sorted(set(merged) - set(DEFAULT_SPLIT))
    if unknown:
        raise ValueError(f"unknown split parameter(s) {unknown}; use train, validation, test and seed")

    for name in SPLIT_NAMES:
        fraction = merged[name]
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
            raise ValueError(f"split fraction {name}={fraction!r} is not a number; give a fraction such as 0.15")
        if not 0 < fraction < 1:
            raise ValueError(f"split fraction {name}={fraction!r} must lie strictly between 0 and 1")
        merged[name] = float(fraction)
    total = sum(merged[name] for name in SPLIT_NAMES)
    if not math.isclose(total, 1.0, rel_tol=0, abs_tol=1e-9):
        fractions_text = ", ".join(f"{name}={merged[name]}" for name in SPLIT_NAMES)
        raise ValueError(f"split fractions {fractions_text} sum to {total:g}; they must sum to 1")

    seed = merged["seed"]
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"split seed {seed!r} must be a non-negative integer")
    merged["seed"] = int(seed)
    return merged


def split_sizes(n_rows: int, fractions: list[float]) -> np.ndarray:
    """Round ``n_rows * fractions`` to integers that sum to ``n_rows``.

    Largest-remainder rounding, with ties going to the earlier split.
    """
    quotas = n_rows * np.asarray(fractions, dtype=np.float64)
    sizes = np.floor(quotas).astype(np.int64)
    shortfall = n_rows - int(sizes.sum())
    order = np.argsort(-(quotas - sizes), kind="stable")
    sizes[order[:shortfall]] += 1
    return sizes


def _apportion(class_counts: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Share ``total`` rows among classes in proportion to ``class_counts``.

    Each class gets the floor of its quota, and the rows left over go to the
    classes with the largest remainders, ties broken at random by ``rng``.
    Integer arithmetic keeps the quotas exact, so no class gets more rows
    than it has.
    """
    n_rows = int(class_counts.sum())
    numerators = class_counts * total
    shares = numerators // n_rows
    remainders = numerators % n_rows
    shortfall = total - int(shares.sum())
    # lexsort sorts by the last key first: largest remainder, then a random tie-break.
    order = np.lexsort((rng.random(len(class_counts)), -remainders))
    shares[order[:shortfall]] += 1
    return shares


def stratified_split(labels: np.ndarray, split: Mapping | None = None) -> dict[str, np.ndarray]:
    """Split row positions into train, validation and test, stratified by label.

    Returns {"train": positions, "validation": positions, "test": positions}
    as int64 arrays in ascending order, which together cover every row once.
    Raises ValueError when the fractions are invalid or a class has too few
    rows to put at least one in every split.
    """
    params = check_split_params(split)
    fractions = [params[name] for name in SPLIT_NAMES]
    labels = np.asarray(labels)
    classes, codes, class_counts = np.unique(labels, return_inverse=True, return_counts=True)
    class_counts = class_counts.astype(np.int64)

    # With fewer rows than this, the smallest split's quota for the class is below one row.
    minimum = math.ceil(1 / min(fractions) - 1e-9)
    split_text = ", ".join(f"{name} {params[name]:g}" for name in SPLIT_NAMES)
    for label, count in zip(classes, class_counts):
        if count < minimum:
            raise ValueError(
                f"class {label.item()!r} has {count} rows, too few for the split {split_text}, because each class "
                f"needs at least {minimum} rows to put one in every split; add rows for this class or change the fractions"
            )

    rng = np.random.default_rng(params["seed"])
    totals = split_sizes(len(labels), fractions)
    per_class = np.empty((len(classes), len(SPLIT_NAMES)), dtype=np.int64)
    per_class[:, 0] = _apportion(class_counts, int(totals[0]), rng)
    per_class[:, 1] = _apportion(class_counts - per_class[:, 0], int(totals[1]), rng)
    per_class[:, 2] = class_counts - per_class[:, 0] - per_class[:, 1]
    empty = np.argwhere(per_class == 0)
    if len(empty):
        class_index, split_index = empty[0]
        raise ValueError(
            f"class {classes[class_index].item()!r} has {class_counts[class_index]} rows, which leaves none for the "
            f"{SPLIT_NAMES[split_index]} split with {split_text}; add rows for this class or change the fractions"
        )

    parts: dict[str, list[np.ndarray]] = {name: [] for name in SPLIT_NAMES}
    for class_index in range(len(classes)):
        rows = rng.permutation(np.flatnonzero(codes == class_index))
        bounds = np.cumsum(per_class[class_index])
        for name, chunk in zip(SPLIT_NAMES, np.split(rows, bounds[:-1])):
            parts[name].append(chunk)
    return {name: np.sort(np.concatenate(chunks)).astype(np.int64) for name, chunks in parts.items()}
