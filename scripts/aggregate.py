"""Snakemake script: grid CSV, cost CSV and top table of one study and dataset."""

import logging
import sys

from gridstudy.aggregate import aggregate


def main(cells, benchmarks, metadata, grid, top, cost, top_n):
    aggregate(cells, benchmarks, metadata, grid, top, cost, top_n=top_n)


if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821  (injected by Snakemake)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
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
