"""Collect the training cells into tables and select a configuration on validation.

One training job writes one JSON per grid cell with metrics at every iteration
budget.  This module turns those files into:

* the grid CSV: one row per cell and budget, sorted by the hyper-parameters and
  then the budget.  Columns are ``study, dataset, cell``, every ``params`` key,
  then ``iterations`` (the budget), ``n_iter``, ``stop_reason``, ``status``,
  ``n_parameters``, ``nbytes`` and ``{train,validation,test}_{metric}``
  (``roc_auc`` only for binary datasets);
* the cost CSV: one row per cell with ``fit_seconds``, ``job_seconds`` and
  ``max_rss_mb``.  Wall time and memory change from run to run, so they live
  apart from the grid, and the grid, top and summary tables of two identical
  runs are byte-identical;
* the top table (markdown) and the summary (markdown).

Missing values: a metric that is undefined is an empty field in the CSVs, never
``nan``.  The ``status`` column records why.  ``diverged`` means the loss or a
weight became non-finite, or the training loss exploded past the bound of
``gridstudy.training.exploded_iteration``, so every metric is empty.
``one_class`` means the model predicts a single class for every validation
row, so the metrics exist but the row never competes.  ``roc_auc`` is also
empty where a split contains a single class.  Parameters that are ``null`` (such as ``batch_size`` for full-batch
training) are empty fields too.

Selection uses validation accuracy only.  A configuration is every ``params``
key except ``seed``, at one budget.  Its score is the mean over seeds, and it
competes only if every seed has status ``ok``.  Ties go to the higher score,
then fewer parameters, then fewer iterations, then the first cell name.  Test
metrics are reported for the selected configuration and never compared.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")
METRICS = ("loss", "accuracy", "balanced_accuracy", "macro_f1", "roc_auc")
STATUSES = ("ok", "diverged", "one_class")
STOP_REASONS = ("max_iter", "converged", "diverged")
IDENTITY_COLUMNS = ("study", "dataset", "cell")
RUN_COLUMNS = ("iterations", "n_iter", "stop_reason", "status", "n_parameters", "nbytes")
COST_COLUMNS = ("study", "dataset", "cell", "fit_seconds", "job_seconds", "max_rss_mb")
# Parameters that every grid has, in the order the tables show them.  Any
# other params key follows in sorted order.
KNOWN_PARAMS = (
    "activation", "hidden", "layers", "learning_rate", "optimizer", "alpha", "batch_size",
    "momentum", "early_stopping", "seed", "dtype", "max_iter",
)
# Six significant digits resolve accuracy on a split of up to 10^6 rows, and
# rounding hides most last-bit differences between BLAS builds.
METRIC_FORMAT = ".6g"


# --------------------------------------------------------------------------
# Reading the inputs
# --------------------------------------------------------------------------


def load_cell(path: str | Path) -> dict:
    """Read one cell JSON and check the fields this module relies on."""
    path = Path(path)
    cell = json.loads(path.read_text())
    missing = [key for key in ("study", "dataset", "cell", "params", "budgets") if key not in cell]
    if missing:
        raise ValueError(f"cell file {path} lacks the keys {missing}. Rerun its training job")
    if not cell["budgets"]:
        raise ValueError(f"cell file {path} has an empty 'budgets' list. Rerun its training job")
    for budget in cell["budgets"]:
        if budget.get("status") not in STATUSES:
            raise ValueError(
                f"cell file {path}: budget {budget.get('iterations')} has status "
                f"{budget.get('status')!r}. Expected one of {STATUSES}"
            )
    return cell


def read_benchmark(path: str | Path) -> dict:
    """Return ``job_seconds`` (mean over repeats) and ``max_rss_mb`` (max) of a Snakemake benchmark TSV.

    Snakemake writes ``NA`` where it collected no memory data (very short
    jobs); that becomes ``None``.
    """
    table = pd.read_csv(path, sep="\t", na_values=["NA", "-"])
    for column in ("s", "max_rss"):
        if column not in table.columns:
            raise ValueError(f"benchmark file {path} has no {column!r} column. Found {list(table.columns)}")
    seconds = pd.to_numeric(table["s"], errors="coerce")
    rss = pd.to_numeric(table["max_rss"], errors="coerce")
    return {
        "job_seconds": None if seconds.isna().all() else float(seconds.mean()),
        "max_rss_mb": None if rss.isna().all() else float(rss.max()),
    }


def read_metadata(path: str | Path) -> dict:
    """Read a features metadata JSON and check the keys the tables use."""
    metadata = json.loads(Path(path).read_text())
    for key in ("n_classes", "majority_class_rate"):
        if key not in metadata:
            raise ValueError(f"metadata file {path} has no {key!r} key. Rebuild the features")
    return metadata


# --------------------------------------------------------------------------
# Grid and cost tables
# --------------------------------------------------------------------------


def param_columns(cells: Sequence[Mapping]) -> list[str]:
    """Return every params key in the cells, known keys first, then the rest sorted."""
    keys = set()
    for cell in cells:
        keys.update(cell["params"])
    reserved = keys & (set(IDENTITY_COLUMNS) | set(RUN_COLUMNS) | set(metric_columns(True)))
    if reserved:
        raise ValueError(f"params keys {sorted(reserved)} clash with grid columns of the same name. Rename them")
    return [key for key in KNOWN_PARAMS if key in keys] + sorted(keys - set(KNOWN_PARAMS))


def metric_columns(binary: bool) -> list[str]:
    """Return the ``{split}_{metric}`` column names; ``roc_auc`` only for binary data."""
    metrics = METRICS if binary else tuple(m for m in METRICS if m != "roc_auc")
    return [f"{split}_{metric}" for split in SPLITS for metric in metrics]


def grid_columns(params: Sequence[str], binary: bool) -> list[str]:
    return [*IDENTITY_COLUMNS, *params, *RUN_COLUMNS, *metric_columns(binary)]


def _format_param(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"parameter value {value!r} is not finite. Fix the grid config")
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _format_float(value, spec: str = METRIC_FORMAT) -> str:
    if value is None:
        return ""
    value = float(value)
    if not math.isfinite(value):
        return ""
    return format(value, spec)


def _budget_row(cell: Mapping, budget: Mapping, params: Sequence[str], binary: bool) -> dict:
    row = {"study": cell["study"], "dataset": cell["dataset"], "cell": cell["cell"]}
    for key in params:
        row[key] = _format_param(cell["params"].get(key))
    row["iterations"] = str(int(budget["iterations"]))
    row["n_iter"] = str(int(budget["n_iter"]))
    row["stop_reason"] = budget["stop_reason"]
    row["status"] = budget["status"]
    row["n_parameters"] = str(int(cell["n_parameters"]))
    row["nbytes"] = str(int(cell["nbytes"]))
    metrics = METRICS if binary else tuple(m for m in METRICS if m != "roc_auc")
    for split in SPLITS:
        values = budget.get(split) or {}
        for metric in metrics:
            value = None if budget["status"] == "diverged" else values.get(metric)
            row[f"{split}_{metric}"] = _format_float(value)
    return row


def _sort_key(cell: Mapping, params: Sequence[str]) -> tuple:
    # Numbers sort as numbers and before text, None first, so the order does
    # not depend on the order of the input files.
    key = []
    for name in params:
        value = cell["params"].get(name)
        if value is None:
            key.append((0, 0.0, ""))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            key.append((1, float(value), ""))
        else:
            key.append((2, 0.0, str(value)))
    return (*key, cell["cell"])


def build_grid(cells: Sequence[Mapping], binary: bool) -> pd.DataFrame:
    """Return the grid as a frame of formatted strings, one row per cell and budget."""
    params = param_columns(cells)
    names = [cell["cell"] for cell in cells]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"cells {duplicates} appear more than once in the input list")
    rows = []
    for cell in sorted(cells, key=lambda c: _sort_key(c, params)):
        for budget in sorted(cell["budgets"], key=lambda b: int(b["iterations"])):
            rows.append(_budget_row(cell, budget, params, binary))
    return pd.DataFrame(rows, columns=grid_columns(params, binary), dtype=object)


def build_cost(cells: Sequence[Mapping], benchmarks: Mapping[str, Mapping]) -> pd.DataFrame:
    """Return one row per cell with fit seconds, job seconds and peak RSS in MB.

    ``benchmarks`` maps cell names to :func:`read_benchmark` results; a cell
    without a benchmark gets empty fields.
    """
    rows = []
    for cell in sorted(cells, key=lambda c: c["cell"]):
        bench = benchmarks.get(cell["cell"], {})
        rows.append({
            "study": cell["study"],
            "dataset": cell["dataset"],
            "cell": cell["cell"],
            "fit_seconds": _format_float(cell.get("fit_seconds"), ".3f"),
            "job_seconds": _format_float(bench.get("job_seconds"), ".3f"),
            "max_rss_mb": _format_float(bench.get("max_rss_mb"), ".2f"),
        })
    return pd.DataFrame(rows, columns=list(COST_COLUMNS), dtype=object)


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a frame of formatted strings with LF line endings and no index."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", na_rep="")


def read_grid(path: str | Path) -> pd.DataFrame:
    """Read a grid CSV back: params and text columns as strings, the rest as numbers.

    Parameters stay strings (``""`` for null) so that grouping and display use
    the spelling the grid was written with.
    """
    head = pd.read_csv(path, nrows=0)
    numeric = {"iterations", "n_iter", "n_parameters", "nbytes"} | {
        column for column in head.columns if column.split("_", 1)[0] in SPLITS
    }
    dtypes = {column: (float if column in numeric else str) for column in head.columns}
    frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values={c: [""] for c in numeric})
    for column in ("iterations", "n_iter", "n_parameters", "nbytes"):
        frame[column] = frame[column].astype("int64")
    return frame


def grid_param_columns(grid: pd.DataFrame) -> list[str]:
    """Return the params columns of a grid frame read by :func:`read_grid`."""
    fixed = set(IDENTITY_COLUMNS) | set(RUN_COLUMNS) | set(metric_columns(True))
    return [column for column in grid.columns if column not in fixed]


def config_columns(grid: pd.DataFrame) -> list[str]:
    """Return the params columns that identify a configuration: all but ``seed``."""
    return [column for column in grid_param_columns(grid) if column != "seed"]


# --------------------------------------------------------------------------
# Selection
# --------------------------------------------------------------------------


def _group_status(statuses: pd.Series) -> str:
    if (statuses == "ok").all():
        return "ok"
    return "diverged" if (statuses == "diverged").any() else "one_class"


def _std(values: pd.Series) -> float:
    # Sample standard deviation; undefined (NaN) for one seed.
    return float(values.std(ddof=1)) if values.notna().sum() > 1 else float("nan")


def summarise_configurations(grid: pd.DataFrame) -> pd.DataFrame:
    """Return the mean and std over seeds of every configuration and budget in the grid.

    Each row has the configuration columns, ``iterations``, ``n_seeds``,
    ``status`` (``ok`` only if every seed is ``ok``, else ``diverged`` if any
    seed diverged, else ``one_class``), ``first_cell``, ``n_parameters``,
    ``nbytes``, ``n_iter_min``, ``n_iter_max`` and ``{column}_mean`` and
    ``{column}_std`` for every metric column present.
    """
    keys = [*config_columns(grid), "iterations"]
    metrics = [column for column in metric_columns(True) if column in grid.columns]
    records = []
    for values, group in grid.groupby(keys, sort=False, dropna=False):
        record = dict(zip(keys, values))
        record["n_seeds"] = len(group)
        record["status"] = _group_status(group["status"])
        record["first_cell"] = min(group["cell"])
        record["n_parameters"] = int(group["n_parameters"].max())
        record["nbytes"] = int(group["nbytes"].max())
        record["n_iter_min"] = int(group["n_iter"].min())
        record["n_iter_max"] = int(group["n_iter"].max())
        for column in metrics:
            record[f"{column}_mean"] = float(group[column].mean()) if group[column].notna().any() else float("nan")
            record[f"{column}_std"] = _std(group[column])
        records.append(record)
    return pd.DataFrame.from_records(records)


def rank_configurations(grid: pd.DataFrame) -> pd.DataFrame:
    """Return the configurations with status ``ok``, best first by mean validation accuracy.

    Ties go to fewer parameters, then fewer iterations, then the first cell
    name.  Only validation accuracy takes part; test columns are carried along
    for reporting.
    """
    configurations = summarise_configurations(grid)
    if configurations.empty:
        return configurations
    eligible = configurations[
        (configurations["status"] == "ok") & configurations["validation_accuracy_mean"].notna()
    ]
    ranked = eligible.sort_values(
        ["validation_accuracy_mean", "n_parameters", "iterations", "first_cell"],
        ascending=[False, True, True, True],
        kind="mergesort",
    )
    return ranked.reset_index(drop=True)


def select_configuration(grid: pd.DataFrame) -> pd.Series | None:
    """Return the best configuration row of :func:`rank_configurations`, or None if none is ``ok``."""
    ranked = rank_configurations(grid)
    return None if ranked.empty else ranked.iloc[0]


def select_cell(grid: pd.DataFrame, configuration: Mapping) -> pd.Series:
    """Return the grid row of the configuration's best seed by validation accuracy.

    Several seeds of one configuration have one prediction each; the
    submission uses the seed with the highest validation accuracy, ties to the
    first cell name.
    """
    mask = grid["iterations"] == configuration["iterations"]
    for column in config_columns(grid):
        mask &= grid[column] == configuration[column]
    rows = grid[mask & (grid["status"] == "ok")]
    if rows.empty:
        raise ValueError(f"no row with status ok matches the configuration of {configuration['first_cell']}")
    ordered = rows.sort_values(["validation_accuracy", "cell"], ascending=[False, True], kind="mergesort")
    return ordered.iloc[0]


# --------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------


def _percent(mean: float, std: float, n_seeds: int) -> str:
    if mean is None or not np.isfinite(mean):
        return "–"
    text = f"{100 * mean:.2f}"
    if n_seeds > 1 and np.isfinite(std):
        text += f" ± {100 * std:.2f}"
    return text


def _fraction(mean: float, std: float, n_seeds: int) -> str:
    if mean is None or not np.isfinite(mean):
        return "–"
    text = f"{mean:.4f}"
    if n_seeds > 1 and np.isfinite(std):
        text += f" ± {std:.4f}"
    return text


def _markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def varying_columns(grid: pd.DataFrame) -> list[str]:
    """Return the configuration columns beyond the reference's that take several values."""
    shown = {"hidden", "layers", "activation", "learning_rate"}
    return [c for c in config_columns(grid) if c not in shown and grid[c].nunique(dropna=False) > 1]


