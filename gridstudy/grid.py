"""Expand the config's studies into training cells with one spelling per value.

A cell is one training run: a dataset, a feature set and one value for each
hyper-parameter.  Iteration budgets are not part of a cell, because one run of
the largest budget reports every smaller budget as a checkpoint.  Cell names
are built from canonical spellings, so 0.1, 0.10 and 1e-1 name the same file.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass, field

from gridstudy.training import build_model

# Grid keys in the order they appear in cell names, with their name prefixes.
CELL_NAME_KEYS = (
    ("activation", ""),
    ("hidden", "h"),
    ("layers", "l"),
    ("learning_rate", "lr"),
    ("optimizer", ""),
    ("alpha", "a"),
    ("batch_size", "b"),
    ("momentum", "m"),
    ("seed", "s"),
)
INTEGER_KEYS = {"hidden", "layers", "batch_size", "seed", "iterations"}
FLOAT_KEYS = {"learning_rate", "alpha", "momentum"}
STRING_KEYS = {"activation", "optimizer"}
TRAINING_DEFAULTS = {
    "optimizer": "gd",
    "alpha": 0.0,
    "batch_size": None,
    "momentum": 0.9,
    "early_stopping": "train",
}

# Nominal sizes of the real datasets (rows, features after encoding, classes).
# They only size the resource estimates of the training jobs.
NOMINAL_SHAPES = {
    "credit_default": (30_000, 29, 2),
    "amazon_reviews": (750, 10_000, 50),
}


@dataclass(frozen=True)
class Cell:
    """One training run of a study: its names, its feature set and hyper-parameters."""

    study: str
    dataset: str
    preprocessing: str
    name: str
    params: dict = field(hash=False)
    budgets: tuple[int, ...] = ()


def to_number(key: str, value):
    """Return ``value`` as the int or float that ``key`` takes.

    Strings such as ``"1e-2"`` (which YAML 1.1 reads as text) are parsed.
    Raises ValueError naming the key for anything that is not a finite number,
    and for integer keys holding a non-integral value.
    """
    if isinstance(value, bool):
        raise ValueError(f"{key}: expected a number, got the boolean {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key}: expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{key}: expected a finite number, got {value!r}")
    if key in INTEGER_KEYS:
        if number != int(number):
            raise ValueError(f"{key}: expected an integer, got {value!r}")
        return int(number)
    return number


def canonical(key: str, value) -> str:
    """Spell a grid value the one way cell names use (0.10 -> '0.1', 64.0 -> '64')."""
    if value is None:
        return "none"
    if key in STRING_KEYS:
        return str(value)
    number = to_number(key, value)
    if isinstance(number, int):
        return str(number)
    return repr(number)


def normalize_values(key: str, values) -> list:
    """Coerce a grid list to numbers where the key is numeric and drop duplicates."""
    if not isinstance(values, (list, tuple)):
        values = [values]
    seen = {}
    for value in values:
        if value is not None and key not in STRING_KEYS:
            value = to_number(key, value)
        seen.setdefault(canonical(key, value), value)
    return list(seen.values())


def normalize_config(config: dict) -> dict:
    """Coerce numbers written as strings and drop disabled studies, in place, before validation.

    YAML 1.1 reads ``1e-4`` (no dot) as a string, so numeric settings that
    parse as numbers are converted.  Anything else is left for the schema to
    reject with the key named.  A study set to null (for example
    ``--config studies='{tuned: null}'`` or ``tuned: null`` in an extra
    config file) is removed, which makes small trial runs easy.
    """
    for section, keys in (("training", ("tol",)), ("split", ("train", "validation", "test")),
                          ("download", ("timeout_s",))):
        values = config.get(section)
        if isinstance(values, dict):
            for key in keys:
                if key in values:
                    values[key] = _number_or_text(key, values[key])
    reruns = config.get("seed_reruns")
    if isinstance(reruns, dict) and isinstance(reruns.get("seeds"), list):
        reruns["seeds"] = [_number_or_text("seed", seed) for seed in reruns["seeds"]]
    studies = config.get("studies")
    if isinstance(studies, dict):
        config["studies"] = {name: study for name, study in studies.items() if study is not None}
    for study in (config.get("studies") or {}).values():
        if not isinstance(study, dict):
            continue
        # Like a study, a by_dataset entry set to null is removed, so an extra
        # config file can drop an entry that config.yaml defines.
        if "by_dataset" in study and study["by_dataset"] is None:
            del study["by_dataset"]
        if isinstance(study.get("by_dataset"), dict):
            study["by_dataset"] = {name: entry for name, entry in study["by_dataset"].items() if entry is not None}
        overrides = study.get("by_dataset")
        sections = [study]
        if isinstance(overrides, dict):
            sections += [override for override in overrides.values() if isinstance(override, dict)]
        for values in (part.get(name) for part in sections for name in ("grid", "fixed")):
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                if key in STRING_KEYS or key not in INTEGER_KEYS | FLOAT_KEYS:
                    continue
                if isinstance(value, list):
                    values[key] = [_number_or_text(key, item) for item in value]
                else:
                    values[key] = _number_or_text(key, value)
    return config


def check_config(config: dict) -> None:
    """Raise ValueError for config errors that the JSON schema cannot express.

    The split fractions must sum to 1, and a configured local copy must exist
    (a relative path is taken from the working directory).
    """
    split = config["split"]
    total = split["train"] + split["validation"] + split["test"]
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        raise ValueError(
            f"split: train={split['train']}, validation={split['validation']} and "
            f"test={split['test']} sum to {total:g}; change them so they sum to 1"
        )
    for dataset, settings in config["data"].items():
        path = settings.get("local_copy")
        if path and not os.path.exists(path):
            raise ValueError(
                f"data.{dataset}.local_copy: {path!r} does not exist (relative paths are taken "
                f"from the working directory {os.getcwd()!r}); fix the path, or set it to null "
                f"to download the dataset"
            )


def _number_or_text(key: str, value):
    # Parse numbers written as text, leaving anything else for the schema to reject.
    if not isinstance(value, str):
        return value
    try:
        return to_number(key, value)
    except ValueError:
        return value


def cell_name(params: dict, varying: list[str]) -> str:
    """Build a cell name from the varying keys, e.g. ``relu-h64-l2-lr0.05-s0``."""
    parts = []
    for key, prefix in CELL_NAME_KEYS:
        if key in varying:
            parts.append(prefix + canonical(key, params[key]))
    return "-".join(parts)


def dataset_study(study: dict, dataset: str) -> dict:
    """Return ``study`` as it applies to ``dataset``, with its ``by_dataset`` entry merged in.

    The entry's ``fixed`` settings and ``grid`` lists replace the study's own
    for that dataset.  A key the entry fixes leaves the grid, and a key it
    varies leaves the fixed settings, so each key has one source.
    """
    override = (study.get("by_dataset") or {}).get(dataset) or {}
    fixed_override = override.get("fixed") or {}
    grid_override = override.get("grid") or {}
    _check_fixed_or_grid(fixed_override, grid_override, f"by_dataset.{dataset}.")
    fixed = {key: value for key, value in (study.get("fixed") or {}).items() if key not in grid_override}
    grid = {key: value for key, value in study["grid"].items() if key not in fixed_override}
    merged = {key: value for key, value in study.items() if key != "by_dataset"}
    merged["fixed"] = {**fixed, **fixed_override}
    merged["grid"] = {**grid, **grid_override}
    for key in ("iterations", "seed"):
        if key not in merged["grid"]:
            raise ValueError(
                f"by_dataset.{dataset}.fixed sets {key!r}, which must stay a grid list; "
                f"move it to by_dataset.{dataset}.grid"
            )
    return merged


def _check_fixed_or_grid(fixed: dict, grid: dict, prefix: str) -> None:
    both = sorted(set(fixed) & set(grid))
    if both:
        raise ValueError(
            f"{prefix}fixed and {prefix}grid both set {both}; keep each key in one of them "
            f"(a one-item grid list fixes a value too)"
        )


def name_keys(study: dict) -> list[str]:
    """Return the grid keys a study's cell names spell, in ``CELL_NAME_KEYS`` order.

    Every grid key except ``iterations`` is spelled, so two cells of one
    study with the same name have the same params.
    """
    keys = set(study["grid"]) - {"iterations"}
    return [key for key, _ in CELL_NAME_KEYS if key in keys]


def expand_study(study_name: str, study: dict, datasets: dict, training: dict) -> list[Cell]:
    """Return the cells of one study, in a deterministic order.

    ``datasets`` is the config's ``data`` section (for each dataset's default
    preprocessing) and ``training`` its ``training`` section (dtype, tol,
    n_iter_no_change), which every cell's params record.
    """
    _check_fixed_or_grid(study.get("fixed") or {}, study["grid"], f"studies.{study_name}.")
    untrained = sorted(set(study.get("by_dataset") or {}) - set(study["datasets"]))
    if untrained:
        raise ValueError(
            f"studies.{study_name}.by_dataset names {untrained}, which the study does not train; "
            f"add them to studies.{study_name}.datasets, or remove their entries (in an extra config "
            f"file, set studies.{study_name}.by_dataset.<dataset> to null)"
        )
    cells = []
    for dataset in study["datasets"]:
        cells.extend(_expand_dataset(study_name, dataset_study(study, dataset), dataset, datasets, training))
    return cells


def _expand_dataset(study_name: str, study: dict, dataset: str, datasets: dict, training: dict) -> list[Cell]:
    # ``study`` is already merged for ``dataset`` by dataset_study.
    grid = {key: normalize_values(key, values) for key, values in study["grid"].items()}
    budgets = tuple(sorted(grid.pop("iterations")))
    varying = name_keys(study)
    unknown = sorted(set(grid) - set(varying))
    if unknown:
        raise ValueError(f"studies.{study_name}.grid: unknown keys {unknown}")
    fixed = dict(TRAINING_DEFAULTS)
    fixed.update(study.get("fixed") or {})
    cells = []
    preprocessing = (study.get("preprocessing") or {}).get(
        dataset, datasets[dataset].get("preprocessing", "standardize")
    )
    for combination in itertools.product(*(grid[key] for key in varying)):
        params = dict(fixed)
        params.update(zip(varying, combination))
        params.update(
            dtype=training["dtype"],
            tol=to_number("tol", training["tol"]),
            n_iter_no_change=training["n_iter_no_change"],
            max_iter=budgets[-1],
            preprocessing=preprocessing,
        )
        name = cell_name(params, varying)
        _check_cell_params(params, study_name, dataset, name)
        cells.append(Cell(study_name, dataset, preprocessing, name, params, budgets))
    return cells


def _check_cell_params(params: dict, study_name: str, dataset: str, name: str) -> None:
    # The network's own checks, run for every cell when the DAG is built, so a combination
    # it rejects (such as optimizer gd with a batch_size) stops the run before any job starts.
    try:
        build_model(params)._validated_params()
    except ValueError as error:
        raise ValueError(f"studies.{study_name}: cell {name} of {dataset} is invalid: {error}") from None


def expand_studies(config: dict) -> list[Cell]:
    """Return every cell of every study in the config."""
    cells = []
    for name, study in config["studies"].items():
        cells.extend(expand_study(name, study, config["data"], config["training"]))
    return cells


def estimate_resources(cell: Cell) -> dict:
    """Estimate memory (MB) and runtime (minutes) of a training cell from its size.

    The estimate counts the float arrays of one full-batch step: the data, one
    activation and one delta buffer per layer, and the weights with their
    gradients and optimizer state.  Runtime assumes 2e9 floating-point
    operations per second on one core, a deliberately slow figure, so that a
    cluster never kills a job for its time limit.
    """
    rows, features, classes = NOMINAL_SHAPES.get(cell.dataset, (30_000, 10_000, 50))
    params = cell.params
    widths = [features] + [params["hidden"]] * params["layers"] + [classes]
    itemsize = 4 if params["dtype"] == "float32" else 8
    n_weights = sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))
    batch = params.get("batch_size") or rows
    buffers = rows * features + 2 * min(batch, rows) * sum(widths[1:])
    mem_mb = 300 + 4 * (buffers + 4 * n_weights) * itemsize / 1e6
    flops = 6 * rows * n_weights * params["max_iter"]
    runtime = 10 + flops / 2e9 / 60
    return {"mem_mb": int(math.ceil(mem_mb)), "runtime": int(math.ceil(runtime))}
