"""Faults at workflow level: interruptions, network, bad data, bad config, divergence, secrets, determinism.

Each test runs the real workflow on small synthetic data (see tests/smallflow.py).
The unit-level cases live next to their code: HTTP 401/403, retries and unsafe
archive members in test_sources.py, bad feature values in test_features.py.
No test reaches the network: downloads go to listeners on 127.0.0.1 or to a
fake ``kaggle`` module put on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from gridstudy.io import default_file_mode, write_json_atomic
from gridstudy.training import train_cell
from tests import fakedata, smallflow, stubserver

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[1]
CREDIT_FEATURES = "data/features/credit_default/standardize/train.parquet"
CREDIT_RAW = "data/raw/credit_default/data.csv"
FAKE_USERNAME = "reliability-test-user"
FAKE_KEY = "FAKE-KAGGLE-KEY-7f3e9a1c2b"
KAGGLE_VARIABLES = ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "KAGGLE_CONFIG_DIR")
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
NO_PROXY_VARIABLES = ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy")


# ------------------------------------------------------------------------------- helpers


def study(datasets, grid, fixed=None):
    """Return a config_changes function that replaces the reference study."""

    def change(config):
        config["studies"] = {
            "reference": {
                "datasets": list(datasets),
                "fixed": {"optimizer": "gd", "early_stopping": "train", **(fixed or {})},
                "grid": {"activation": ["relu"], "hidden": [8], "layers": [1], "learning_rate": [0.1],
                         "iterations": [5], "seed": [0], **grid},
            }
        }

    return change


def combine(*changes):
    def change(config):
        for each in changes:
            each(config)

    return change


@pytest.fixture
def no_kaggle_credentials(monkeypatch, tmp_path):
    """Give snakemake and its jobs an empty home folder and no Kaggle variables."""
    home = tmp_path / "home"
    home.mkdir()
    for name in KAGGLE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return monkeypatch


def files_under(workdir: Path, *folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (workdir / folder).rglob("*") if path.is_file())


def assert_outputs_readable(workdir: Path) -> None:
    """Check that every parquet and JSON file under data/ and results/ reads in full."""
    for path in files_under(workdir, "data", "results"):
        if path.suffix == ".parquet":
            pq.read_table(path)
        elif path.suffix == ".json":
            json.loads(path.read_text())


def log_text(workdir: Path, log: str) -> str:
    path = workdir / log
    return path.read_text() if path.exists() else ""


def planned_jobs(output: str) -> dict[str, int]:
    """Parse the 'Job stats' table of a dry run into {rule: count}."""
    counts = {}
    for match in re.finditer(r"^(\w+)\s+(\d+)$", output.split("Job stats:", 1)[-1], re.MULTILINE):
        if match.group(1) != "total":
            counts[match.group(1)] = int(match.group(2))
    return counts


# ----------------------------------------------------------------------- interruptions

SLOW_CELL = "reference/credit_default/relu-h256-l2-lr0.01-s0"
SLOW_JSON = f"results/cells/{SLOW_CELL}.json"
SLOW_LOG = f"logs/train/{SLOW_CELL}.log"
# One cell that fits for a few seconds on the synthetic data, so a signal lands mid-fit.
SLOW_STUDY = study(
    ["credit_default"],
    {"hidden": [256], "layers": [2], "learning_rate": [0.01], "iterations": [400]},
    fixed={"early_stopping": False},
)


@pytest.fixture(scope="module")
def slow_flow(tmp_path_factory):
    """A workflow copy with its credit features built, ready to train the slow cell."""
    workdir = smallflow.prepare(tmp_path_factory.mktemp("interrupt"), SLOW_STUDY)
    smallflow.run(workdir, "--cores", "1", CREDIT_FEATURES, timeout=120)
    return workdir


def session_processes(session: int) -> dict[int, list[str]]:
    """Return {pid: command line} of the live processes in a session, read from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # Fields after the command name in parentheses: state, ppid, pgrp, session.
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == session:
            found[int(entry.name)] = [part.decode(errors="replace") for part in command if part]
    return found


