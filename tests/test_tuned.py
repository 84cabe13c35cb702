"""Tests of the tuned study's config, the seed reruns and the baseline comparison."""

from __future__ import annotations

import csv
import json
import math

import jsonschema
import numpy as np
import pandas as pd
import pytest
import yaml

from gridstudy import aggregate as agg
from gridstudy.features import build_credit_features
from gridstudy import seeds
from gridstudy.grid import cell_name, dataset_study, expand_studies, name_keys, normalize_config
from tests.fakedata import write_credit_csv
from tests.smallflow import REPOSITORY

KEYS = ["activation", "hidden", "learning_rate", "seed"]


@pytest.fixture
def config():
    return yaml.safe_load((REPOSITORY / "config.yaml").read_text())


@pytest.fixture
def schema():
    return yaml.safe_load((REPOSITORY / "schemas" / "config.schema.yaml").read_text())


# --------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------


def test_reference_study_unchanged(config):
    assert config["studies"]["reference"] == {
        "datasets": ["credit_default", "amazon_reviews"],
        "fixed": {"optimizer": "gd", "early_stopping": "train"},
        "grid": {
            "activation": ["relu", "tanh", "sigmoid"],
            "hidden": [10, 64, 500],
            "layers": [1, 2, 3],
            "learning_rate": [0.1, 0.05, 0.01],
            "iterations": [50, 100, 500],
            "seed": [0],
        },
    }


def test_tuned_study_follows_the_issue(config):
    cells = [cell for cell in expand_studies(config) if cell.study == "tuned"]
    assert {cell.dataset for cell in cells} == {"credit_default", "amazon_reviews"}
    assert {cell.params["optimizer"] for cell in cells} == {"sgd", "adam"}
    assert all(cell.params["alpha"] > 0 for cell in cells)
    assert all(cell.params["early_stopping"] == "validation" for cell in cells)
    assert all(cell.params["batch_size"] for cell in cells)
    assert max(cell.params["hidden"] for cell in cells) == 1024
    reviews = {cell.preprocessing for cell in cells if cell.dataset == "amazon_reviews"}
    assert reviews == {"tfidf"}
    sgd = [cell for cell in cells if cell.params["optimizer"] == "sgd"]
    assert all(cell.params["momentum"] > 0 for cell in sgd)


def test_seed_reruns_configured(config, schema):
    assert config["seed_reruns"] == {"top_n": 5, "seeds": [1, 2, 3, 4]}
    jsonschema.validate(normalize_config(config), schema)


def test_seed_reruns_schema_rejects_negative_seed(config, schema):
    config["seed_reruns"]["seeds"] = [-1]
    with pytest.raises(jsonschema.ValidationError, match="-1"):
        jsonschema.validate(config, schema)


def test_seed_reruns_text_seed_becomes_number(config):
    config["seed_reruns"]["seeds"] = ["2", 3]
    normalize_config(config)
    assert config["seed_reruns"]["seeds"] == [2, 3]


def test_name_keys_follow_cell_name_order():
    study = {"grid": {"seed": [0], "optimizer": ["adam"], "hidden": [8], "iterations": [5], "activation": ["relu"]}}
    assert name_keys(study) == ["activation", "hidden", "optimizer", "seed"]


# --------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------


def test_t_quantile_table_and_expansion():
    assert seeds.t_quantile_975(1) == 12.706
    assert seeds.t_quantile_975(4) == 2.776
    assert seeds.t_quantile_975(30) == 2.042
    # t(0.975, 60) = 2.000 and t(0.975, 120) = 1.980 in the standard tables.
    assert abs(seeds.t_quantile_975(60) - 2.000) < 1e-3
    assert abs(seeds.t_quantile_975(120) - 1.980) < 1e-3
    with pytest.raises(ValueError, match="at least 1"):
        seeds.t_quantile_975(0)


def test_mean_interval_five_seeds():
    values = [0.80, 0.82, 0.81, 0.79, 0.83]
    stats = seeds.mean_interval(values)
    std = np.std(values, ddof=1)
    half = 2.776 * std / math.sqrt(5)
    assert stats["n"] == 5
    assert stats["mean"] == pytest.approx(0.81)
    assert stats["std"] == pytest.approx(std)
    assert stats["ci_low"] == pytest.approx(0.81 - half)
    assert stats["ci_high"] == pytest.approx(0.81 + half)


