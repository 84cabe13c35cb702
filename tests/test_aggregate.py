"""Tests for the grid table, selection, top table, summary and submission."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from gridstudy import aggregate as agg

BUDGETS = (50, 100, 500)
ACTIVATIONS = ("relu", "tanh")
WIDTHS = (4, 16)
DEPTHS = (1, 2)
RATES = (0.1, 0.01)
SEEDS = (0, 1)
AUTHORS = ("Mitchell", "Shea", "Riley")
N_COMPETITION = 7

# The best configuration by validation accuracy diverges on seed 1, so it must
# not win; the runner-up is tanh-h16-l2-lr0.1 at 500 iterations.
DIVERGED = ("tanh-h16-l2-lr0.01-s1", 500)
WINNER = {"activation": "tanh", "hidden": "16", "layers": "2", "learning_rate": "0.1", "iterations": 500}
# A one_class cell with a high validation accuracy, and a cell with an
# excellent test accuracy but a poor validation accuracy: neither may win.
ONE_CLASS = ("relu-h16-l2-lr0.1-s0", 500)
TEST_TRAP = "relu-h4-l1-lr0.1"


def cell_name(activation, hidden, layers, rate, seed):
    return f"{activation}-h{hidden}-l{layers}-lr{rate}-s{seed}"


def split_metrics(accuracy, binary):
    metrics = {"loss": 1.0 - accuracy, "accuracy": accuracy, "balanced_accuracy": accuracy - 0.05,
               "macro_f1": accuracy - 0.1, "roc_auc": accuracy + 0.05 if binary else None}
    return metrics


def make_cell(activation, hidden, layers, rate, seed, *, study, dataset, binary):
    """Return one cell dict in the training job's format with planted metrics."""
    name = cell_name(activation, hidden, layers, rate, seed)
    budgets = []
    for index, iterations in enumerate(BUDGETS):
        validation = (0.6 + 0.02 * WIDTHS.index(hidden) + 0.03 * DEPTHS.index(layers)
                      + 0.01 * (activation == "tanh") + 0.0005 * (rate == 0.01) + 0.001 * index + 0.002 * seed)
        test = validation - 0.01
        if name.startswith(TEST_TRAP):
            test = 0.99
        status, stop = "ok", "max_iter"
        if (name, iterations) == ONE_CLASS:
            status, validation = "one_class", 0.97
        budget = {"iterations": iterations, "n_iter": iterations, "stop_reason": stop, "status": status,
                  "train": split_metrics(validation + 0.02, binary),
                  "validation": split_metrics(validation, binary),
                  "test": split_metrics(test, binary)}
        if (name, iterations) == DIVERGED:
            budget.update(n_iter=137, stop_reason="diverged", status="diverged")
            for split in agg.SPLITS:
                budget[split] = {key: None for key in agg.METRICS}
        if not binary:
            budget["competition_predictions"] = [AUTHORS[(i + seed) % len(AUTHORS)] for i in range(N_COMPETITION)]
        budgets.append(budget)
    n_parameters = hidden * (hidden + 3) * layers
    return {
        "study": study, "dataset": dataset, "cell": name,
        "params": {"activation": activation, "hidden": hidden, "layers": layers, "learning_rate": rate,
                   "optimizer": "gd", "alpha": 0.0, "batch_size": None, "momentum": 0.9,
                   "early_stopping": "train", "seed": seed, "dtype": "float64", "max_iter": 500},
        "n_classes": 2 if binary else len(AUTHORS), "n_features": 3, "n_parameters": n_parameters,
        "nbytes": 8 * n_parameters, "fit_seconds": 0.5 + hidden / 100,
        "loss_curve": [1.0 / (1 + i) for i in range(500 if (name, 500) != DIVERGED else 137)],
        "validation_loss_curve": [1.2 / (1 + i) for i in range(500)],
        "budgets": budgets,
    }


