"""Set up and run the real workflow on small synthetic data in a temporary folder."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from tests import fakedata

REPOSITORY = Path(__file__).resolve().parents[1]
# What a run needs from the checkout. Tests copy it, so they can edit sources
# and watch what Snakemake reruns without touching the repository.
WORKFLOW_PATHS = ("Snakefile", "rules", "scripts", "schemas", "profiles", "envs", "mlp", "gridstudy")


def small_config(credit_copy: Path, reviews_copy: Path) -> dict:
    """Return a complete config: a reference grid of four cells and a tuned grid of two per dataset.

    The two best configurations of each grid rerun with seeds 0 and 1. Seed 0
    is the grid's own, so only seed 1 trains again.
    """
    config = yaml.safe_load((REPOSITORY / "config.yaml").read_text())
    config["data"]["credit_default"]["local_copy"] = str(credit_copy)
    config["data"]["amazon_reviews"]["local_copy"] = str(reviews_copy)
    config["download"] = {"timeout_s": 2, "retries": 1}
    config["studies"] = {
        "reference": {
            "datasets": ["credit_default", "amazon_reviews"],
            "fixed": {"optimizer": "gd", "early_stopping": "train"},
            "grid": {
                "activation": ["relu", "sigmoid"],
                "hidden": [8],
                "layers": [1, 2],
                "learning_rate": [0.1],
                "iterations": [5, 20],
                "seed": [0],
            },
        },
        "tuned": {
            "datasets": ["credit_default", "amazon_reviews"],
            "preprocessing": {"credit_default": "log_onehot", "amazon_reviews": "tfidf"},
            "fixed": {"alpha": 0.001, "batch_size": 32, "momentum": 0.9, "early_stopping": "validation"},
            "by_dataset": {"amazon_reviews": {"fixed": {"batch_size": 16}}},
            "grid": {
                "activation": ["relu"],
                "hidden": [8],
                "layers": [1],
                "learning_rate": [0.01],
                "optimizer": ["sgd", "adam"],
                "iterations": [3, 10],
                "seed": [0],
            },
        },
    }
    config["seed_reruns"] = {"top_n": 2, "seeds": [0, 1]}
    return config


def prepare(workdir: Path, config_changes=None) -> Path:
    """Copy the workflow into ``workdir`` with synthetic raw data and a small config.yaml.

    ``config_changes`` is called with the config dict before it is written.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in WORKFLOW_PATHS:
        source = REPOSITORY / name
        if source.is_dir():
            shutil.copytree(source, workdir / name, ignore=ignore, dirs_exist_ok=True)
        else:
            shutil.copy2(source, workdir / name)
    credit = fakedata.write_credit_csv(workdir / "sources" / "credit.csv", n_rows=600)
    reviews = fakedata.write_review_archive(workdir / "sources" / "reviews.zip")
    config = small_config(credit, reviews)
    if config_changes:
        config_changes(config)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return workdir


def run(workdir: Path, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    """Run snakemake on the workflow copy in ``workdir`` and return the process.

    The process gets its own session so a timeout kills every job it started:
    Snakemake does not exit on SIGTERM while jobs run.
    """
    command = [sys.executable, "-m", "snakemake", *args]
    process = subprocess.Popen(
        command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        raise AssertionError(f"snakemake timed out after {timeout} s:\n{output[-5000:]}") from None
    result = subprocess.CompletedProcess(command, process.returncode, output, "")
    if check and process.returncode != 0:
        raise AssertionError(f"snakemake failed with exit code {process.returncode}:\n{output[-8000:]}")
    return result


def tables(workdir: Path) -> dict[str, bytes]:
    """Return every file under results/tables as {relative path: bytes}."""
    root = Path(workdir) / "results" / "tables"
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}