def test_mean_interval_skips_missing_values():
    stats = seeds.mean_interval([0.7, None, float("nan")])
    assert stats["n"] == 1
    assert stats["mean"] == pytest.approx(0.7)
    assert math.isnan(stats["std"])
    assert math.isnan(stats["ci_low"])


# --------------------------------------------------------------------------
# Selection for the checkpoint
# --------------------------------------------------------------------------


def metrics(accuracy):
    return {"loss": 1 - accuracy, "accuracy": accuracy, "balanced_accuracy": accuracy,
            "macro_f1": accuracy, "roc_auc": accuracy}


def make_cell(activation, hidden, rate, seed, validation, test=None, status="ok"):
    params = {"activation": activation, "hidden": hidden, "learning_rate": rate, "seed": seed,
              "layers": 1, "max_iter": 10, "dtype": "float32", "preprocessing": "standardize"}
    name = cell_name(params, KEYS)
    budgets = []
    for iterations, shift in ((5, -0.01), (10, 0.0)):
        budgets.append({
            "iterations": iterations, "n_iter": iterations, "stop_reason": "max_iter", "status": status,
            "train": metrics(validation + shift), "validation": metrics(validation + shift),
            "test": metrics((test if test is not None else validation) + shift),
        })
    return {"study": "tuned", "dataset": "credit_default", "cell": name, "params": params, "budgets": budgets,
            "n_parameters": hidden * 3, "nbytes": hidden * 12, "n_classes": 2}


@pytest.fixture
def grid_cells():
    return [
        make_cell("relu", 8, 0.1, 0, 0.80),
        make_cell("relu", 8, 0.1, 1, 0.82),
        make_cell("relu", 16, 0.1, 0, 0.78),
        make_cell("tanh", 8, 0.1, 0, 0.75, test=0.99),
        make_cell("tanh", 16, 0.1, 0, 0.90, status="one_class"),
    ]


def grid_frame(cells, tmp_path):
    path = tmp_path / "grid.csv"
    agg.write_csv(agg.build_grid(cells, binary=True), path)
    return agg.read_grid(path)


def test_selection_ranks_on_validation(grid_cells, tmp_path):
    selection = seeds.select_reruns(grid_frame(grid_cells, tmp_path), grid_cells, 3, [1, 2], KEYS)
    chosen = [(c["first_cell"], c["iterations"]) for c in selection["configurations"]]
    assert chosen == [("relu-h8-lr0.1-s0", 10), ("relu-h8-lr0.1-s0", 5), ("relu-h16-lr0.1-s0", 10)]
    assert [c["rank"] for c in selection["configurations"]] == [1, 2, 3]


def test_selection_skips_seeds_the_grid_trained(grid_cells, tmp_path):
    selection = seeds.select_reruns(grid_frame(grid_cells, tmp_path), grid_cells, 3, [1, 2], KEYS)
    first = selection["configurations"][0]
    assert first["grid_seeds"] == [0, 1]
    assert first["cells"] == ["relu-h8-lr0.1-s0", "relu-h8-lr0.1-s1", "relu-h8-lr0.1-s2"]
    # Seed 1 of relu-h8 is a grid cell, so it is not rerun; relu-h16 lacks seeds 1 and 2.
    assert sorted(selection["reruns"]) == ["relu-h16-lr0.1-s1", "relu-h16-lr0.1-s2", "relu-h8-lr0.1-s2"]


def test_rerun_params_copy_the_grid_cell(grid_cells, tmp_path):
    selection = seeds.select_reruns(grid_frame(grid_cells, tmp_path), grid_cells, 3, [1, 2], KEYS)
    rerun = seeds.rerun_of(selection, "relu-h16-lr0.1-s2")
    assert rerun["params"] == {**grid_cells[2]["params"], "seed": 2}
    assert rerun["budgets"] == [5, 10]
    assert cell_name(rerun["params"], KEYS) == "relu-h16-lr0.1-s2"


