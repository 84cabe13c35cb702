import os
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

# Import gridstudy from this checkout even where another copy is installed.
sys.path.insert(0, workflow.basedir)

from gridstudy.grid import (
    Cell,
    check_config,
    dataset_study,
    estimate_resources,
    expand_studies,
    name_keys,
    normalize_config,
)
from gridstudy.seeds import read_selection, rerun_of, selection_cells

min_version("9.20")


normalize_config(config)
validate(config, "../schemas/config.schema.yaml")
check_config(config)

CELLS = expand_studies(config)
CELLS_BY_KEY = {(cell.study, cell.dataset, cell.name): cell for cell in CELLS}
STUDIES = list(config["studies"])
DATASETS = sorted({cell.dataset for cell in CELLS})
REPOSITORY = Path(workflow.basedir)

# Jobs import mlp and gridstudy from this checkout, also inside a conda
# environment or on a cluster node where the package is not installed.
os.environ.update(
    PYTHONPATH=os.pathsep.join(filter(None, [str(REPOSITORY), os.getenv("PYTHONPATH")]))
)


def sources(*patterns):
    """Return the checkout's files matching ``patterns``, relative to the working directory.

    Relative paths keep the recorded input set the same when the checkout is
    moved or copied, so a move does not make every cell stale.
    """
    paths = sorted(path for pattern in patterns for path in REPOSITORY.glob(pattern))
    return [os.path.relpath(path) for path in paths]


# Snakemake does not track imported modules, so the training jobs list the
# network's sources and the training helpers as inputs: editing them makes
# every cell stale, while editing aggregation code reruns only the tables.
TRAINING_SOURCES = sources("mlp/*.py", "gridstudy/training.py", "gridstudy/metrics.py")
AGGREGATION_SOURCES = sources("gridstudy/aggregate.py")
SEED_SOURCES = sources("gridstudy/aggregate.py", "gridstudy/seeds.py")
SEED_RERUNS = {"top_n": 5, "seeds": [], **config.get("seed_reruns", {})}
FIGURE_SOURCES = sources("gridstudy/figures.py")


wildcard_constraints:
    study="|".join(STUDIES),
    dataset="credit_default|amazon_reviews",
    preprocessing="standardize|tfidf|log_onehot",
    cell="[^/]+",


def local_copy(dataset):
    """Return the configured local copy as a one-item input list, or no input."""
    path = config["data"][dataset].get("local_copy")
    return [path] if path else []


def selection_file(study, dataset):
    return f"results/seeds/{study}/{dataset}_selected.json"


def is_grid_cell(wildcards):
    return (wildcards.study, wildcards.dataset, wildcards.cell) in CELLS_BY_KEY


def cell_of(wildcards):
    """Return the grid cell of the wildcards, or else the seed rerun the checkpoint selected."""
    key = (wildcards.study, wildcards.dataset, wildcards.cell)
    if key in CELLS_BY_KEY:
        return CELLS_BY_KEY[key]
    # Raises IncompleteCheckpointException until select_top has run, which
    # makes Snakemake schedule the checkpoint first.
    path = checkpoints.select_top.get(
        study=wildcards.study, dataset=wildcards.dataset
    ).output.selected
    rerun = rerun_of(read_selection(path), wildcards.cell, path)
    params = rerun["params"]
    return Cell(
        wildcards.study,
        wildcards.dataset,
        params["preprocessing"],
        wildcards.cell,
        params,
        tuple(rerun["budgets"]),
    )


def feature_dir(dataset, preprocessing):
    return f"data/features/{dataset}/{preprocessing}"


def arrays_dir(dataset, preprocessing):
    return f"data/arrays/{dataset}/{preprocessing}"


def study_preprocessing(study, dataset):
    for cell in CELLS:
        if cell.study == study and cell.dataset == dataset:
            return cell.preprocessing
    raise ValueError(f"study {study!r} has no cells for dataset {dataset!r}")


def study_cells(study, dataset):
    return [cell for cell in CELLS if cell.study == study and cell.dataset == dataset]


def submission_study():
    """Return the first study (in config order) that trains on the reviews, or None."""
    for study in STUDIES:
        if "amazon_reviews" in config["studies"][study]["datasets"]:
            return study
    return None


def final_outputs():
    outputs = ["results/tables/summary.md"]
    for study in STUDIES:
        for dataset in config["studies"][study]["datasets"]:
            outputs += [
                f"results/tables/{study}/{dataset}_grid.csv",
                f"results/tables/{study}/{dataset}_top.md",
                f"results/tables/{study}/{dataset}_seeds.md",
                f"results/figures/{study}/{dataset}_width_depth.png",
            ]
    if submission_study():
        outputs.append("results/submissions/amazon_reviews.csv")
    return outputs


def feature_inputs(wildcards):
    cell = cell_of(wildcards)
    base = arrays_dir(cell.dataset, cell.preprocessing)
    files = {
        "train": f"{base}/train.npz",
        "validation": f"{base}/validation.npz",
        "test": f"{base}/test.npz",
    }
    if cell.dataset == "amazon_reviews":
        files["competition_test"] = f"{base}/competition_test.npz"
    if not is_grid_cell(wildcards):
        # A seed rerun reads its params from the checkpoint's selection, which
        # Snakemake requires as an input. ancient() keeps a rewritten
        # selection from retraining: the params trigger still catches a change.
        files["selection"] = ancient(selection_file(cell.study, cell.dataset))
    return files


def cell_jsons(wildcards):
    return [
        f"results/cells/{wildcards.study}/{wildcards.dataset}/{cell.name}.json"
        for cell in study_cells(wildcards.study, wildcards.dataset)
    ]


def cell_benchmarks(wildcards):
    return [
        f"results/benchmarks/{wildcards.study}/{wildcards.dataset}/{cell.name}.tsv"
        for cell in study_cells(wildcards.study, wildcards.dataset)
    ]


def study_metadata(wildcards):
    preprocessing = study_preprocessing(wildcards.study, wildcards.dataset)
    return f"{feature_dir(wildcards.dataset, preprocessing)}/metadata.json"


def all_grids():
    return [
        f"results/tables/{study}/{dataset}_grid.csv"
        for study in STUDIES
        for dataset in sorted(config["studies"][study]["datasets"])
    ]


def all_metadata():
    return sorted(
        {
            f"{feature_dir(cell.dataset, cell.preprocessing)}/metadata.json"
            for cell in CELLS
        }
    )


def optional_baselines(wildcards):
    """Return the baseline table when benchmarks/baselines.py has written it.

    scikit-learn is no workflow dependency, so no rule builds the table; the
    summary picks it up, and reruns, once it exists.
    """
    path = "results/tables/baselines.csv"
    return [path] if Path(path).exists() else []


def selected_cell_jsons(wildcards):
    path = checkpoints.select_top.get(**wildcards).output.selected
    return [
        f"results/cells/{wildcards.study}/{wildcards.dataset}/{name}.json"
        for name in selection_cells(read_selection(path))
    ]


def submission_inputs(wildcards):
    """Return the grid, cells and competition features of the submission study."""
    study = submission_study()
    features = feature_dir(
        "amazon_reviews", study_preprocessing(study, "amazon_reviews")
    )
    return {
        "grid": f"results/tables/{study}/amazon_reviews_grid.csv",
        "cells": [
            f"results/cells/{study}/amazon_reviews/{cell.name}.json"
            for cell in study_cells(study, "amazon_reviews")
        ],
        "competition_test": f"{features}/competition_test.parquet",
    }