def write_study(root: Path, study="reference", dataset="credit_default", binary=True, reverse=False):
    """Write a small grid of cell JSONs, benchmarks and metadata; return their paths."""
    cells, benchmarks = [], []
    combos = [(a, h, la, r, s) for a in ACTIVATIONS for h in WIDTHS for la in DEPTHS for r in RATES for s in SEEDS]
    for combo in (reversed(combos) if reverse else combos):
        cell = make_cell(*combo, study=study, dataset=dataset, binary=binary)
        path = root / "cells" / study / dataset / f"{cell['cell']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cell))
        cells.append(path)
        bench = root / "benchmarks" / study / dataset / f"{cell['cell']}.tsv"
        bench.parent.mkdir(parents=True, exist_ok=True)
        bench.write_text("s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
                         f"{cell['fit_seconds'] + 1:.4f}\t0:00:01\t{50 + cell['params']['hidden']}\t1\t1\t1\t0\t0\t0\t1\n")
        benchmarks.append(bench)
    metadata = root / "features" / dataset / "metadata.json"
    metadata.parent.mkdir(parents=True, exist_ok=True)
    metadata.write_text(json.dumps({
        "majority_class_rate": {"train": 0.78, "validation": 0.779, "test": 0.7788},
        "classes": [0, 1] if binary else list(AUTHORS), "n_classes": 2 if binary else len(AUTHORS),
        "rows": {"train": 70, "validation": 15, "test": 15},
    }))
    return cells, benchmarks, metadata


def run_aggregate(root: Path, **kwargs):
    cells, benchmarks, metadata = write_study(root / "in", **kwargs)
    out = root / "out"
    paths = {"grid": out / "grid.csv", "top": out / "top.md", "cost": out / "cost.csv"}
    agg.aggregate(cells, benchmarks, metadata, top_n=5, **paths)
    return paths, cells, metadata


@pytest.fixture(scope="module")
def credit(tmp_path_factory):
    return run_aggregate(tmp_path_factory.mktemp("credit"))


def test_grid_one_row_per_cell_and_budget(credit):
    paths, cells, _ = credit
    grid = pd.read_csv(paths["grid"], dtype=str, keep_default_na=False)
    assert len(grid) == len(cells) * len(BUDGETS)
    assert not grid.duplicated(["cell", "iterations"]).any()
    assert set(grid["status"]) == set(agg.STATUSES)


def test_grid_columns(credit):
    paths, _, _ = credit
    header = paths["grid"].read_text().splitlines()[0].split(",")
    assert header[:4] == ["study", "dataset", "cell", "activation"]
    assert "seed" in header
    assert "batch_size" in header
    assert "test_roc_auc" in header
    assert "fit_seconds" not in header


def test_grid_has_no_nan_text(credit):
    paths, _, _ = credit
    text = paths["grid"].read_text().lower()
    assert "nan" not in text
    assert "none" not in text
    assert "\r" not in text


def test_grid_diverged_row_is_empty(credit):
    paths, _, _ = credit
    grid = pd.read_csv(paths["grid"], dtype=str, keep_default_na=False)
    row = grid[(grid["cell"] == DIVERGED[0]) & (grid["iterations"] == str(DIVERGED[1]))].iloc[0]
    assert row["status"] == "diverged"
    assert row["stop_reason"] == "diverged"
    assert row["n_iter"] == "137"
    assert row["validation_accuracy"] == ""
    assert row["test_loss"] == ""


def test_grid_byte_identical_on_rerun(credit, tmp_path):
    paths, _, _ = credit
    again, _, _ = run_aggregate(tmp_path, reverse=True)
    assert again["grid"].read_bytes() == paths["grid"].read_bytes()
    assert again["top"].read_bytes() == paths["top"].read_bytes()


def test_grid_sorted_by_params(credit):
    paths, _, _ = credit
    grid = agg.read_grid(paths["grid"])
    assert list(grid["iterations"][:3]) == list(BUDGETS)
    assert grid["cell"].iloc[0] == "relu-h4-l1-lr0.01-s0"


def test_multiclass_grid_has_no_roc_auc(tmp_path):
    paths, _, _ = run_aggregate(tmp_path, dataset="amazon_reviews", binary=False)
    header = paths["grid"].read_text().splitlines()[0]
    assert "roc_auc" not in header


