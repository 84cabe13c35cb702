"""Snakemake script: grid CSV, cost CSV and top table of one study and dataset."""

from gridstudy.aggregate import aggregate
from gridstudy.joblog import log_to_file


def main(cells, benchmarks, metadata, grid, top, cost, top_n):
    aggregate(cells, benchmarks, metadata, grid, top, cost, top_n=top_n)


if __name__ == "__main__":
    log_to_file(snakemake.log[0])  # noqa: F821  (injected by Snakemake)
    main(
        cells=list(snakemake.input.cells),  # noqa: F821
        benchmarks=list(snakemake.input.benchmarks),  # noqa: F821
        metadata=snakemake.input.metadata,  # noqa: F821
        grid=snakemake.output.grid,  # noqa: F821
        top=snakemake.output.top,  # noqa: F821
        # The cost CSV is optional so that the grid and top tables stay free of timings.
        cost=snakemake.output.cost,  # noqa: F821
        top_n=int(snakemake.params.top_n),  # noqa: F821
    )
