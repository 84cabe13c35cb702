"""Run the workflow through profiles/slurm on a real one-node SLURM cluster.

The cluster test starts munged, slurmctld and slurmd on loopback (see
tests/slurm/cluster.py), runs the small synthetic workflow once through the
profile and once locally, and compares the tables. It needs the Debian
packages (tests/slurm/install.sh), snakemake-executor-plugin-slurm
(``pip install -e '.[slurm]'``) and root. Without them it is skipped, unless
GRIDSTUDY_REQUIRE_SLURM=1 turns the skip into a failure, as CI should.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import subprocess
from importlib.util import find_spec
from pathlib import Path

import pytest
import yaml

from tests import smallflow
from tests.slurm.cluster import SlurmCluster, missing_binaries

# The profile's group-components value for the training rule's group.
CELLS_PER_GROUP_JOB = 20
# Grid cells of the shrunk small config: 2 activations on each of 2
# datasets. The iteration budgets are checkpoints of one cell.
GRID_CELLS = 4
# Seed reruns: the best cell of each dataset, trained again with seed 1.
SEED_RERUNS = 2
# The Snakefile's localrules, which must run on the submit host.
LOCAL_RULES = (
    "all", "fetch_credit_default", "fetch_amazon_reviews", "training_arrays", "aggregate", "summary",
    "select_top", "seed_table", "figures", "submission",
)

LOCAL_TIMEOUT_S = 300
SLURM_TIMEOUT_S = 420


def _missing_prerequisites() -> list[str]:
    missing = []
    if find_spec("snakemake_executor_plugin_slurm") is None:
        missing.append("snakemake-executor-plugin-slurm (pip install -e '.[slurm]')")
    binaries = missing_binaries()
    if binaries:
        missing.append(f"{', '.join(binaries)} (run tests/slurm/install.sh as root)")
    if os.geteuid() != 0:
        missing.append("root (the test cluster runs its daemons as root)")
    return missing


def _require_cluster_prerequisites() -> None:
    missing = _missing_prerequisites()
    if not missing:
        return
    message = "SLURM test cluster unavailable, missing: " + "; ".join(missing)
    if os.environ.get("GRIDSTUDY_REQUIRE_SLURM") == "1":
        pytest.fail(message + " (GRIDSTUDY_REQUIRE_SLURM=1 forbids skipping)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    _require_cluster_prerequisites()
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm-cluster"))
    cluster.start(timeout=60)
    try:
        yield cluster
    finally:
        # Cancels whatever a failed or timed-out run left queued, then stops
        # slurmd, slurmctld and munged by process id.
        cluster.stop()
        assert not cluster.pids, f"SLURM daemons still running: {cluster.pids}"


def _slurm_failure_report(cluster: SlurmCluster, workdir: Path) -> str:
    job_logs = sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
    tails = [f"--- {path}\n{path.read_text(errors='replace')[-2000:]}" for path in job_logs[-3:]]
    return (
        f"slurmctld log:\n{cluster.log_tail('slurmctld')}\n"
        f"slurmd log:\n{cluster.log_tail('slurmd')}\n" + "\n".join(tails)
    )


def _submitted_jobs(cluster: SlurmCluster) -> list[dict[str, str]]:
    """Return every job the cluster still remembers, as {id, state, comment} rows."""
    result = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--format=%i|%T|%k"],
        env=cluster.env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    rows = csv.reader(io.StringIO(result.stdout), delimiter="|")
    return [{"id": row[0], "state": row[1], "comment": row[2]} for row in rows if row]


def _cost_table_cells(data: bytes) -> list[tuple[str, str, str]]:
    rows = csv.DictReader(io.StringIO(data.decode()))
    return [(row["study"], row["dataset"], row["cell"]) for row in rows]


def _shrink_for_slurm(config: dict) -> None:
    """Keep one study of GRID_CELLS cells and one seed rerun per dataset.

    Each wave of dependent jobs costs a submission and status checks 5, 20
    and 45 s after it. The test therefore keeps three short submitted waves:
    features, one group job of grid cells, and the seed reruns that follow
    the select_top checkpoint. The fetch rules run on the submitting host.
    """
    reference = config["studies"]["reference"]
    reference["grid"]["activation"] = ["relu", "sigmoid"]
    reference["grid"]["layers"] = [1]
    config["studies"] = {"reference": reference}
    config["seed_reruns"] = {"top_n": 1, "seeds": [1]}


@pytest.mark.slurm
@pytest.mark.slow
def test_slurm_run_matches_local_run(slurm_cluster, tmp_path, monkeypatch):
    local_dir = smallflow.prepare(tmp_path / "local", config_changes=_shrink_for_slurm)
    slurm_dir = smallflow.prepare(tmp_path / "slurm", config_changes=_shrink_for_slurm)
    smallflow.run(local_dir, "--cores", "2", timeout=LOCAL_TIMEOUT_S)

    # smallflow.run passes os.environ on to Snakemake, and sbatch and squeue
    # find the cluster through SLURM_CONF.
    for name in [key for key in os.environ if key.startswith("SLURM_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SLURM_CONF", str(slurm_cluster.conf_path))
    # --cores caps the CPUs of one group job, and of all jobs together, at
    # the node's count. Without it a group of 20 one-thread cells would ask
    # for 20 CPUs and stay pending for ever on this node.
    result = smallflow.run(
        slurm_dir,
        "--profile", "profiles/slurm",
        "--cores", str(slurm_cluster.cpus),
        timeout=SLURM_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, (
        f"snakemake through profiles/slurm failed with exit code {result.returncode}:\n"
        f"{result.stdout[-6000:]}\n{_slurm_failure_report(slurm_cluster, slurm_dir)}"
    )
    assert "Falling back to 'sacct'" not in result.stdout

    local_tables = smallflow.tables(local_dir)
    slurm_tables = smallflow.tables(slurm_dir)
    assert sorted(slurm_tables) == sorted(local_tables)
    assert "summary.md" in local_tables
    for name, local_bytes in local_tables.items():
        # Cost tables hold measured seconds and memory from Snakemake's
        # benchmark files, which differ between any two runs.
        if name == "cost.md":
            continue
        if name.endswith("_cost.csv"):
            assert _cost_table_cells(slurm_tables[name]) == _cost_table_cells(local_bytes), name
            continue
        assert slurm_tables[name] == local_bytes, f"results/tables/{name} differs from the local run"

    jobs = _submitted_jobs(slurm_cluster)
    assert jobs, "squeue lists no job: the workflow did not submit to the test cluster"
    assert {job["state"] for job in jobs} == {"COMPLETED"}, jobs
    comments = [job["comment"] for job in jobs]
    train_jobs = [comment for comment in comments if comment.startswith("rule_train")]
    # The grid cells share one group job. Seed reruns depend on a checkpoint
    # and are submitted one by one.
    expected_train_jobs = math.ceil(GRID_CELLS / CELLS_PER_GROUP_JOB) + SEED_RERUNS
    assert len(train_jobs) == expected_train_jobs, comments
    for rule in LOCAL_RULES:
        assert f"rule_{rule}" not in comments, f"local rule {rule} was submitted to SLURM"
    assert len(comments) == len(train_jobs) + 2, (
        f"expected the two feature jobs besides training: {comments}"
    )


def _dry_run(workdir: Path, *args: str) -> tuple[int, int]:
    """Return the planned train jobs and "Group job train" blocks of a dry run."""
    result = smallflow.run(workdir, "--dry-run", "--profile", "profiles/slurm", *args, timeout=120)
    stats = re.search(r"^train\s+(\d+)$", result.stdout, flags=re.MULTILINE)
    assert stats, f"no train row in the dry run's job stats:\n{result.stdout[-3000:]}"
    return int(stats.group(1)), len(re.findall(r"Group job train\b", result.stdout))


def _restore_default_studies(config: dict) -> None:
    default = yaml.safe_load((smallflow.REPOSITORY / "config.yaml").read_text())
    config["studies"] = default["studies"]
    config["seed_reruns"] = default["seed_reruns"]


def test_default_grid_group_job_count(tmp_path):
    if find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip("snakemake-executor-plugin-slurm missing (pip install -e '.[slurm]')")
    # config.yaml's studies on synthetic raw data. Seed reruns are not in a
    # dry run's DAG because they wait for the select_top checkpoint, so the
    # train jobs counted here are the grid cells.
    workdir = smallflow.prepare(tmp_path / "dry", config_changes=_restore_default_studies)

    grid_cells, group_jobs = _dry_run(workdir)
    assert group_jobs == math.ceil(grid_cells / CELLS_PER_GROUP_JOB)
    grid_cells_ungrouped, group_jobs_ungrouped = _dry_run(workdir, "--group-components", "train=1")
    assert grid_cells_ungrouped == grid_cells
    assert group_jobs_ungrouped == grid_cells