def test_rerun_of_unknown_cell_names_it(grid_cells, tmp_path):
    selection = seeds.select_reruns(grid_frame(grid_cells, tmp_path), grid_cells, 1, [1], KEYS)
    with pytest.raises(ValueError, match="'tanh-h8-lr0.1-s7' is neither a grid cell"):
        seeds.rerun_of(selection, "tanh-h8-lr0.1-s7")


def test_selection_needs_seed_in_names(grid_cells, tmp_path):
    with pytest.raises(ValueError, match="not 'seed'"):
        seeds.select_reruns(grid_frame(grid_cells, tmp_path), grid_cells, 1, [1], ["activation", "hidden"])


def test_write_selection_round_trip(grid_cells, tmp_path):
    paths = []
    for cell in grid_cells:
        path = tmp_path / f"{cell['cell']}.json"
        path.write_text(json.dumps(cell))
        paths.append(path)
    grid = tmp_path / "grid.csv"
    agg.write_csv(agg.build_grid(grid_cells, binary=True), grid)
    output = tmp_path / "selected.json"
    seeds.write_selection(grid, paths, output, top_n=2, seeds=[1], name_keys=KEYS)
    selection = seeds.read_selection(output)
    assert selection["study"] == "tuned"
    assert seeds.selection_cells(selection) == ["relu-h8-lr0.1-s0", "relu-h8-lr0.1-s1"]


# --------------------------------------------------------------------------
# Seed table
# --------------------------------------------------------------------------


def seed_cells():
    return [
        make_cell("relu", 8, 0.1, 0, 0.80, test=0.70),
        make_cell("relu", 8, 0.1, 1, 0.82, test=0.72),
        make_cell("relu", 8, 0.1, 2, 0.84, test=0.74),
        make_cell("relu", 16, 0.1, 0, 0.79, test=0.90),
        make_cell("relu", 16, 0.1, 1, 0.95, status="diverged"),
    ]


def seed_selection():
    return {"version": 1, "configurations": [
        {"rank": 1, "iterations": 10, "cells": ["relu-h16-lr0.1-s0", "relu-h16-lr0.1-s1"]},
        {"rank": 2, "iterations": 10, "cells": ["relu-h8-lr0.1-s0", "relu-h8-lr0.1-s1", "relu-h8-lr0.1-s2"]},
    ], "reruns": {}}


def test_seed_statistics_over_seeds():
    frame = seeds.seed_statistics(seed_selection(), seed_cells(), binary=True)
    row = frame[frame["rank"] == 2].iloc[0]
    assert row["n_seeds"] == 3
    assert row["seeds"] == "0 1 2"
    assert row["test_accuracy_mean"] == pytest.approx(0.72)
    assert row["test_accuracy_std"] == pytest.approx(0.02)
    half = 4.303 * 0.02 / math.sqrt(3)
    assert row["test_accuracy_ci_low"] == pytest.approx(0.72 - half)
    assert row["validation_accuracy_mean"] == pytest.approx(0.82)


def test_seed_rank_skips_diverged_configuration():
    frame = seeds.seed_statistics(seed_selection(), seed_cells(), binary=True)
    diverged = frame[frame["rank"] == 1].iloc[0]
    assert diverged["status"] == "diverged"
    assert pd.isna(diverged["seed_rank"])
    assert frame[frame["rank"] == 2].iloc[0]["seed_rank"] == 1


def test_seed_statistics_without_roc_auc_for_multiclass():
    frame = seeds.seed_statistics(seed_selection(), seed_cells(), binary=False)
    assert "test_roc_auc_mean" not in frame.columns
    assert "test_macro_f1_mean" in frame.columns


def test_seed_statistics_missing_cell_named():
    with pytest.raises(ValueError, match="relu-h8-lr0.1-s2"):
        seeds.seed_statistics(seed_selection(), seed_cells()[:2] + seed_cells()[3:], binary=True)


