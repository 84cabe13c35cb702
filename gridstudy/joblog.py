"""Logging set-up shared by the workflow's scripts."""

from __future__ import annotations

import logging
import sys


def log_to_file(path) -> None:
    """Send the logging records and stderr of a Snakemake job to its log file.

    Snakemake shows a failed job's log, so uncaught tracebacks land there too.
    """
    stream = open(path, "w", encoding="utf-8")
    sys.stderr = stream
    logging.basicConfig(
        stream=stream,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
