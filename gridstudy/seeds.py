"""Rerun the best configurations of a grid with more seeds and summarise them.

Two workflow steps use this module:

* the ``select_top`` checkpoint ranks a study's grid on validation accuracy
  (:func:`gridstudy.aggregate.rank_configurations`, the rule of the top
  table), keeps the ``top_n`` best configurations and writes a selection JSON.
  For every configuration it lists one cell per seed: the seeds the grid
  already trained plus the rerun seeds.  A cell the grid already trained keeps
  its grid file, so no seed is trained twice.  The ``reruns`` map contains the
  params of the cells the grid lacks; the training rule reads them from there.
* the ``seed_table`` rule reads those cells at each configuration's selected
  budget and reports, per configuration, the mean, the sample standard
  deviation and a two-sided 95% Student-t interval of the test metrics over
  seeds.  It also re-ranks the configurations by their mean validation
  accuracy over all seeds (``seed_rank``); the summary reports the first.

Test metrics never take part in either ranking.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .aggregate import (
    _format_float, _format_param, _markdown_table, load_cell, rank_configurations, read_grid, read_metadata,
)
from .grid import cell_name
from .io import write_json_atomic

logger = logging.getLogger(__name__)

SELECTION_VERSION = 1
# Two-sided 95% quantiles t(0.975, df) of Student's t distribution for df = 1..30,
# from the standard table (for example NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)
SEED_METRICS = ("accuracy", "balanced_accuracy", "macro_f1", "roc_auc")


def t_quantile_975(df: int) -> float:
    """Return t(0.975, df), the half-width factor of a two-sided 95% interval.

    Exact to three decimals for df <= 30; above, the Cornish-Fisher expansion
    around the normal quantile 1.959964 (error below 1e-4).
    """
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    if df <= len(T_975):
        return T_975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def mean_interval(values: Sequence[float]) -> dict:
    """Return mean, sample std and the 95% t-interval of the finite values.

    With fewer than two finite values the std and interval are NaN.
    """
    finite = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = finite.size
    if n == 0:
        return {"mean": math.nan, "std": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0}
    mean = float(finite.mean())
    if n < 2:
        return {"mean": mean, "std": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 1}
    std = float(finite.std(ddof=1))
    half = t_quantile_975(n - 1) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": int(n)}


# --------------------------------------------------------------------------
# Checkpoint: choose the configurations and the cells to rerun
# --------------------------------------------------------------------------


def _seed_free(params: Mapping) -> dict:
    return {key: value for key, value in params.items() if key != "seed"}


def select_reruns(
    grid: pd.DataFrame,
    cells: Sequence[Mapping],
    top_n: int,
    seeds: Sequence[int],
    name_keys: Sequence[str],
) -> dict:
    """Return the selection: the ``top_n`` configurations, their cells per seed and the rerun params.

    ``grid`` is a grid frame read by :func:`gridstudy.aggregate.read_grid` and
    ``cells`` the loaded cell JSONs of the same grid.  ``name_keys`` are the
    keys the study's cell names spell (:func:`gridstudy.grid.name_keys`).
    """
    if top_n < 1:
        raise ValueError(f"seed_reruns.top_n is {top_n}. It must be at least 1")
    if "seed" not in name_keys:
        raise ValueError(f"cell names spell {list(name_keys)} but not 'seed', so seed reruns cannot be named")
    by_name = {cell["cell"]: cell for cell in cells}
    missing = sorted(set(grid["cell"]) - set(by_name))
    if missing:
        raise ValueError(f"grid rows name cells {missing[:3]} that are not among the cell files given. Pass all cells")

    # Cells of the grid by their params without the seed, to find every grid seed of a configuration.
    grid_seeds: dict[str, dict[int, str]] = {}
    for cell in cells:
        key = json.dumps(_seed_free(cell["params"]), sort_keys=True)
        grid_seeds.setdefault(key, {})[int(cell["params"]["seed"])] = cell["cell"]

    ranked = rank_configurations(grid).head(top_n)
    configurations, reruns = [], {}
    for rank, (_, row) in enumerate(ranked.iterrows(), start=1):
        base = by_name[row["first_cell"]]
        key = json.dumps(_seed_free(base["params"]), sort_keys=True)
        trained = grid_seeds[key]
        names = []
        for seed in sorted(set(trained) | {int(seed) for seed in seeds}):
            if seed in trained:
                names.append(trained[seed])
                continue
            params = dict(sorted({**base["params"], "seed": seed}.items()))
            name = cell_name(params, list(name_keys))
            if name in by_name:
                raise ValueError(f"rerun cell {name} has the name of a grid cell with other params. Check the grid")
            reruns[name] = {"params": params, "budgets": sorted(int(b["iterations"]) for b in base["budgets"])}
            names.append(name)
        configurations.append({
            "rank": rank,
            "iterations": int(row["iterations"]),
            "first_cell": row["first_cell"],
            "grid_seeds": sorted(trained),
            "grid_validation_accuracy": float(row["validation_accuracy_mean"]),
            "cells": names,
        })
    return {
        "version": SELECTION_VERSION,
        "top_n": int(top_n),
        "rerun_seeds": sorted(int(seed) for seed in seeds),
        "configurations": configurations,
        "reruns": dict(sorted(reruns.items())),
    }


def write_selection(
    grid: str | Path,
    cells: Sequence[str | Path],
    output: str | Path,
    top_n: int,
    seeds: Sequence[int],
    name_keys: Sequence[str],
) -> None:
    """Write the selection JSON of one study and dataset (the ``select_top`` checkpoint)."""
    frame = read_grid(grid)
    loaded = [load_cell(path) for path in cells]
    selection = select_reruns(frame, loaded, top_n, seeds, name_keys)
    pairs = {(cell["study"], cell["dataset"]) for cell in loaded}
    if len(pairs) == 1:
        selection["study"], selection["dataset"] = next(iter(pairs))
    write_json_atomic(output, selection)
    logger.info(
        "selected %d configurations; %d cells to rerun", len(selection["configurations"]), len(selection["reruns"])
    )


def read_selection(path: str | Path) -> dict:
    """Read a selection JSON and check its version and keys."""
    selection = json.loads(Path(path).read_text())
    if selection.get("version") != SELECTION_VERSION or "configurations" not in selection:
        raise ValueError(f"{path} is not a selection file of version {SELECTION_VERSION}. Delete it and rerun")
    return selection


def selection_cells(selection: Mapping) -> list[str]:
    """Return every cell name the selection's configurations use, each once, sorted."""
    return sorted({name for configuration in selection["configurations"] for name in configuration["cells"]})


