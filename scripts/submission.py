"""Snakemake script: the competition submission of the selected configuration."""

import logging
import sys

from gridstudy.aggregate import write_submission


def main(grid, cells, competition_test, output):
    write_submission(grid, cells, competition_test, output)


if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821  (injected by Snakemake)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    main(
        grid=snakemake.input.grid,  # noqa: F821
        cells=list(snakemake.input.cells),  # noqa: F821
        competition_test=snakemake.input.competition_test,  # noqa: F821
        output=snakemake.output[0],  # noqa: F821
    )