def training_process(session: int) -> int:
    """Return the pid of the python process that runs scripts/train.py in a session."""
    for pid, command in session_processes(session).items():
        if command and "python" in Path(command[0]).name and any(arg.endswith("train.py") for arg in command[1:]):
            return pid
    raise AssertionError(f"no training process in session {session}: {session_processes(session)}")


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def start_slow_training(workdir: Path, output_file: Path) -> subprocess.Popen:
    """Start snakemake on the slow cell in its own session; return once the fit has begun."""
    (workdir / SLOW_LOG).unlink(missing_ok=True)
    stream = open(output_file, "w")
    # A shell that starts pytest in the background ignores SIGINT, and children
    # inherit that, so restore the default handler for the Ctrl-C cases.
    process = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", "--force", SLOW_JSON],
        cwd=workdir, stdout=stream, stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    stream.close()
    try:
        wait_for(lambda: "training reference/credit_default" in log_text(workdir, SLOW_LOG), 90, "the fit to start")
    except AssertionError:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise AssertionError(f"training never started:\n{output_file.read_text()[-4000:]}") from None
    return process


def assert_cell_rerun_finishes(workdir: Path, *options: str) -> None:
    """The next run trains the cell again and writes a complete JSON."""
    result = smallflow.run(workdir, *options, "--cores", "1", SLOW_JSON, timeout=180)
    assert "rule train:" in result.stdout, result.stdout[-3000:]
    cell = json.loads((workdir / SLOW_JSON).read_text())
    assert [budget["iterations"] for budget in cell["budgets"]] == [400]
    assert cell["budgets"][0]["n_iter"] == 400


@pytest.mark.parametrize(
    "target, sent",
    [
        ("snakemake group", signal.SIGINT),  # Ctrl-C in a terminal
        ("training job", signal.SIGTERM),  # what scancel sends to a job step
        ("training job", signal.SIGKILL),  # the out-of-memory killer, kill -9
    ],
    ids=["sigint-snakemake", "sigterm-job", "sigkill-job"],
)
def test_interrupted_fit_leaves_no_output(slow_flow, tmp_path, target, sent):
    process = start_slow_training(slow_flow, tmp_path / "snakemake.out")
    job = training_process(process.pid)
    if target == "snakemake group":
        os.killpg(process.pid, sent)
    else:
        os.kill(job, sent)
    try:
        process.wait(timeout=60)
    finally:
        with_leftovers = session_processes(process.pid)
        if with_leftovers:
            os.killpg(process.pid, signal.SIGKILL)
    output = (tmp_path / "snakemake.out").read_text()

    assert process.returncode != 0, output[-3000:]
    assert not with_leftovers, f"processes outlived snakemake: {with_leftovers}"
    assert not (slow_flow / SLOW_JSON).exists(), "an interrupted fit left its cell JSON"
    assert_outputs_readable(slow_flow)
    assert_cell_rerun_finishes(slow_flow)