def rerun_of(selection: Mapping, name: str, path: str | Path = "the selection") -> dict:
    """Return ``{"params", "budgets"}`` of one rerun cell of the selection."""
    try:
        return selection["reruns"][name]
    except KeyError:
        raise ValueError(
            f"cell {name!r} is neither a grid cell nor a rerun listed in {path}. "
            "Check the target name or rerun the select_top checkpoint"
        ) from None


# --------------------------------------------------------------------------
# Seed table
# --------------------------------------------------------------------------


def _configuration_status(statuses: Sequence[str]) -> str:
    if all(status == "ok" for status in statuses):
        return "ok"
    return "diverged" if "diverged" in statuses else "one_class"


def seed_statistics(selection: Mapping, cells: Sequence[Mapping], binary: bool) -> pd.DataFrame:
    """Return one row per selected configuration with its statistics over seeds.

    Columns: ``rank`` (on the grid's seeds), ``seed_rank`` (on the mean
    validation accuracy over all seeds; empty unless every seed is ``ok``),
    the configuration's params without ``seed``, ``iterations``, ``n_seeds``,
    ``seeds``, ``status``, ``n_iter_min``, ``n_iter_max``, then
    ``{split}_{metric}_{mean,std,ci_low,ci_high}`` for validation accuracy and
    the test metrics (``roc_auc`` only for binary data).
    """
    by_name = {cell["cell"]: cell for cell in cells}
    metrics = [m for m in SEED_METRICS if binary or m != "roc_auc"]
    columns = [("validation", "accuracy")] + [("test", metric) for metric in metrics]
    records = []
    for configuration in selection["configurations"]:
        missing = [name for name in configuration["cells"] if name not in by_name]
        if missing:
            raise ValueError(f"cell files {missing} of the selection were not given. Pass every selected cell")
        budget_rows = []
        for name in configuration["cells"]:
            matches = [b for b in by_name[name]["budgets"] if int(b["iterations"]) == configuration["iterations"]]
            if len(matches) != 1:
                raise ValueError(f"cell {name} has no budget {configuration['iterations']}. Rerun its training job")
            budget_rows.append((by_name[name], matches[0]))
        base = by_name[configuration["cells"][0]]["params"]
        record = {"rank": configuration["rank"]}
        record.update({key: _format_param(value) for key, value in sorted(_seed_free(base).items())})
        statuses = [budget["status"] for _, budget in budget_rows]
        record.update({
            "iterations": configuration["iterations"],
            "n_seeds": len(budget_rows),
            "seeds": " ".join(str(cell["params"]["seed"]) for cell, _ in budget_rows),
            "status": _configuration_status(statuses),
            "n_iter_min": min(int(budget["n_iter"]) for _, budget in budget_rows),
            "n_iter_max": max(int(budget["n_iter"]) for _, budget in budget_rows),
        })
        for split, metric in columns:
            values = [
                None if budget["status"] == "diverged" else (budget.get(split) or {}).get(metric)
                for _, budget in budget_rows
            ]
            stats = mean_interval(values)
            for statistic in ("mean", "std", "ci_low", "ci_high"):
                record[f"{split}_{metric}_{statistic}"] = stats[statistic]
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        return frame
    eligible = frame[(frame["status"] == "ok") & frame["validation_accuracy_mean"].notna()]
    order = eligible.sort_values(["validation_accuracy_mean", "rank"], ascending=[False, True], kind="mergesort")
    frame.insert(1, "seed_rank", pd.Series(dtype="Int64"))
    for position, index in enumerate(order.index, start=1):
        frame.loc[index, "seed_rank"] = position
    return frame