def test_seed_tables_written(tmp_path):
    paths = []
    for cell in seed_cells():
        path = tmp_path / f"{cell['cell']}.json"
        path.write_text(json.dumps(cell))
        paths.append(path)
    selected = tmp_path / "selected.json"
    selected.write_text(json.dumps({**seed_selection(), "study": "tuned", "dataset": "credit_default"}))
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps({"n_classes": 2, "majority_class_rate": {"validation": 0.78, "test": 0.78}}))
    csv, table = tmp_path / "seeds.csv", tmp_path / "seeds.md"
    seeds.write_seed_tables(selected, paths, metadata, csv, table)

    frame = agg.read_seed_table(csv)
    assert list(frame["rank"]) == [1, 2]
    assert "nan" not in csv.read_text().lower()
    text = table.read_text()
    assert "| 2 | 1 |" in text
    assert "72.00 ± 2.00" in text


# --------------------------------------------------------------------------
# Summary with seeds and baselines
# --------------------------------------------------------------------------


def baseline_frame(checksum="data.csv=abc"):
    return pd.DataFrame([{
        "dataset": "credit_default", "model": "logistic regression", "preprocessing": "standardize",
        "setting": "C=1", "n_seeds": 1, "validation_accuracy": 0.806, "test_accuracy": 0.8062,
        "test_accuracy_std": float("nan"), "test_roc_auc": 0.72, "test_macro_f1": 0.6, "raw_sha256": checksum,
    }])


def summary_text(baselines):
    frame = seeds.seed_statistics(seed_selection(), seed_cells(), binary=True)
    frame.insert(0, "dataset", "credit_default")
    frame.insert(0, "study", "tuned")
    metadata = {"credit_default": {"n_classes": 2, "majority_class_rate": {"validation": 0.778, "test": 0.7789},
                                   "raw_sha256": {"files": {"data.csv": "abc"}}}}
    return agg.format_summary({}, metadata, {"credit_default": 0.821}, ["tuned"], ["credit_default"],
                              {("tuned", "credit_default"): frame}, baselines)


def test_summary_compares_seeds_and_baselines():
    text = summary_text(baseline_frame())
    assert "## credit_default: test metrics beside the baselines" in text
    tuned = next(line for line in text.splitlines() if line.startswith("| MLP, tuned study"))
    assert "72.00 ± 2.00" in tuned
    assert "| logistic regression on standardize (scikit-learn, C=1) | validation | 1 | 80.60 | 80.62 |" in text
    assert "| Majority class | – | – | 77.80 | 77.89 |" in text
    assert "| Reference notebook | its test split | 1 | – | 82.10 |" in text
    assert "| Validation accuracy (%) | Test accuracy (%) |" in text
    assert "other checksums" not in text


def test_summary_flags_baselines_of_other_data():
    assert "other checksums" in summary_text(baseline_frame("data.csv=def"))


# --------------------------------------------------------------------------
# Baselines script
# --------------------------------------------------------------------------


def test_baseline_selects_on_validation():
    pytest.importorskip("sklearn")
    from benchmarks import baselines as bench

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + 0.3 * rng.normal(size=300) > 0).astype(int)
    splits = {"train": (X[:200], y[:200]), "validation": (X[200:250], y[200:250]), "test": (X[250:], y[250:])}
    from sklearn.linear_model import LogisticRegression

    baseline = bench.Baseline("credit_default", "logistic regression", "standardize",
                              lambda C: LogisticRegression(C=C), ({"C": 1e-6}, {"C": 1.0}))
    result = bench.run_baseline(baseline, splits, [0])
    assert result["setting"] == "C=1"
    assert result["test_accuracy"] > 0.8
    assert 0.5 < result["test_roc_auc"] <= 1.0


def test_baselines_cover_the_issue_models():
    pytest.importorskip("sklearn")
    from benchmarks import baselines as bench

    models = {(b.dataset, b.model, b.preprocessing) for b in bench.baselines()}
    assert ("credit_default", "histogram gradient boosting", "standardize") in models
    assert ("amazon_reviews", "LinearSVC", "tfidf") in models
    # The cross-entropy linear models on the tuned study's inputs.
    assert ("credit_default", "logistic regression", "log_onehot") in models
    assert ("amazon_reviews", "logistic regression", "tfidf") in models
    assert len(models) == 11


