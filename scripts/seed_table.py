"""Snakemake script: test metrics over seeds of the configurations select_top chose."""

import logging
import sys

from gridstudy.seeds import write_seed_tables


def main(selected, cells, metadata, csv, table):
    write_seed_tables(selected, cells, metadata, csv, table)


if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821  (injected by Snakemake)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    main(
        selected=snakemake.input.selected,  # noqa: F821
        cells=list(snakemake.input.cells),  # noqa: F821
        metadata=snakemake.input.metadata,  # noqa: F821
        csv=snakemake.output.csv,  # noqa: F821
        table=snakemake.output.table,  # noqa: F821
    )
