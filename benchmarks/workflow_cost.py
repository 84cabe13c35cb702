"""Measure what a workflow run costs beyond training: overhead, no-op rerun and dry run.

For every training job of a run, the job's wall time ``s`` in its Snakemake
benchmark TSV (``results/benchmarks/<study>/<dataset>/<cell>.tsv``) is set
against ``fit_seconds`` in its cell JSON (``results/cells/...json``, the
time spent in ``MLPClassifier.fit``). The difference is the job's overhead:
interpreter start-up, imports, loading the data, evaluation of every budget
on every split and writing the JSON. With ``--log``, the jobs that convert
parquet files to training archives are added to the overhead, timed from
the log's whole-second timestamps.

    python benchmarks/workflow_cost.py --run-dir /path/to/finished/run \\
        --log /path/to/run.log --snakemake-dir /path/to/checkout

reads the run, times ``snakemake -n`` (a dry run of the full DAG) in a copy of
``--snakemake-dir``'s committed files and, with ``--noop-copy``, a no-op
rerun of ``snakemake --cores 2`` in a copy of the finished run. It writes
``benchmarks/results/workflow_cost.json``. Nothing is run in ``--run-dir``.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path


def read_jobs(run_dir: Path) -> list[dict]:
    """Return one dict per training job that has both a benchmark TSV and a cell JSON."""
    jobs = []
    for tsv in sorted((run_dir / "results" / "benchmarks").rglob("*.tsv")):
        relative = tsv.relative_to(run_dir / "results" / "benchmarks").with_suffix(".json")
        cell_json = run_dir / "results" / "cells" / relative
        if not cell_json.exists():
            continue
        with open(tsv) as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        cell = json.loads(cell_json.read_text())
        job_seconds = float(rows[-1]["s"])
        jobs.append({
            "job": str(relative.with_suffix("")), "dataset": cell["dataset"],
            "job_seconds": job_seconds, "fit_seconds": float(cell["fit_seconds"]),
            "max_rss_mb": float(rows[-1]["max_rss"]),
            "overhead_seconds": job_seconds - float(cell["fit_seconds"]),
        })  # fmt: skip
    return jobs


def log_wall_seconds(log: Path) -> tuple[float | None, str]:
    """Return the seconds between the first and last timestamp in a Snakemake log, and its state."""
    text = log.read_text(errors="replace")
    stamps = re.findall(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]", text, flags=re.MULTILINE)
    start = re.search(r"Date: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", text)
    times = [datetime.strptime(stamp, "%a %b %d %H:%M:%S %Y") for stamp in stamps]
    if start:
        times.insert(0, datetime.strptime(start.group(1), "%Y-%m-%d %H:%M:%S"))
    state = "finished" if re.search(r"\d+ of \d+ steps \(100%\) done", text) else "unfinished"
    if len(times) < 2:
        return None, state
    return (times[-1] - times[0]).total_seconds(), state


def rule_seconds_from_log(log: Path) -> dict[str, dict]:
    """Return the job count and summed wall seconds of each rule, from a Snakemake log's timestamps.

    A job's start is the timestamp above its ``rule``/``localrule`` block and
    its end the one above ``Finished jobid``. The log prints whole seconds, so
    each job's time is off by up to a second either way.
    """
    lines = log.read_text(errors="replace").splitlines()
    stamp_pattern = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
    started, rules = {}, {}
    stamp = None
    for index, line in enumerate(lines):
        match = stamp_pattern.match(line)
        if match:
            stamp = datetime.strptime(match.group(1), "%a %b %d %H:%M:%S %Y")
            continue
        rule = re.match(r"^(?:local)?rule (\w+):$", line)
        if rule and stamp is not None:
            # The jobid line follows within the job's block of input, output and log lines.
            for text in lines[index + 1 : index + 8]:
                jobid = re.match(r"^\s+jobid: (\d+)$", text)
                if jobid:
                    started[jobid.group(1)] = (rule.group(1), stamp)
                    break
            continue
        finished = re.match(r"^Finished jobid: (\d+) \(Rule: (\w+)\)$", line)
        if finished and finished.group(1) in started and stamp is not None:
            name, start = started.pop(finished.group(1))
            entry = rules.setdefault(name, {"jobs": 0, "seconds": 0.0})
            entry["jobs"] += 1
            entry["seconds"] += (stamp - start).total_seconds()
    return rules


def time_command(command: list[str], cwd: Path) -> dict:
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return {"command": " ".join(command), "seconds": seconds, "returncode": completed.returncode,
            "output_tail": (completed.stdout + completed.stderr)[-800:]}  # fmt: skip


def copy_committed_tree(checkout: Path, target: Path) -> None:
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=checkout, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)


def summarize(jobs: list[dict]) -> dict:
    summary = {}
    for dataset in sorted({job["dataset"] for job in jobs}) + ["all"]:
        chosen = [job for job in jobs if dataset in ("all", job["dataset"])]
        total = sum(job["job_seconds"] for job in chosen)
        overhead = sum(job["overhead_seconds"] for job in chosen)
        summary[dataset] = {
            "jobs": len(chosen), "job_seconds": total, "fit_seconds": total - overhead,
            "overhead_seconds": overhead, "overhead_share": overhead / total if total else None,
            "median_overhead_seconds": statistics.median(job["overhead_seconds"] for job in chosen),
        }  # fmt: skip
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", required=True, help="working directory of a (finished) run")
    parser.add_argument("--log", help="that run's Snakemake log, for its wall time")
    parser.add_argument("--snakemake-dir", help="checkout whose committed files get a timed dry run")
    parser.add_argument("--snakemake-args", default="", help="extra snakemake arguments in one string, e.g. \"--configfile config/shared-data.yaml\"")
    parser.add_argument("--noop-copy", action="store_true",
                        help="copy the finished run and time a no-op rerun in the copy")  # fmt: skip
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "workflow_cost.json"))
    args = parser.parse_args(argv)

    run_dir = Path(args.run_dir)
    jobs = read_jobs(run_dir)
    if not jobs:
        print(f"no training job with both a benchmark TSV and a cell JSON under {run_dir}/results")
        return 1
    result = {"command": "python benchmarks/workflow_cost.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "run_dir": str(run_dir), "summary": summarize(jobs), "jobs": jobs}  # fmt: skip
    if args.log:
        wall, state = log_wall_seconds(Path(args.log))
        result["run_wall_seconds"], result["run_state"] = wall, state
        # Converting the parquet files to training archives is part of loading
        # the data, so its jobs count as overhead too.
        result["rules_from_log"] = rule_seconds_from_log(Path(args.log))
        conversion = result["rules_from_log"].get("training_arrays", {"jobs": 0, "seconds": 0.0})
        all_jobs = result["summary"]["all"]
        result["overhead_share_with_conversion"] = (all_jobs["overhead_seconds"] + conversion["seconds"]) / (
            all_jobs["job_seconds"] + conversion["seconds"]
        )
    if args.snakemake_dir:
        # The copy sits beside the checkout, so relative paths such as ../shared resolve alike.
        with tempfile.TemporaryDirectory(dir=Path(args.snakemake_dir).resolve().parent) as folder:
            copy_committed_tree(Path(args.snakemake_dir), Path(folder))
            result["dry_run"] = time_command(["snakemake", "-n", "--cores", "2", *args.snakemake_args.split()], Path(folder))
    if args.noop_copy:
        # Like the dry run's copy, this one sits beside the run so that relative paths resolve alike.
        with tempfile.TemporaryDirectory(dir=run_dir.resolve().parent) as folder:
            shutil.copytree(run_dir, folder, symlinks=True, dirs_exist_ok=True)
            result["noop_rerun"] = time_command(["snakemake", "--cores", "2", *args.snakemake_args.split()], Path(folder))

    all_jobs = result["summary"]["all"]
    print(f"{all_jobs['jobs']} jobs: {all_jobs['job_seconds']:.0f} s in jobs, {all_jobs['fit_seconds']:.0f} s "
          f"in fit, overhead {all_jobs['overhead_share']:.1%}")  # fmt: skip
    if "overhead_share_with_conversion" in result:
        conversion = result["rules_from_log"].get("training_arrays", {"jobs": 0, "seconds": 0.0})
        print(f"{conversion['jobs']} conversion jobs: {conversion['seconds']:.0f} s; overhead with them "
              f"{result['overhead_share_with_conversion']:.1%}")  # fmt: skip
    for key in ("dry_run", "noop_rerun"):
        if key in result:
            print(f"{key}: {result[key]['seconds']:.1f} s (exit {result[key]['returncode']})")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(result, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
