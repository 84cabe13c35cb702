"""End-to-end runs of the real workflow on small synthetic data."""

import csv
import json
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import smallflow

pytestmark = pytest.mark.slow

BUDGETS = (5, 20)
CELLS_PER_DATASET = 4
TUNED_CELLS_PER_DATASET = 2


def planned_rules(output: str) -> dict[str, int]:
    """Parse the 'Job stats' table of a dry run into {rule: count}."""
    counts = {}
    table = output.split("Job stats:", 1)
    if len(table) < 2:
        return counts
    for line in table[1].splitlines()[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match:
            break
        if match.group(1) != "total":
            counts[match.group(1)] = int(match.group(2))
    return counts


@contextmanager
def edited(path: Path):
    """Append a comment to a source file, then restore its text and mtime."""
    original = path.read_text()
    stat = path.stat()
    path.write_text(original + "\n# edited by a test\n")
    try:
        yield
    finally:
        path.write_text(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    workdir = smallflow.prepare(tmp_path_factory.mktemp("workflow"))
    smallflow.run(workdir, "--cores", "2")
    return workdir


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.parametrize("dataset", ["credit_default", "amazon_reviews"])
def test_grid_table_has_every_cell_and_budget(finished_run, dataset):
    rows = read_csv(finished_run / "results" / "tables" / "reference" / f"{dataset}_grid.csv")
    assert len(rows) == CELLS_PER_DATASET * len(BUDGETS)
    assert {int(row["iterations"]) for row in rows} == set(BUDGETS)
    assert len({(row["cell"], row["iterations"]) for row in rows}) == len(rows)
    for row in rows:
        assert row["status"] in {"ok", "diverged", "one_class"}
        assert "nan" not in [value.lower() for value in row.values()]


def test_top_tables_and_summary_written(finished_run):
    tables = finished_run / "results" / "tables"
    for dataset in ("credit_default", "amazon_reviews"):
        top = (tables / "reference" / f"{dataset}_top.md").read_text()
        assert "|" in top
    summary = (tables / "summary.md").read_text()
    assert "credit_default" in summary
    assert "amazon_reviews" in summary


def test_figures_are_png(finished_run):
    figures = sorted((finished_run / "results" / "figures" / "reference").glob("*.png"))
    assert len(figures) == 8
    for figure in figures:
        assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_submission_matches_sample_format(finished_run):
    lines = (finished_run / "results" / "submissions" / "amazon_reviews.csv").read_text().splitlines()
    assert lines[0] == 'ID,"Class"'
    assert len(lines) == 1 + 40
    assert lines[1].split(",")[0] == "120"


def test_cell_json_records_budgets(finished_run):
    selected = json.loads((finished_run / "results" / "seeds" / "reference" / "credit_default_selected.json").read_text())
    grid_cells = sorted((finished_run / "results" / "cells" / "reference" / "credit_default").glob("*-s0.json"))
    assert len(grid_cells) == CELLS_PER_DATASET
    cells = sorted((finished_run / "results" / "cells" / "reference" / "credit_default").glob("*.json"))
    assert len(cells) == CELLS_PER_DATASET + len(selected["reruns"])
    benchmarks = sorted((finished_run / "results" / "benchmarks" / "reference" / "credit_default").glob("*.tsv"))
    assert len(benchmarks) == len(cells)


@pytest.mark.parametrize("study", ["reference", "tuned"])
@pytest.mark.parametrize("dataset", ["credit_default", "amazon_reviews"])
def test_seed_reruns_train_only_new_seeds(finished_run, study, dataset):
    selected = json.loads((finished_run / "results" / "seeds" / study / f"{dataset}_selected.json").read_text())
    # The small config reruns seeds 0 and 1; the grid trained seed 0 already.
    assert selected["rerun_seeds"] == [0, 1]
    assert selected["reruns"]
    assert all(name.endswith("-s1") for name in selected["reruns"])
    folder = finished_run / "results" / "cells" / study / dataset
    for name, rerun in selected["reruns"].items():
        cell = json.loads((folder / f"{name}.json").read_text())
        grid_cell = json.loads((folder / f"{name[:-1]}0.json").read_text())
        assert cell["params"] == rerun["params"]
        assert cell["params"] == {**grid_cell["params"], "seed": 1}
        benchmark = finished_run / "results" / "benchmarks" / study / dataset / f"{name}.tsv"
        assert benchmark.exists()


@pytest.mark.parametrize("study", ["reference", "tuned"])
@pytest.mark.parametrize("dataset", ["credit_default", "amazon_reviews"])
def test_seed_tables_cover_top_configurations(finished_run, study, dataset):
    rows = read_csv(finished_run / "results" / "tables" / study / f"{dataset}_seeds.csv")
    assert [row["rank"] for row in rows] == ["1", "2"]
    assert {row["seeds"] for row in rows} == {"0 1"}
    second = "test_roc_auc_mean" if dataset == "credit_default" else "test_macro_f1_mean"
    for row in rows:
        assert row["test_accuracy_mean"]
        assert second in row
        assert "nan" not in [value.lower() for value in row.values()]
    assert "95% interval" in (finished_run / "results" / "tables" / study / f"{dataset}_seeds.md").read_text()


def test_tuned_features_and_dataset_settings(finished_run):
    rows = read_csv(finished_run / "results" / "tables" / "tuned" / "amazon_reviews_grid.csv")
    assert {row["optimizer"] for row in rows} == {"sgd", "adam"}
    assert (finished_run / "data" / "features" / "amazon_reviews" / "tfidf" / "train.parquet").exists()
    assert {row["batch_size"] for row in rows} == {"16"}
    credit = read_csv(finished_run / "results" / "tables" / "tuned" / "credit_default_grid.csv")
    assert {row["batch_size"] for row in credit} == {"32"}
    assert (finished_run / "data" / "features" / "credit_default" / "log_onehot" / "train.parquet").exists()


def test_summary_compares_studies(finished_run):
    summary = (finished_run / "results" / "tables" / "summary.md").read_text()
    assert "## credit_default: test metrics beside the baselines" in summary
    assert "| MLP, reference study" in summary
    assert "| MLP, tuned study" in summary


def test_second_run_has_nothing_to_do(finished_run):
    result = smallflow.run(finished_run, "--cores", "2", "--dry-run")
    assert "Nothing to be done" in result.stdout


def test_moved_checkout_reruns_nothing(finished_run, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(finished_run, moved, symlinks=True, copy_function=shutil.copy2)
    result = smallflow.run(moved, "--cores", "2", "--dry-run")
    assert "Nothing to be done" in result.stdout


def test_core_count_changes_nothing(finished_run):
    result = smallflow.run(finished_run, "--cores", "1", "--dry-run")
    assert "Nothing to be done" in result.stdout


def test_config_order_changes_nothing(finished_run, tmp_path):
    import yaml

    config = yaml.safe_load((finished_run / "config.yaml").read_text())
    grid = config["studies"]["reference"]["grid"]
    config["studies"]["reference"]["grid"] = {key: list(reversed(grid[key])) for key in reversed(list(grid))}
    config["studies"]["reference"]["datasets"].reverse()
    reordered = tmp_path / "reordered.yaml"
    reordered.write_text(yaml.safe_dump(config))
    result = smallflow.run(finished_run, "--cores", "2", "--dry-run", "--configfile", str(reordered))
    assert "Nothing to be done" in result.stdout


def test_aggregation_edit_reruns_only_aggregation(finished_run):
    with edited(finished_run / "gridstudy" / "aggregate.py"):
        rules = planned_rules(smallflow.run(finished_run, "--cores", "2", "--dry-run").stdout)
    assert rules, "an edited aggregation module must make its tables stale"
    assert set(rules) <= {"aggregate", "summary", "figures", "submission", "select_top", "seed_table", "all"}


def test_network_edit_reruns_training(finished_run):
    with edited(finished_run / "mlp" / "__init__.py"):
        rules = planned_rules(smallflow.run(finished_run, "--cores", "2", "--dry-run").stdout)
    # Seed reruns join the DAG only once the checkpoint has run again.
    assert rules.get("train") == 2 * (CELLS_PER_DATASET + TUNED_CELLS_PER_DATASET)
    assert "fetch_credit_default" not in rules
    assert "features_credit_default" not in rules
