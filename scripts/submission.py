"""Snakemake script: the competition submission of the selected configuration."""

from gridstudy.aggregate import write_submission
from gridstudy.joblog import log_to_file


def main(grid, cells, competition_test, output):
    write_submission(grid, cells, competition_test, output)


if __name__ == "__main__":
    log_to_file(snakemake.log[0])  # noqa: F821  (injected by Snakemake)
    main(
        grid=snakemake.input.grid,  # noqa: F821
        cells=list(snakemake.input.cells),  # noqa: F821
        competition_test=snakemake.input.competition_test,  # noqa: F821
        output=snakemake.output[0],  # noqa: F821
    )