def _interval(row: Mapping, prefix: str, scale: float = 100.0, digits: int = 2) -> list[str]:
    mean = row[f"{prefix}_mean"]
    if not np.isfinite(mean):
        return ["–", "–"]
    text = f"{scale * mean:.{digits}f}"
    if np.isfinite(row[f"{prefix}_std"]):
        text += f" ± {scale * row[f'{prefix}_std']:.{digits}f}"
        interval = f"[{scale * row[f'{prefix}_ci_low']:.{digits}f}, {scale * row[f'{prefix}_ci_high']:.{digits}f}]"
    else:
        interval = "–"
    return [text, interval]


def format_seed_table(frame: pd.DataFrame, study: str, dataset: str, binary: bool) -> str:
    """Return the markdown of the seed table of one study and dataset."""
    lines = [f"# {dataset}: the top configurations of the {study} study over seeds", ""]
    if frame.empty:
        return "\n".join(lines + ["No configuration has status ok, so none was rerun."]) + "\n"
    shown = [c for c in ("hidden", "layers", "activation", "learning_rate", "optimizer", "alpha",
                         "batch_size", "momentum") if c in frame.columns]
    second = ("roc_auc", "ROC AUC") if binary else ("macro_f1", "Macro F1 (%)")
    header = [
        "Rank", "Seed rank", *[c.replace("_", " ").capitalize() for c in shown], "Iterations", "Seeds",
        "Status", "Validation accuracy (%)", "Test accuracy (%)", "Test accuracy 95% interval (%)",
        f"Test {second[1]}", f"Test {second[1]} 95% interval",
    ]
    rows = []
    for _, row in frame.iterrows():
        scale, digits = (1.0, 4) if binary else (100.0, 2)
        rows.append([
            str(row["rank"]),
            "–" if pd.isna(row["seed_rank"]) else str(int(row["seed_rank"])),
            *[row[c] or "none" for c in shown],
            str(row["iterations"]),
            f"{row['n_seeds']} ({row['seeds']})",
            row["status"],
            _interval(row, "validation_accuracy")[0],
            *_interval(row, "test_accuracy"),
            *_interval(row, f"test_{second[0]}", scale, digits),
        ])
    lines += _markdown_table(header, rows)
    lines += [
        "",
        "Rank: order on the grid's seeds by validation accuracy. Seed rank: order on the mean validation "
        "accuracy over all seeds listed. Values are mean ± sample standard deviation over seeds; the "
        "interval is mean ± t(0.975, n-1) · std / √n. Test metrics take no part in either ranking.",
    ]
    return "\n".join(lines) + "\n"


def write_seed_tables(
    selected: str | Path,
    cells: Sequence[str | Path],
    metadata: str | Path,
    csv: str | Path,
    table: str | Path,
) -> None:
    """Write the seed CSV and markdown of one study and dataset."""
    selection = read_selection(selected)
    loaded = [load_cell(path) for path in cells]
    info = read_metadata(metadata)
    binary = int(info["n_classes"]) == 2
    frame = seed_statistics(selection, loaded, binary)
    study = selection.get("study") or (loaded[0]["study"] if loaded else "?")
    dataset = selection.get("dataset") or (loaded[0]["dataset"] if loaded else "?")

    formatted = frame.copy()
    for column in formatted.columns:
        if formatted[column].dtype.kind == "f":
            formatted[column] = [_format_float(value) for value in formatted[column]]
    formatted.insert(0, "dataset", dataset)
    formatted.insert(0, "study", study)
    Path(csv).parent.mkdir(parents=True, exist_ok=True)
    formatted.to_csv(csv, index=False, lineterminator="\n", na_rep="")
    Path(table).write_text(format_seed_table(frame, study, dataset, binary))
    logger.info("wrote seed statistics of %d configurations to %s", len(frame), csv)