def test_cost_table(credit):
    paths, cells, _ = credit
    cost = pd.read_csv(paths["cost"])
    assert len(cost) == len(cells)
    assert list(cost.columns) == list(agg.COST_COLUMNS)
    assert cost["job_seconds"].notna().all()
    assert cost["max_rss_mb"].max() == 66


def test_selection_skips_diverged_config(credit):
    paths, _, _ = credit
    selected = agg.select_configuration(agg.read_grid(paths["grid"]))
    for key, value in WINNER.items():
        assert selected[key] == value, key
    assert selected["n_seeds"] == 2


def test_selection_ignores_test_metrics(credit):
    paths, _, _ = credit
    ranked = agg.rank_configurations(agg.read_grid(paths["grid"]))
    trap = ranked[ranked["first_cell"].str.startswith(TEST_TRAP)]
    assert not trap.empty
    assert trap.index.min() > 5


def test_selection_excludes_one_class(credit):
    paths, _, _ = credit
    ranked = agg.rank_configurations(agg.read_grid(paths["grid"]))
    assert (ranked["status"] == "ok").all()
    one_class = ranked[(ranked["first_cell"] == ONE_CLASS[0]) & (ranked["iterations"] == ONE_CLASS[1])]
    assert one_class.empty


def test_selection_mean_and_std_over_seeds(credit):
    paths, _, _ = credit
    selected = agg.select_configuration(agg.read_grid(paths["grid"]))
    # Seeds 0 and 1 differ by 0.002 in validation accuracy.
    assert selected["validation_accuracy_mean"] == pytest.approx(0.6 + 0.02 + 0.03 + 0.01 + 0.002 + 0.001)
    assert selected["validation_accuracy_std"] == pytest.approx(0.002 / 2**0.5, rel=1e-3)


def test_selection_tie_prefers_fewer_parameters(tmp_path):
    cells = []
    for hidden in (16, 4):
        cell = make_cell("relu", hidden, 1, 0.1, 0, study="s", dataset="d", binary=True)
        for budget in cell["budgets"]:
            budget["validation"]["accuracy"] = 0.8
        cells.append(cell)
    agg.write_csv(agg.build_grid(cells, binary=True), tmp_path / "grid.csv")
    selected = agg.select_configuration(agg.read_grid(tmp_path / "grid.csv"))
    assert selected["hidden"] == "4"
    assert selected["iterations"] == 50


def test_nothing_ok_is_reported(tmp_path):
    cell = make_cell("relu", 4, 1, 0.1, 0, study="s", dataset="d", binary=True)
    for budget in cell["budgets"]:
        budget["status"] = "diverged"
    agg.write_csv(agg.build_grid([cell], binary=True), tmp_path / "grid.csv")
    grid = agg.read_grid(tmp_path / "grid.csv")
    assert agg.select_configuration(grid) is None
    assert "No configuration has status ok" in agg.format_top_table(grid, 5)
    summary = agg.format_summary({("s", "d"): grid}, {}, {"d": 0.8}, ["s"], ["d"])
    assert "nothing was selected" in summary


def test_invalid_status_is_rejected(tmp_path):
    cell = make_cell("relu", 4, 1, 0.1, 0, study="s", dataset="d", binary=True)
    cell["budgets"][0]["status"] = "nan"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(cell))
    with pytest.raises(ValueError, match="status 'nan'"):
        agg.load_cell(path)


def test_top_table_contents(credit):
    paths, _, _ = credit
    text = paths["top"].read_text()
    table = [line for line in text.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    for column in ("Hidden neurons", "Layers", "Activation", "Parameters", "RAM bytes",
                   "Validation accuracy (%)", "Learning rate", "Iterations", "Test accuracy (%)", "Seeds"):
        assert column in header, column
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table[1:]]
    assert len(rows) == 5
    first = dict(zip(header, rows[0]))
    assert first["Activation"] == "tanh"
    assert first["Hidden neurons"] == "16"
    assert first["Learning rate"] == "0.1"
    assert first["Iterations"] == "500"
    assert first["Seeds"] == "2"
    assert "±" in first["Validation accuracy (%)"]
    assert "Majority-class rate" in text
    assert "1 diverged" in text