def test_killed_snakemake_marks_cell_incomplete(slow_flow, tmp_path):
    """kill -9 of snakemake itself: the orphaned job may finish, but its JSON stays marked incomplete."""
    process = start_slow_training(slow_flow, tmp_path / "snakemake.out")
    job = training_process(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    wait_for(lambda: not pid_alive(job), 120, "the orphaned training job to end")
    assert_outputs_readable(slow_flow)

    assert (slow_flow / SLOW_JSON).exists(), "the orphaned job should have finished its fit"

    # The file looks finished, but without --rerun-incomplete Snakemake refuses to trust it.
    strict = smallflow.run(slow_flow, "--workflow-profile", "none", "--cores", "1", "--dry-run", SLOW_JSON,
                           timeout=120, check=False)
    assert strict.returncode != 0, strict.stdout[-3000:]
    assert "incomplete" in strict.stdout.lower()
    assert SLOW_JSON in strict.stdout

    # A kill -9 may leave the lock behind; --unlock releases it (a no-op when there is none).
    smallflow.run(slow_flow, "--cores", "1", "--unlock", timeout=120)
    assert_cell_rerun_finishes(slow_flow, "--workflow-profile", "none", "--rerun-incomplete")


# ----------------------------------------------------------------------------- network

ONE_CELL = study(["credit_default", "amazon_reviews"], {})


def without_review_copy(config):
    config["data"]["amazon_reviews"]["local_copy"] = None


def test_missing_kaggle_credentials_keep_going(tmp_path, no_kaggle_credentials):
    workdir = smallflow.prepare(tmp_path / "flow", combine(ONE_CELL, without_review_copy))
    result = smallflow.run(workdir, "--cores", "2", "--keep-going", timeout=240, check=False)

    assert result.returncode != 0
    tables = workdir / "results" / "tables" / "reference"
    assert (tables / "credit_default_grid.csv").is_file(), result.stdout[-4000:]
    assert (tables / "credit_default_top.md").is_file()
    assert (workdir / "results" / "figures" / "reference" / "credit_default_width_depth.png").is_file()
    message = log_text(workdir, "logs/fetch/amazon_reviews.log")
    for words in ("Kaggle credentials are missing", "184-702-tu-ml-2025-s-reviews",
                  "data.amazon_reviews.local_copy", "KAGGLE_USERNAME"):
        assert words in message, f"{words!r} missing from: {message}"
    assert message.count("ERROR") == 1, message
    raw = workdir / "data" / "raw" / "amazon_reviews"
    assert files_under(workdir, "data/raw/amazon_reviews") == [] if raw.exists() else True
    assert not (workdir / "data" / "features" / "amazon_reviews").exists()


def without_credit_copy(config):
    config["data"]["credit_default"]["local_copy"] = None
    config["download"] = {"timeout_s": 1, "retries": 0}


@pytest.mark.parametrize("server", ["refused", "silent"])
def test_uci_download_fails_within_timeout(tmp_path, monkeypatch, server):
    workdir = smallflow.prepare(tmp_path / "flow", combine(ONE_CELL, without_credit_copy))
    for name in NO_PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    with stubserver.silent_listener() as silent_port:
        port = silent_port if server == "silent" else stubserver.refused_port()
        for name in PROXY_VARIABLES:
            monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
        result = smallflow.run(workdir, "--cores", "1", CREDIT_RAW, timeout=120, check=False)

    assert result.returncode != 0
    message = log_text(workdir, "logs/fetch/credit_default.log")
    assert "UCI download of the credit default data" in message, message
    assert "1 attempt(s) with a 1 s timeout" in message
    assert "data.credit_default.local_copy" in message
    stamps = [datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f")
              for stamp in re.findall(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) ", message, re.MULTILINE)]
    assert len(stamps) >= 2, message
    assert (stamps[-1] - stamps[0]).total_seconds() < 4, "one 1 s attempt took too long"
    assert files_under(workdir, "data") == []
    assert "Kaggle" not in result.stdout  # the reviews were not asked for


# ---------------------------------------------------------------------------- bad data


def edit_credit_copy(edit):
    """Return a config_changes that rewrites the synthetic credit copy with ``edit(lines)``."""

    def change(config):
        path = Path(config["data"]["credit_default"]["local_copy"])
        lines = path.read_text().splitlines()
        path.write_text("\n".join(edit(lines)) + "\n")

    return change


def set_value(column: str, row: int, value: str):
    def edit(lines):
        header = lines[0].split(",")
        cells = lines[row].split(",")
        cells[header.index(column)] = value
        lines[row] = ",".join(cells)
        return lines

    return edit


def drop(column: str):
    def edit(lines):
        index = lines[0].split(",").index(column)
        return [",".join(cell for i, cell in enumerate(line.split(",")) if i != index) for line in lines]

    return edit


@pytest.mark.parametrize(
    "edit, expected",
    [
        (set_value("X5", 5, "unknown"), "column X5 contains 'unknown' in data row 5"),
        (set_value("X5", 5, "?"), "column X5 contains '?' in data row 5"),
        (set_value("X12", 3, "n/a"), "column X12 contains 'n/a' in data row 3"),
        (set_value("X1", 7, ""), "column X1 contains an empty cell in data row 7"),
        (drop("X12"), "missing column(s) X12"),
        (drop("Y"), "missing column(s) Y"),
    ],
    ids=["unknown", "question-mark", "n/a", "empty-cell", "missing-column", "missing-target"],
)
def test_bad_credit_copy_stops_before_features(tmp_path, edit, expected):
    workdir = smallflow.prepare(tmp_path / "flow", combine(ONE_CELL, edit_credit_copy(edit)))
    result = smallflow.run(workdir, "--cores", "1", CREDIT_FEATURES, timeout=120, check=False)

    assert result.returncode != 0
    message = log_text(workdir, "logs/fetch/credit_default.log")
    assert expected in message, message
    assert expected in result.stdout, "the failed job's log is shown on the console"
    assert [path for path in files_under(workdir, "data")] == []


def test_archive_without_training_file(tmp_path):
    def change(config):
        archive = Path(config["data"]["amazon_reviews"]["local_copy"])
        texts = fakedata.review_csv_texts()
        with zipfile.ZipFile(archive, "w") as handle:
            for name in (fakedata.REVIEW_TEST, fakedata.REVIEW_SAMPLE):
                handle.writestr(name, texts[name])

    workdir = smallflow.prepare(tmp_path / "flow", combine(ONE_CELL, change))
    target = "data/features/amazon_reviews/standardize/train.parquet"
    result = smallflow.run(workdir, "--cores", "1", target, timeout=120, check=False)

    assert result.returncode != 0
    message = log_text(workdir, "logs/fetch/amazon_reviews.log")
    assert "contains no '*.lrn.csv' file (training file)" in message, message
    assert f"reviews.zip!{fakedata.REVIEW_TEST}" in message
    assert f"reviews.zip!{fakedata.REVIEW_SAMPLE}" in message
    assert files_under(workdir, "data") == []


# -------------------------------------------------------------------------- bad config


def grid_value(key, values):
    def change(config):
        config["studies"]["reference"]["grid"][key] = values

    return change


def datasets(values):
    def change(config):
        config["studies"]["reference"]["datasets"] = values

    return change


@pytest.mark.parametrize(
    "change, key, reason",
    [
        (grid_value("activation", ["relu", "softplus"]), "['grid']['activation']", "'softplus' is not one of"),
        (grid_value("learning_rate", [-0.1]), "['grid']['learning_rate']", "less than or equal to the minimum"),
        (grid_value("learning_rate", [0]), "['grid']['learning_rate']", "less than or equal to the minimum"),
        (grid_value("layers", [0]), "['grid']['layers']", "less than the minimum of 1"),
        (grid_value("hidden", [8, 8]), "['grid']['hidden']", "has non-unique elements"),
        (grid_value("learning_rate", [0.1, "1e-1"]), "['grid']['learning_rate']", "has non-unique elements"),
        (datasets(["credit_default", "mnist"]), "['datasets']", "'mnist' is not one of"),
    ],
    ids=["activation", "negative-lr", "zero-lr", "zero-layers", "duplicate-hidden", "duplicate-lr-spelling",
         "unknown-dataset"],
)
def test_bad_config_rejected_at_start(tmp_path, change, key, reason):
    workdir = smallflow.prepare(tmp_path / "flow", change)
    result = smallflow.run(workdir, "--cores", "1", timeout=120, check=False)

    assert result.returncode != 0
    assert "Error validating config file" in result.stdout, result.stdout[-3000:]
    assert f"instance['studies']['reference']{key}" in result.stdout, result.stdout[-3000:]
    assert reason in result.stdout, result.stdout[-3000:]
    for folder in ("data", "results", "logs"):
        assert not (workdir / folder).exists(), f"{folder}/ was created although the config is invalid"


def test_gd_with_batch_size_rejected_at_start(tmp_path):
    def change(config):
        config["studies"]["reference"]["fixed"]["batch_size"] = 32

    workdir = smallflow.prepare(tmp_path / "flow", change)
    result = smallflow.run(workdir, "--cores", "1", timeout=120, check=False)

    assert result.returncode != 0
    assert "of credit_default is invalid: batch_size=32 has no effect with optimizer='gd'" in result.stdout, (
        result.stdout[-3000:]
    )
    for folder in ("data", "results", "logs"):
        assert not (workdir / folder).exists(), f"{folder}/ was created although the config is invalid"


# -------------------------------------------------------------------------- divergence


def test_unscaled_input_diverges_in_both_dtypes():
    rows = fakedata.credit_rows(600)
    X = rows[:, 1:24].astype(np.float64)  # raw amounts up to 5e5, not standardized
    y = rows[:, 24]
    splits = {"train": (X[:400], y[:400]), "validation": (X[400:500], y[400:500]), "test": (X[500:], y[500:])}
    for dtype in ("float32", "float64"):
        params = {"hidden": 500, "layers": 1, "activation": "relu", "learning_rate": 0.1, "max_iter": 50,
                  "tol": 1e-4, "n_iter_no_change": 10, "seed": 0, "dtype": dtype, "early_stopping": "train"}
        result = train_cell(splits, params, [1, 50])

        first, last = result["budgets"]
        assert first["status"] != "diverged", dtype  # nothing has exploded after one iteration
        assert last["status"] == "diverged", dtype
        assert last["validation"]["accuracy"] is None
        assert "competition_predictions" not in last
        json.dumps(result, allow_nan=False)


# -------------------------------------------------- one full run: divergence, secrets, determinism

FULL_STUDY = study(
    ["credit_default", "amazon_reviews"],
    {"hidden": [500], "learning_rate": [0.1, 1000.0], "iterations": [5, 20]},
)
DIVERGING_CELL = "relu-h500-l1-lr1000.0-s0"
FAKE_KAGGLE_MODULE = '''
"""Stand-in for the kaggle client: "downloads" the synthetic competition zip."""
import shutil


class KaggleApi:
    def authenticate(self):
        pass

    def competition_download_files(self, competition, path=None, quiet=True):
        shutil.copy({archive!r}, f"{{path}}/{{competition}}.zip")
'''
# Run-dependent timings, documented as such in gridstudy/aggregate.py.
TIMING_TABLES = re.compile(r"(_cost\.csv|^cost\.md)$")


def prepare_full(workdir: Path) -> Path:
    """Prepare the full run whose reviews come through the fake kaggle client in ../modules."""
    modules = workdir.parent / "modules" / "kaggle"
    if not modules.exists():
        archive = fakedata.write_review_archive(workdir.parent / "kaggle-download.zip")
        modules.mkdir(parents=True)
        (modules / "__init__.py").write_text(textwrap.dedent(FAKE_KAGGLE_MODULE.format(archive=str(archive))))
    return smallflow.prepare(workdir, combine(FULL_STUDY, without_review_copy))


@contextmanager
def fake_kaggle_environment(modules: Path):
    """Set the fake client's PYTHONPATH and a fake Kaggle key for the snakemake runs inside the block."""
    environment = {"PYTHONPATH": str(modules), "KAGGLE_USERNAME": FAKE_USERNAME, "KAGGLE_KEY": FAKE_KEY}
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def stable_tables(workdir: Path) -> dict[str, bytes]:
    return {name: data for name, data in smallflow.tables(workdir).items()
            if not TIMING_TABLES.search(name.rsplit("/", 1)[-1])}


@pytest.fixture(scope="module")
def full_runs(tmp_path_factory):
    """Two runs of one config from scratch in separate folders, one on 2 cores and one on 1 core.

    They run at the same time to halve the wall time of this module.
    """
    base = tmp_path_factory.mktemp("full")
    first = prepare_full(base / "cores2")
    second = prepare_full(base / "cores1")
    with fake_kaggle_environment(base / "modules"), ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(smallflow.run, workdir, "--cores", cores, timeout=300)
                for workdir, cores in ((first, "2"), (second, "1"))]
        for run in runs:
            run.result()
    return first, second


def read_grid(workdir: Path, dataset: str) -> list[dict]:
    import csv

    with open(workdir / "results" / "tables" / "reference" / f"{dataset}_grid.csv", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.parametrize("dataset", ["credit_default", "amazon_reviews"])
def test_diverged_cell_in_grid_table(full_runs, dataset):
    workdir, _ = full_runs
    rows = read_grid(workdir, dataset)
    statuses = {(row["cell"], row["iterations"]): row["status"] for row in rows}
    assert statuses[(DIVERGING_CELL, "20")] == "diverged", statuses
    diverged = [row for row in rows if row["status"] == "diverged"]
    assert all(row["validation_accuracy"] == "" for row in diverged)
    assert any(row["status"] == "ok" for row in rows), "the sane cell must still be selectable"

    top = (workdir / "results" / "tables" / "reference" / f"{dataset}_top.md").read_text()
    assert DIVERGING_CELL not in top
    assert "diverged" in top  # the status counts line
    for figure in ("width_depth", "accuracy_vs_parameters", "loss_curves", "learning_rate_iterations"):
        path = workdir / "results" / "figures" / "reference" / f"{dataset}_{figure}.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (workdir / "results" / "submissions" / "amazon_reviews.csv").is_file()


def test_reviews_came_from_fake_download(full_runs):
    workdir, _ = full_runs
    record = json.loads((workdir / "data" / "raw" / "amazon_reviews" / "sha256.json").read_text())
    assert record["source"]["kind"] == "download"


def test_fake_key_absent_from_logs(full_runs):
    for workdir in full_runs:
        logs = files_under(workdir, "logs", ".snakemake/log")
        assert logs, "the run wrote no logs to scan"
        for path in logs:
            text = path.read_bytes()
            assert FAKE_KEY.encode() not in text, f"the Kaggle key appears in {path}"


def test_two_runs_give_identical_tables(full_runs):
    """Two runs from scratch, in different folders and on 1 and 2 cores, write the same bytes."""
    first, second = full_runs
    tables = stable_tables(first)
    assert "summary.md" in tables
    assert "reference/credit_default_grid.csv" in tables
    assert sorted(tables) == sorted(stable_tables(second))
    for name, data in stable_tables(second).items():
        assert data == tables[name], f"{name} differs between the 2-core and the 1-core run"


# ---------------------------------------------------------------------------- security


def test_arrays_never_unpickled():
    """Every np.load passes allow_pickle=False, and nothing imports pickle."""
    sources = [path for folder in ("mlp", "gridstudy", "scripts") for path in (REPOSITORY / folder).rglob("*.py")]
    sources += [REPOSITORY / "Snakefile", *(REPOSITORY / "rules").glob("*.smk")]
    for path in sources:
        text = path.read_text()
        for match in re.finditer(r"np\.load\(|numpy\.load\(", text):
            call = text[match.start():text.find(")", match.start()) + 1]
            assert "allow_pickle=False" in call, f"{path.name}: {call}"
        assert not re.search(r"^\s*(import|from)\s+(c?pickle|dill|joblib)\b", text, re.MULTILINE), path.name
        assert "read_pickle" not in text, path.name
        assert "allow_pickle=True" not in text, path.name


def test_atomic_json_gets_default_mode(tmp_path):
    path = tmp_path / "cell.json"
    write_json_atomic(path, {"status": "ok"})
    assert path.stat().st_mode & 0o777 == default_file_mode()
    assert list(tmp_path.iterdir()) == [path]
