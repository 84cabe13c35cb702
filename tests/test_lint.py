"""Snakemake's linter and snakefmt accept the workflow as committed."""

import shutil
import subprocess
import sys

import pytest

from tests.smallflow import REPOSITORY

RULE_FILES = ["Snakefile", *sorted(str(path.relative_to(REPOSITORY)) for path in (REPOSITORY / "rules").glob("*.smk"))]


def test_snakemake_lint_clean():
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Lints for" not in output, output


@pytest.mark.skipif(shutil.which("snakefmt") is None, reason="snakefmt is not installed (pip install -e '.[test]')")
def test_snakefmt_leaves_rules_unchanged():
    result = subprocess.run(
        ["snakefmt", "--check", *RULE_FILES], cwd=REPOSITORY, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