def test_summary_contents(credit, tmp_path):
    paths, _, metadata = credit
    summary, cost = tmp_path / "summary.md", tmp_path / "cost.md"
    agg.summarise([paths["grid"]], [paths["cost"]], [metadata], summary, cost,
                  {"credit_default": 0.821, "amazon_reviews": 0.606}, ["reference"],
                  ["credit_default", "amazon_reviews"])
    text = summary.read_text()
    assert "## reference / credit_default" in text
    assert "activation tanh" in text
    assert "learning rate 0.1" in text
    assert "| ROC AUC |" in text
    assert "| Majority-class rate | 0.7788 |" in text
    assert "| Reference accuracy | 0.8210 |" in text
    assert "test split" in text
    assert "amazon_reviews" not in text
    assert "nan" not in text.lower()
    cost_text = cost.read_text()
    assert f"- Cells: {len(WIDTHS) * len(DEPTHS) * len(RATES) * len(SEEDS) * len(ACTIVATIONS)}" in cost_text
    assert "Slowest 3 cells" in cost_text
    assert "-h16-" in cost_text.split("Slowest")[1]


def test_submission_format(tmp_path):
    paths, cells, _ = run_aggregate(tmp_path, dataset="amazon_reviews", binary=False)
    competition = tmp_path / "competition_test.parquet"
    ids = list(range(750, 750 + N_COMPETITION))
    pd.DataFrame({"ID": pd.Series(ids, dtype="int64"), "V1": 0.0}).to_parquet(competition)
    output = tmp_path / "submissions" / "amazon_reviews.csv"
    agg.write_submission(paths["grid"], cells, competition, output)

    raw = output.read_bytes()
    assert raw.startswith(b'ID,"Class"\n')
    assert b"\r" not in raw
    lines = raw.decode().splitlines()
    assert len(lines) == N_COMPETITION + 1
    rows = list(csv.reader(lines[1:]))
    assert [int(row[0]) for row in rows] == ids
    # Seed 1 has the higher validation accuracy, so its predictions are used.
    assert [row[1] for row in rows] == [AUTHORS[(i + 1) % len(AUTHORS)] for i in range(N_COMPETITION)]
    assert lines[1] == "750,Shea"


def test_submission_length_mismatch(tmp_path):
    paths, cells, _ = run_aggregate(tmp_path, dataset="amazon_reviews", binary=False)
    competition = tmp_path / "competition_test.parquet"
    pd.DataFrame({"ID": pd.Series([1, 2], dtype="int64")}).to_parquet(competition)
    with pytest.raises(ValueError, match="has 2 rows"):
        agg.write_submission(paths["grid"], cells, competition, tmp_path / "out.csv")


def test_summary_metadata_keyed_by_dataset(credit, tmp_path):
    paths, _, metadata = credit
    nested = tmp_path / "features" / "credit_default" / "standardize" / "metadata.json"
    nested.parent.mkdir(parents=True)
    nested.write_text(json.dumps({**json.loads(metadata.read_text()), "dataset": "credit_default"}))
    summary = tmp_path / "summary.md"
    agg.summarise([paths["grid"]], [], [nested], summary, None, {}, ["reference"], ["credit_default"])
    text = summary.read_text()
    assert "| Majority-class rate | 0.7788 |" in text
    assert "| Reference accuracy | not reported |" in text
    assert not (tmp_path / "cost.md").exists()


def test_aggregate_without_cost_output(tmp_path):
    cells, benchmarks, metadata = write_study(tmp_path / "in")
    grid, top = tmp_path / "grid.csv", tmp_path / "top.md"
    agg.aggregate(cells[:4], [], metadata, grid, top)
    assert len(agg.read_grid(grid)) == 4 * len(BUDGETS)
    assert "| 1 |" in top.read_text()
