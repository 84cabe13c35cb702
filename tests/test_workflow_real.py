"""End-to-end run on the real datasets, where a copy sits in ../shared/data.

The credit data is subsampled to keep the run short. The review archive is
used as downloaded from Kaggle, with all 750 labelled and 750 unlabelled rows.
"""

import csv
import json
from pathlib import Path

import pytest

from tests import smallflow

SHARED_DATA = smallflow.REPOSITORY.parent / "shared" / "data"
CREDIT_CSV = SHARED_DATA / "credit_default" / "default_of_credit_card_clients.csv"
REVIEWS_ZIP = SHARED_DATA / "amazon_reviews" / "184-702-tu-ml-2025-s-reviews.zip"
TRAIN_CSV_SHA256 = "768f09894af85ad9561d26329b46cb8a93af5d35284b3666a40c1ed620ca27ba"
CREDIT_ROWS = 3000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.shared_data,
    pytest.mark.skipif(
        not (CREDIT_CSV.exists() and REVIEWS_ZIP.exists()),
        reason="needs the real credit CSV and review archive in ../shared/data",
    ),
]


def shrink_to_real_data(workdir: Path):
    """Return a config_changes function that points the small config at the real copies."""
    subsample = workdir / "sources" / "credit_subsample.csv"

    def change(config):
        lines = CREDIT_CSV.read_text().splitlines()
        subsample.parent.mkdir(parents=True, exist_ok=True)
        subsample.write_text("\n".join(lines[: CREDIT_ROWS + 1]) + "\n")
        config["data"]["credit_default"]["local_copy"] = str(subsample)
        config["data"]["amazon_reviews"]["local_copy"] = str(REVIEWS_ZIP)
        config["data"]["amazon_reviews"]["sha256"] = {"train.csv": TRAIN_CSV_SHA256}
        config["studies"]["tuned"] = None
        config["seed_reruns"] = {"top_n": 1, "seeds": [1]}

    return change


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("real")
    smallflow.prepare(workdir, shrink_to_real_data(workdir))
    smallflow.run(workdir, "--cores", "2", timeout=900)
    return workdir


def test_real_features_have_expected_shape(real_run):
    credit = json.loads((real_run / "data/features/credit_default/standardize/metadata.json").read_text())
    reviews = json.loads((real_run / "data/features/amazon_reviews/standardize/metadata.json").read_text())
    assert len(credit["feature_names"]) == 29
    assert sum(credit["rows"][split] for split in ("train", "validation", "test")) == CREDIT_ROWS
    assert len(reviews["feature_names"]) == 10_000
    assert reviews["n_classes"] == 50
    assert reviews["rows"]["competition_test"] == 750


def test_real_grids_cover_every_cell(real_run):
    for dataset in ("credit_default", "amazon_reviews"):
        with open(real_run / "results" / "tables" / "reference" / f"{dataset}_grid.csv", newline="") as stream:
            rows = list(csv.DictReader(stream))
        assert len(rows) == 4 * 2
        assert {row["status"] for row in rows} <= {"ok", "one_class", "diverged"}


def test_real_submission_has_every_competition_row(real_run):
    lines = (real_run / "results" / "submissions" / "amazon_reviews.csv").read_text().splitlines()
    assert lines[0] == 'ID,"Class"'
    assert len(lines) == 751
    assert lines[1].split(",")[0] == "750"
    assert lines[-1].split(",")[0] == "1499"


def test_real_summary_written(real_run):
    summary = (real_run / "results" / "tables" / "summary.md").read_text()
    assert "credit_default" in summary
    assert "amazon_reviews" in summary
