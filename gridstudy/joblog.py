"""Logging set-up shared by the workflow's scripts."""

from __future__ import annotations

import logging
import sys


def _log_uncaught(kind, error, traceback) -> None:
    logging.getLogger("job").error("%s", error, exc_info=(kind, error, traceback))


def log_to_file(path) -> None:
    """Send the logging records and stderr of a Snakemake job to its log file.

    An uncaught exception becomes one ERROR record with its traceback, and
    Snakemake shows a failed job's log, so the message reaches the user.
    """
    stream = open(path, "w", encoding="utf-8")
    sys.stderr = stream
    logging.basicConfig(
        stream=stream,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    sys.excepthook = _log_uncaught