def test_baselines_reuse_keeps_matching_rows(tmp_path):
    pytest.importorskip("sklearn")
    from benchmarks import baselines as bench

    csv_path = write_credit_csv(tmp_path / "raw" / "data.csv", n_rows=400)
    checksums = tmp_path / "raw" / "sha256.json"
    checksums.write_text(json.dumps({"files": {"data.csv": "ab" * 32}}))
    features = tmp_path / "features"
    for preprocessing in ("standardize", "log_onehot"):
        folder = features / "credit_default" / preprocessing
        build_credit_features(
            csv=csv_path, checksums=checksums, train=folder / "train.parquet",
            validation=folder / "validation.parquet", test=folder / "test.parquet",
            metadata=folder / "metadata.json", preprocessing=preprocessing,
        )  # fmt: skip
    output = tmp_path / "baselines.csv"
    metadata = json.loads((features / "credit_default" / "standardize" / "metadata.json").read_text())
    matching = {
        "dataset": "credit_default", "n_seeds": "1", "validation_accuracy": "0.5", "test_accuracy": "0.5",
        "train_rows": str(metadata["rows"]["train"]), "test_rows": str(metadata["rows"]["test"]),
        "raw_sha256": "data.csv=" + "ab" * 32, "split": bench.split_text(metadata), "seeds": "",
    }  # fmt: skip
    previous = [
        {**matching, "model": "histogram gradient boosting", "preprocessing": "standardize", "setting": "x=1"},
        {**matching, "model": "majority class", "preprocessing": "standardize", "raw_sha256": "data.csv=" + "cd" * 32},
        {**matching, "model": "logistic regression", "preprocessing": "standardize", "setting": "C=9",
         "split": "seed=7 test=0.25 train=0.5 validation=0.25"},
        {**matching, "dataset": "amazon_reviews", "model": "LinearSVC", "preprocessing": "tfidf", "setting": "C=3"},
    ]  # fmt: skip
    with open(output, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=bench.COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(previous)

    bench.main(["--features", str(features), "--datasets", "credit_default", "--output", str(output),
                "--seeds", "0", "--reuse"])
    rows = {(row["model"], row["preprocessing"]): row for row in bench.read_rows(output).values()}
    assert rows[("histogram gradient boosting", "standardize")]["setting"] == "x=1"
    # Other raw checksums or another split: computed again.
    assert rows[("majority class", "standardize")]["validation_accuracy"] != "0.5"
    assert rows[("logistic regression", "standardize")]["setting"] != "C=9"
    assert ("logistic regression", "log_onehot") in rows
    # A dataset this call did not run keeps its rows.
    assert rows[("LinearSVC", "tfidf")]["setting"] == "C=3"
    assert len(rows) == 6


# -------------------------------------------------------- per-dataset grids


def test_gd_with_batch_size_rejected(config):
    config["studies"]["tuned"]["grid"]["optimizer"] = ["gd", "sgd"]
    normalize_config(config)
    with pytest.raises(ValueError, match=r"studies.tuned: cell \S+gd\S* of credit_default is invalid") as raised:
        expand_studies(config)
    assert "batch_size=256 has no effect with optimizer='gd'" in str(raised.value)
    assert "pass batch_size=None or use optimizer='sgd' or 'adam'" in str(raised.value)


def test_gd_with_batch_size_in_by_dataset_rejected(config):
    config["studies"]["reference"]["by_dataset"] = {"amazon_reviews": {"fixed": {"batch_size": 32}}}
    normalize_config(config)
    with pytest.raises(ValueError, match="studies.reference: cell .* of amazon_reviews is invalid") as raised:
        expand_studies(config)
    assert "batch_size=32 has no effect with optimizer='gd'" in str(raised.value)
    assert "pass batch_size=None or use optimizer='sgd' or 'adam'" in str(raised.value)


def test_tuned_reviews_own_grid(config):
    cells = [cell for cell in expand_studies(config) if cell.study == "tuned"]
    credit = [cell for cell in cells if cell.dataset == "credit_default"]
    reviews = [cell for cell in cells if cell.dataset == "amazon_reviews"]
    assert {cell.preprocessing for cell in credit} == {"log_onehot"}
    assert {cell.params["optimizer"] for cell in reviews} == {"adam"}
    assert {cell.params["batch_size"] for cell in reviews} == {64}
    assert {cell.params["batch_size"] for cell in credit} == {256}
    assert {cell.budgets for cell in reviews} == {(100, 200, 300)}
    # optimizer is fixed for the reviews, so their cell names do not spell it.
    assert all("adam" not in cell.name for cell in reviews)
    assert {len(cell.name.split("-")) for cell in reviews} == {6}


def test_dataset_study_fixed_key_leaves_grid():
    study = {
        "datasets": ["credit_default", "amazon_reviews"],
        "fixed": {"alpha": 1.0, "batch_size": 32},
        "grid": {"optimizer": ["sgd", "adam"], "hidden": [8], "iterations": [5], "seed": [0]},
        "by_dataset": {"amazon_reviews": {"fixed": {"optimizer": "adam"}, "grid": {"alpha": [0.1, 0.01]}}},
    }
    reviews = dataset_study(study, "amazon_reviews")
    assert reviews["fixed"] == {"batch_size": 32, "optimizer": "adam"}
    assert reviews["grid"] == {"hidden": [8], "iterations": [5], "seed": [0], "alpha": [0.1, 0.01]}
    assert "by_dataset" not in reviews
    credit = dataset_study(study, "credit_default")
    assert credit["fixed"] == study["fixed"]
    assert credit["grid"] == study["grid"]
    assert name_keys(reviews) == ["hidden", "alpha", "seed"]


def test_by_dataset_text_numbers_parsed(config):
    config["studies"]["tuned"]["by_dataset"]["amazon_reviews"]["grid"]["learning_rate"] = ["3e-4"]
    normalize_config(config)
    assert config["studies"]["tuned"]["by_dataset"]["amazon_reviews"]["grid"]["learning_rate"] == [0.0003]


def test_by_dataset_schema_accepts_default_config(config, schema):
    jsonschema.validate(normalize_config(config), schema)


def test_by_dataset_schema_rejects_unknown_key(config, schema):
    config["studies"]["tuned"]["by_dataset"]["amazon_reviews"]["grid"]["width"] = [8]
    with pytest.raises(jsonschema.ValidationError, match="width"):
        jsonschema.validate(config, schema)


def test_by_dataset_schema_rejects_unknown_dataset(config, schema):
    config["studies"]["tuned"]["by_dataset"]["mnist"] = {"grid": {"hidden": [8]}}
    with pytest.raises(jsonschema.ValidationError, match="mnist"):
        jsonschema.validate(config, schema)


def test_by_dataset_cannot_fix_the_budgets():
    study = {"datasets": ["credit_default"], "grid": {"hidden": [8], "iterations": [5], "seed": [0]},
             "by_dataset": {"credit_default": {"fixed": {"iterations": 5}}}}
    with pytest.raises(ValueError, match="by_dataset.credit_default.fixed sets 'iterations'"):
        dataset_study(study, "credit_default")


def test_by_dataset_untrained_dataset_rejected(config):
    config["studies"]["tuned"]["datasets"] = ["credit_default"]
    with pytest.raises(ValueError, match=r"by_dataset names \['amazon_reviews'\], which the study does not train"):
        expand_studies(config)


def test_by_dataset_null_entry_removed(config):
    config["studies"]["tuned"]["datasets"] = ["credit_default"]
    config["studies"]["tuned"]["by_dataset"]["amazon_reviews"] = None
    normalize_config(config)
    assert config["studies"]["tuned"]["by_dataset"] == {}
    assert {cell.dataset for cell in expand_studies(config) if cell.study == "tuned"} == {"credit_default"}


def test_by_dataset_null_section_removed(config):
    config["studies"]["tuned"]["by_dataset"] = None
    normalize_config(config)
    assert "by_dataset" not in config["studies"]["tuned"]


def test_fixed_grid_conflict_rejected(config):
    config["studies"]["reference"]["grid"]["optimizer"] = ["gd", "adam"]
    message = r"studies.reference.fixed and studies.reference.grid both set \['optimizer'\]"
    with pytest.raises(ValueError, match=message):
        expand_studies(config)


def test_by_dataset_fixed_grid_conflict(config):
    config["studies"]["tuned"]["by_dataset"]["amazon_reviews"]["grid"]["optimizer"] = ["adam"]
    with pytest.raises(ValueError, match=r"by_dataset.amazon_reviews.fixed and by_dataset.amazon_reviews.grid"):
        expand_studies(config)
