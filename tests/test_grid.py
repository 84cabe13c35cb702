import copy

import pytest
import yaml

from gridstudy.grid import (
    canonical,
    check_config,
    estimate_resources,
    expand_studies,
    normalize_config,
    normalize_values,
    to_number,
)
from tests.smallflow import REPOSITORY


@pytest.fixture
def config():
    """Return the default config with only the reference study."""
    config = yaml.safe_load((REPOSITORY / "config.yaml").read_text())
    config["studies"] = {"reference": config["studies"]["reference"]}
    return config


def test_default_grid_has_81_cells_per_dataset(config):
    cells = expand_studies(config)
    assert len(cells) == 162
    assert len({(cell.dataset, cell.name) for cell in cells}) == 162
    assert {cell.budgets for cell in cells} == {(50, 100, 500)}
    assert {cell.params["max_iter"] for cell in cells} == {500}


def test_cell_name_spelling():
    assert canonical("learning_rate", 0.1) == "0.1"
    assert canonical("learning_rate", 0.10) == "0.1"
    assert canonical("learning_rate", "1e-1") == "0.1"
    assert canonical("learning_rate", "1e-2") == "0.01"
    assert canonical("hidden", 64.0) == "64"
    assert canonical("seed", "3") == "3"


def test_cell_names_are_canonical(config):
    names = {cell.name for cell in expand_studies(config)}
    assert "relu-h64-l2-lr0.05-s0" in names
    assert "sigmoid-h500-l3-lr0.01-s0" in names


def test_spellings_collapse_into_one_cell(config):
    config["studies"]["reference"]["grid"]["learning_rate"] = [0.1, "1e-1", 0.10]
    cells = expand_studies(config)
    assert len(cells) == 54
    assert {cell.params["learning_rate"] for cell in cells} == {0.1}


def test_string_learning_rate_becomes_number(config):
    config["studies"]["reference"]["grid"]["learning_rate"] = ["1e-2"]
    normalize_config(config)
    assert config["studies"]["reference"]["grid"]["learning_rate"] == [0.01]


def test_non_numeric_string_left_for_schema(config):
    config["studies"]["reference"]["grid"]["learning_rate"] = ["fast"]
    normalize_config(config)
    assert config["studies"]["reference"]["grid"]["learning_rate"] == ["fast"]


def test_to_number_rejects_bad_values():
    with pytest.raises(ValueError, match="hidden"):
        to_number("hidden", 6.5)
    with pytest.raises(ValueError, match="learning_rate"):
        to_number("learning_rate", "fast")
    with pytest.raises(ValueError, match="finite"):
        to_number("alpha", float("nan"))
    with pytest.raises(ValueError, match="boolean"):
        to_number("layers", True)


def test_normalize_values_keeps_first_spelling():
    assert normalize_values("learning_rate", [0.05, "5e-2", 0.1]) == [0.05, 0.1]


def test_params_ignore_config_order(config):
    reordered = copy.deepcopy(config)
    grid = reordered["studies"]["reference"]["grid"]
    reordered["studies"]["reference"]["grid"] = dict(reversed(list(grid.items())))
    for key in grid:
        grid_values = reordered["studies"]["reference"]["grid"][key]
        reordered["studies"]["reference"]["grid"][key] = list(reversed(grid_values))
    first = {(c.dataset, c.name): dict(sorted(c.params.items())) for c in expand_studies(config)}
    second = {(c.dataset, c.name): dict(sorted(c.params.items())) for c in expand_studies(reordered)}
    assert first == second


def test_params_hold_every_hyper_parameter(config):
    cell = expand_studies(config)[0]
    for key in ("activation", "hidden", "layers", "learning_rate", "optimizer", "seed", "dtype",
                "tol", "n_iter_no_change", "max_iter", "early_stopping", "preprocessing"):
        assert key in cell.params


def test_resources_grow_with_cell_size(config):
    cells = {(c.dataset, c.name): c for c in expand_studies(config)}
    small = estimate_resources(cells[("credit_default", "relu-h10-l1-lr0.1-s0")])
    large = estimate_resources(cells[("credit_default", "relu-h500-l3-lr0.1-s0")])
    assert large["mem_mb"] > small["mem_mb"]
    assert large["runtime"] > small["runtime"]
    assert small["mem_mb"] >= 300


def test_numbers_written_as_text_are_parsed(config):
    config["training"]["tol"] = "1e-4"
    config["split"]["train"] = "0.7"
    normalize_config(config)
    assert config["training"]["tol"] == 1e-4
    assert config["split"]["train"] == 0.7


def test_null_study_is_dropped(config):
    config["studies"]["tuned"] = None
    normalize_config(config)
    assert list(config["studies"]) == ["reference"]


def test_split_must_sum_to_one(config):
    config["split"]["train"] = 0.8
    with pytest.raises(ValueError, match="sum to 1.1"):
        check_config(config)


def test_missing_local_copy_names_setting(config, tmp_path):
    config["data"]["amazon_reviews"]["local_copy"] = str(tmp_path / "absent.zip")
    with pytest.raises(ValueError, match=r"data\.amazon_reviews\.local_copy"):
        check_config(config)


def test_valid_config_passes_checks(config):
    check_config(config)
