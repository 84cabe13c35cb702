"""Shape checks of the committed result tables of the default configuration."""

import re

import pandas as pd
import pytest
import yaml

from gridstudy.aggregate import rank_configurations, read_grid
from gridstudy.grid import expand_studies
from tests.smallflow import REPOSITORY

TABLES = REPOSITORY / "results" / "tables"
CONFIG = yaml.safe_load((REPOSITORY / "config.yaml").read_text())
CELLS = expand_studies(CONFIG)
GRIDS = sorted({(cell.study, cell.dataset) for cell in CELLS})
DATASETS = sorted({cell.dataset for cell in CELLS})


def grid_path(study, dataset):
    return TABLES / study / f"{dataset}_grid.csv"


@pytest.mark.parametrize(("study", "dataset"), GRIDS)
def test_every_cell_once_per_budget(study, dataset):
    grid = pd.read_csv(grid_path(study, dataset), keep_default_na=False, dtype=str)
    expected = {
        (cell.name, str(budget))
        for cell in CELLS
        if (cell.study, cell.dataset) == (study, dataset)
        for budget in cell.budgets
    }
    found = list(zip(grid["cell"], grid["iterations"]))
    assert len(found) == len(set(found)), "a cell appears twice at one budget"
    assert set(found) == expected


@pytest.mark.parametrize(("study", "dataset"), GRIDS)
def test_statuses_valid_and_no_bare_nan(study, dataset):
    text = grid_path(study, dataset).read_text()
    assert not re.search(r"(^|,)(nan|NaN|inf|-inf)(,|$)", text, flags=re.MULTILINE)
    grid = pd.read_csv(grid_path(study, dataset), keep_default_na=False, dtype=str)
    assert set(grid["status"]) <= {"ok", "diverged", "one_class"}
    assert set(grid["stop_reason"]) <= {"max_iter", "converged", "diverged"}
    ok = grid[grid["status"] == "ok"]
    assert (ok["validation_accuracy"] != "").all()
    assert (ok["test_accuracy"] != "").all()


@pytest.mark.parametrize(("study", "dataset"), GRIDS)
def test_top_table_matches_grid(study, dataset):
    grid = read_grid(grid_path(study, dataset))
    ranked = rank_configurations(grid).head(5)
    top = (TABLES / study / f"{dataset}_top.md").read_text()
    rows = [line for line in top.splitlines() if re.match(r"^\| \d+ \|", line)]
    assert len(rows) == min(5, len(ranked))
    for row, (_, configuration) in zip(rows, ranked.iterrows()):
        cells = [field.strip() for field in row.strip("|").split("|")]
        assert cells[1] == str(int(configuration["hidden"]))
        assert cells[2] == str(int(configuration["layers"]))
        assert cells[3] == configuration["activation"]


@pytest.mark.parametrize(("study", "dataset"), GRIDS)
def test_seed_table_lists_five_configurations(study, dataset):
    seeds = pd.read_csv(TABLES / study / f"{dataset}_seeds.csv")
    assert len(seeds) == CONFIG["seed_reruns"]["top_n"]
    expected_seeds = 1 + len(CONFIG["seed_reruns"]["seeds"])
    assert (seeds["n_seeds"] == expected_seeds).all()


def test_summary_names_every_dataset():
    summary = (TABLES / "summary.md").read_text()
    for dataset in DATASETS:
        assert dataset in summary