def _iterations_run(configuration: Mapping) -> str:
    low, high = configuration["n_iter_min"], configuration["n_iter_max"]
    return str(low) if low == high else f"{low}–{high}"


def status_counts(grid: pd.DataFrame) -> dict[str, int]:
    """Return the number of grid rows (cell and budget) per status, in STATUSES order."""
    counts = grid["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in STATUSES}


def format_top_table(grid: pd.DataFrame, top_n: int, metadata: Mapping | None = None) -> str:
    """Return the markdown of the ``top_n`` best configurations by mean validation accuracy."""
    if top_n < 1:
        raise ValueError(f"top_n is {top_n}. It must be at least 1")
    study = grid["study"].iloc[0] if len(grid) else "?"
    dataset = grid["dataset"].iloc[0] if len(grid) else "?"
    lines = [f"# {dataset}: top {top_n} configurations by validation accuracy ({study} study)", ""]
    counts = status_counts(grid)
    lines.append(
        f"{grid['cell'].nunique()} cells, {len(grid)} cell-budget rows: "
        + ", ".join(f"{n} {status}" for status, n in counts.items())
        + ". Rows that are not ok never rank."
    )
    if metadata is not None:
        rates = metadata["majority_class_rate"]
        lines.append(
            f"Majority-class rate: validation {100 * rates['validation']:.2f}%, test {100 * rates['test']:.2f}%."
        )
    lines.append("")

    ranked = rank_configurations(grid)
    if ranked.empty:
        lines.append("No configuration has status ok, so none is ranked or selected.")
        return "\n".join(lines) + "\n"

    extra = varying_columns(grid)
    header = [
        "Rank", "Hidden neurons", "Layers", "Activation", "Learning rate", *extra, "Iterations",
        "Iterations run", "Parameters", "RAM bytes", "Validation accuracy (%)", "Test accuracy (%)", "Seeds",
    ]
    rows = []
    for rank, (_, configuration) in enumerate(ranked.head(top_n).iterrows(), start=1):
        n_seeds = int(configuration["n_seeds"])
        rows.append([
            str(rank),
            configuration.get("hidden", ""),
            configuration.get("layers", ""),
            configuration.get("activation", ""),
            configuration.get("learning_rate", ""),
            *[configuration[column] for column in extra],
            str(int(configuration["iterations"])),
            _iterations_run(configuration),
            str(int(configuration["n_parameters"])),
            str(int(configuration["nbytes"])),
            _percent(configuration["validation_accuracy_mean"], configuration["validation_accuracy_std"], n_seeds),
            _percent(configuration["test_accuracy_mean"], configuration["test_accuracy_std"], n_seeds),
            str(n_seeds),
        ])
    lines += _markdown_table(header, rows)
    lines += ["", "Ranked on validation accuracy (mean over seeds, ± sample standard deviation); "
              "test accuracy is shown for reference and takes no part in the ranking."]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------


def aggregate(
    cells: Sequence[str | Path],
    benchmarks: Sequence[str | Path],
    metadata: str | Path,
    grid: str | Path,
    top: str | Path,
    cost: str | Path | None = None,
    top_n: int = 5,
) -> None:
    """Write the grid CSV, the top table and, if ``cost`` is given, the cost CSV of one study and dataset.

    ``benchmarks`` are matched to cells by file stem (the cell name); cells
    without a benchmark get empty cost fields.
    """
    if not cells:
        raise ValueError("no cell files given. Check the grid in the config")
    loaded = [load_cell(path) for path in cells]
    info = read_metadata(metadata)
    binary = int(info["n_classes"]) == 2
    for cell in loaded:
        if "n_classes" in cell and int(cell["n_classes"]) != int(info["n_classes"]):
            raise ValueError(
                f"cell {cell['cell']} has {cell['n_classes']} classes but {metadata} lists "
                f"{info['n_classes']}. Rerun the training after rebuilding the features"
            )
    bench = {Path(path).stem: read_benchmark(path) for path in benchmarks}

    write_csv(build_grid(loaded, binary), grid)
    if cost is not None:
        write_csv(build_cost(loaded, bench), cost)
    table = format_top_table(read_grid(grid), top_n, info)
    Path(top).parent.mkdir(parents=True, exist_ok=True)
    Path(top).write_text(table)
    logger.info("wrote %s rows for %s cells to %s", sum(len(c["budgets"]) for c in loaded), len(loaded), grid)


# --------------------------------------------------------------------------
# Summary over studies and datasets
# --------------------------------------------------------------------------

SUMMARY_METRICS = (
    ("accuracy", "Accuracy"),
    ("balanced_accuracy", "Balanced accuracy"),
    ("macro_f1", "Macro F1"),
    ("roc_auc", "ROC AUC"),
)


def describe_configuration(configuration: Mapping, grid: pd.DataFrame) -> str:
    """Return a one-line description of a configuration in the field's terms."""
    parts = [
        f"activation {configuration.get('activation', '?')}",
        f"{configuration.get('layers', '?')} hidden layer(s) of {configuration.get('hidden', '?')} neurons",
        f"learning rate {configuration.get('learning_rate', '?')}",
        f"{int(configuration['iterations'])} iterations (ran {_iterations_run(configuration)})",
    ]
    parts += [f"{column} {configuration[column] or 'none'}" for column in varying_columns(grid)]
    parts.append(f"{int(configuration['n_parameters'])} parameters")
    parts.append(f"{int(configuration['n_seeds'])} seed(s)")
    return ", ".join(parts)


def _summary_section(
    study: str, dataset: str, grid: pd.DataFrame, metadata: Mapping | None, reference: float | None
) -> list[str]:
    lines = [f"## {study} / {dataset}", ""]

    counts = status_counts(grid)
    lines.append(
        f"{grid['cell'].nunique()} cells, {len(grid)} cell-budget rows: "
        + ", ".join(f"{n} {status}" for status, n in counts.items())
        + "."
    )
    lines.append("")
    configuration = select_configuration(grid)
    if configuration is None:
        lines.append("No configuration has status ok, so nothing was selected and no test metric is reported.")
        return lines + [""]

    n_seeds = int(configuration["n_seeds"])
    lines.append(f"Selected on validation accuracy: {describe_configuration(configuration, grid)}.")
    lines.append(
        "Validation accuracy "
        + _fraction(configuration["validation_accuracy_mean"], configuration["validation_accuracy_std"], n_seeds)
        + "."
    )
    lines.append("")

    rows = []
    for metric, label in SUMMARY_METRICS:
        column = f"test_{metric}"
        if column not in grid.columns:
            continue
        value = _fraction(configuration[f"{column}_mean"], configuration[f"{column}_std"], n_seeds)
        rows.append([label, value])
    if metadata is not None:
        rows.append(["Majority-class rate", f"{metadata['majority_class_rate']['test']:.4f}"])
    rows.append(["Reference accuracy", "not reported" if reference is None else f"{reference:.4f}"])
    lines += _markdown_table(["Test split", "Value"], rows)
    lines += [
        "",
        "The reference picked its configuration by accuracy on its test split, so its figure is "
        "optimistic. This study selects on validation and reads the test split once.",
        "",
    ]
    return lines


def format_summary(
    grids: Mapping[tuple[str, str], pd.DataFrame],
    metadata: Mapping[str, Mapping],
    reference_accuracy: Mapping[str, float],
    studies: Sequence[str],
    datasets: Sequence[str],
    seed_tables: Mapping[tuple[str, str], pd.DataFrame] | None = None,
    baselines: pd.DataFrame | None = None,
) -> str:
    """Return the summary markdown: one section per grid, in the order of ``studies`` x ``datasets``.

    A study that does not cover a dataset has no grid and no section.  With
    ``seed_tables`` (frames of :func:`read_seed_table`) or ``baselines``
    (:func:`read_baselines`), one comparison table per dataset comes first.
    """
    lines = ["# Summary: selected configurations and their test metrics", ""]
    unknown = sorted(set(grids) - {(study, dataset) for study in studies for dataset in datasets})
    if unknown:
        raise ValueError(f"grids for {unknown} are not in the studies {studies} and datasets {datasets}")
    if seed_tables or baselines is not None:
        for dataset in datasets:
            reference = reference_accuracy.get(dataset)
            lines += _comparison_section(
                dataset,
                {study: seed_tables[(study, dataset)] for study in studies if (study, dataset) in (seed_tables or {})},
                baselines, metadata.get(dataset), None if reference is None else float(reference),
            )
    for study in studies:
        for dataset in datasets:
            if (study, dataset) not in grids:
                continue
            reference = reference_accuracy.get(dataset)
            lines += _summary_section(
                study, dataset, grids[(study, dataset)], metadata.get(dataset),
                None if reference is None else float(reference),
            )
    if not grids:
        lines += ["No grid table was given.", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


BASELINE_COLUMNS = (
    "dataset", "model", "preprocessing", "setting", "n_seeds", "validation_accuracy", "test_accuracy",
    "test_accuracy_std", "test_roc_auc", "test_macro_f1", "raw_sha256",
)


def read_seed_table(path: str | Path) -> pd.DataFrame:
    """Read a seed CSV (written by :func:`gridstudy.seeds.write_seed_tables`): params as text, statistics as numbers."""
    head = pd.read_csv(path, nrows=0)
    numeric = {c for c in head.columns if c.split("_", 1)[0] in SPLITS} | {
        "rank", "seed_rank", "iterations", "n_seeds", "n_iter_min", "n_iter_max",
    }
    dtypes = {column: (float if column in numeric else str) for column in head.columns}
    return pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values={c: [""] for c in numeric})


def read_baselines(path: str | Path) -> pd.DataFrame:
    """Read the table of ``benchmarks/baselines.py`` and check its columns."""
    frame = pd.read_csv(path, dtype={"dataset": str, "model": str, "preprocessing": str, "setting": str,
                                     "raw_sha256": str}, keep_default_na=False, na_values=[""])
    missing = [column for column in BASELINE_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"baseline table {path} lacks the columns {missing}. Rerun benchmarks/baselines.py")
    return frame


def _raw_checksums(metadata: Mapping | None) -> str | None:
    files = ((metadata or {}).get("raw_sha256") or {}).get("files")
    if not files:
        return None
    return " ".join(f"{name}={digest}" for name, digest in sorted(files.items()))


def _mean_std(mean, std, scale: float, digits: int) -> str:
    if mean is None or pd.isna(mean):
        return "–"
    text = f"{scale * mean:.{digits}f}"
    if std is not None and not pd.isna(std):
        text += f" ± {scale * std:.{digits}f}"
    return text


def _comparison_section(
    dataset: str,
    seed_tables: Mapping[str, pd.DataFrame],
    baselines: pd.DataFrame | None,
    metadata: Mapping | None,
    reference: float | None,
) -> list[str]:
    binary = metadata is not None and int(metadata["n_classes"]) == 2
    second, label, scale, digits = ("roc_auc", "ROC AUC", 1.0, 4) if binary else ("macro_f1", "Macro F1 (%)", 100.0, 2)
    lines = [f"## {dataset}: test metrics beside the baselines", ""]
    rows = []
    for study, frame in seed_tables.items():
        chosen = frame[frame["seed_rank"] == 1]
        if chosen.empty:
            rows.append([f"MLP, {study} study", "no configuration with status ok", "–", "–", "–", "–", "–"])
            continue
        row = chosen.iloc[0]
        interval = "–"
        if not pd.isna(row["test_accuracy_ci_low"]):
            interval = f"[{100 * row['test_accuracy_ci_low']:.2f}, {100 * row['test_accuracy_ci_high']:.2f}]"
        parts = [f"{column} {row[column] or 'none'}" for column in ("optimizer", "activation", "hidden", "layers",
                 "learning_rate", "alpha", "batch_size", "preprocessing") if column in frame.columns]
        rows.append([
            f"MLP, {study} study ({', '.join(parts)}, {int(row['iterations'])} iterations)",
            f"validation, best of {len(frame)} over seeds",
            str(int(row["n_seeds"])),
            _mean_std(row.get("validation_accuracy_mean"), row.get("validation_accuracy_std"), 100.0, 2),
            _mean_std(row["test_accuracy_mean"], row["test_accuracy_std"], 100.0, 2),
            interval,
            _mean_std(row.get(f"test_{second}_mean"), row.get(f"test_{second}_std"), scale, digits),
        ])
    mismatched = False
    if baselines is not None:
        checksums = _raw_checksums(metadata)
        for _, row in baselines[baselines["dataset"] == dataset].iterrows():
            if checksums and isinstance(row["raw_sha256"], str) and row["raw_sha256"] != checksums:
                mismatched = True
            setting = row["setting"] if isinstance(row["setting"], str) and row["setting"] else None
            rows.append([
                f"{row['model']} on {row['preprocessing']} (scikit-learn{', ' + setting if setting else ''})",
                "validation" if setting else "–",
                str(int(row["n_seeds"])),
                _mean_std(row["validation_accuracy"], None, 100.0, 2),
                _mean_std(row["test_accuracy"], row["test_accuracy_std"], 100.0, 2),
                "–",
                _mean_std(row[f"test_{second}"], None, scale, digits),
            ])
    if metadata is not None:
        rates = metadata["majority_class_rate"]
        rows.append([
            "Majority class", "–", "–", _mean_std(rates.get("validation"), None, 100.0, 2),
            f"{100 * rates['test']:.2f}", "–", "–",
        ])
    if reference is not None:
        rows.append(["Reference notebook", "its test split", "1", "–", f"{100 * reference:.2f}", "–", "–"])
    lines += _markdown_table(
        ["Model", "Selected on", "Seeds", "Validation accuracy (%)", "Test accuracy (%)", "95% interval (%)",
         f"Test {label}"],
        rows,
    )
    lines += [
        "",
        "Mean ± sample standard deviation over seeds; the interval (of the test accuracy) is "
        "mean ± t(0.975, n-1) · std / √n. The validation split chose each model's settings, so its "
        "accuracy is optimistic; the test split took no part in any choice. "
        "Baselines come from benchmarks/baselines.py, run on this workflow's feature files; "
        "rerun it after changing the split settings, which this table cannot check.",
    ]
    if mismatched:
        lines += ["", "NOTE: the baselines were computed on raw files with other checksums than this run's. "
                      "Rerun benchmarks/baselines.py."]
    return lines + [""]


def _key_of_grid(path: Path, grid: pd.DataFrame) -> tuple[str, str]:
    pairs = grid[["study", "dataset"]].drop_duplicates()
    if len(pairs) != 1:
        raise ValueError(f"grid {path} mixes studies or datasets {pairs.values.tolist()}. Expected one of each")
    return str(pairs.iloc[0, 0]), str(pairs.iloc[0, 1])


def format_cost(costs: Sequence[pd.DataFrame], slowest: int = 3) -> str:
    """Return the cost markdown: cell count, summed job and fit seconds, and the slowest cells."""
    frame = pd.concat(costs, ignore_index=True) if costs else pd.DataFrame(columns=list(COST_COLUMNS))
    lines = ["# Cost of the grid", ""]
    if frame.empty:
        return "\n".join(lines + ["No cells were run."]) + "\n"
    job = frame["job_seconds"]
    lines.append(f"- Cells: {len(frame)}")
    lines.append(
        f"- Job seconds (Snakemake benchmarks): {job.sum():.1f}"
        + (f" ({int(job.isna().sum())} cells without a benchmark)" if job.isna().any() else "")
    )
    lines.append(f"- Fit seconds (training loop only): {frame['fit_seconds'].sum():.1f}")
    lines.append("")
    order = frame.assign(_seconds=job.fillna(frame["fit_seconds"]))
    order = order.sort_values(["_seconds", "cell"], ascending=[False, True], kind="mergesort").head(slowest)
    rows = [
        [row.study, row.dataset, row.cell, _format_float(row.job_seconds, ".1f") or "–",
         _format_float(row.fit_seconds, ".1f") or "–", _format_float(row.max_rss_mb, ".0f") or "–"]
        for row in order.itertuples()
    ]
    lines.append(f"Slowest {len(rows)} cells:")
    lines.append("")
    lines += _markdown_table(["Study", "Dataset", "Cell", "Job seconds", "Fit seconds", "Max RSS (MB)"], rows)
    return "\n".join(lines) + "\n"


def summarise(
    grids: Sequence[str | Path],
    costs: Sequence[str | Path],
    metadata: Sequence[str | Path],
    summary: str | Path,
    cost: str | Path | None,
    reference_accuracy: Mapping[str, float],
    studies: Sequence[str],
    datasets: Sequence[str],
    seeds: Sequence[str | Path] = (),
    baselines: str | Path | None = None,
) -> None:
    """Write the summary markdown and, if ``cost`` is given, the cost markdown over all studies and datasets.

    Metadata files are matched to datasets by their ``dataset`` key, or else
    by their folder name (``data/features/{dataset}/metadata.json``).
    ``seeds`` are seed CSVs and ``baselines`` the table of
    ``benchmarks/baselines.py``; both feed the comparison tables.
    """
    seed_tables = {}
    for path in seeds:
        frame = read_seed_table(path)
        if not frame.empty:
            seed_tables[_key_of_grid(Path(path), frame)] = frame
    tables = {}
    for path in grids:
        frame = read_grid(path)
        if frame.empty:
            continue
        key = _key_of_grid(Path(path), frame)
        if key in tables:
            raise ValueError(f"two grid files hold study {key[0]!r} and dataset {key[1]!r}. Pass each once")
        tables[key] = frame
    infos = {}
    for path in sorted(str(path) for path in metadata):
        info = read_metadata(path)
        # NOTE: with several preprocessings of one dataset the first file wins;
        # they share one split, so the majority-class rates are the same.
        infos.setdefault(info.get("dataset", Path(path).parent.name), info)

    Path(summary).parent.mkdir(parents=True, exist_ok=True)
    baseline_table = None if baselines is None else read_baselines(baselines)
    Path(summary).write_text(
        format_summary(tables, infos, reference_accuracy, studies, datasets, seed_tables, baseline_table)
    )
    if cost is not None:
        cost_frames = [pd.read_csv(path, dtype={"study": str, "dataset": str, "cell": str}) for path in costs]
        Path(cost).parent.mkdir(parents=True, exist_ok=True)
        Path(cost).write_text(format_cost(cost_frames))


# --------------------------------------------------------------------------
# Competition submission
# --------------------------------------------------------------------------

SUBMISSION_HEADER = 'ID,"Class"'


def write_submission(
    grid: str | Path,
    cells: Sequence[str | Path],
    competition_test: str | Path,
    output: str | Path,
) -> None:
    """Write the selected configuration's competition predictions as ``ID,"Class"`` CSV.

    The format follows the competition's sample solution: the header
    ``ID,"Class"``, then one unquoted ``ID,label`` row per test row in the
    order of the competition test file, with LF line endings.  With several
    seeds the seed of highest validation accuracy supplies the predictions.
    """
    frame = read_grid(grid)
    configuration = select_configuration(frame)
    if configuration is None:
        raise ValueError(f"grid {grid} has no configuration with status ok, so there is no model to submit")
    chosen = select_cell(frame, configuration)

    by_name = {Path(path).stem: path for path in cells}
    if chosen["cell"] not in by_name:
        raise ValueError(f"selected cell {chosen['cell']!r} is not among the cell files given. Pass all cells")
    cell = load_cell(by_name[chosen["cell"]])
    budgets = [b for b in cell["budgets"] if int(b["iterations"]) == int(chosen["iterations"])]
    if len(budgets) != 1 or "competition_predictions" not in budgets[0]:
        raise ValueError(
            f"cell {chosen['cell']} has no competition_predictions at budget {int(chosen['iterations'])}; "
            "train it with the competition test file"
        )
    labels = budgets[0]["competition_predictions"]

    ids = pd.read_parquet(competition_test, columns=["ID"])["ID"]
    if len(ids) != len(labels):
        raise ValueError(
            f"{competition_test} has {len(ids)} rows but cell {chosen['cell']} has {len(labels)} "
            "predictions. Retrain after rebuilding the features"
        )
    bad = [label for label in labels if any(ch in str(label) for ch in ',"\r\n')]
    if bad:
        raise ValueError(f"class label {bad[0]!r} contains a comma, quote or line break. The format has no quoting")

    lines = [SUBMISSION_HEADER] + [f"{int(i)},{label}" for i, label in zip(ids, labels)]
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", newline="\n") as handle:
        handle.write("\n".join(lines) + "\n")
