"""Snakemake script: test metrics over seeds of the configurations select_top chose."""

from gridstudy.joblog import log_to_file
from gridstudy.seeds import write_seed_tables


def main(selected, cells, metadata, csv, table):
    write_seed_tables(selected, cells, metadata, csv, table)


if __name__ == "__main__":
    log_to_file(snakemake.log[0])  # noqa: F821  (injected by Snakemake)
    main(
        selected=snakemake.input.selected,  # noqa: F821
        cells=list(snakemake.input.cells),  # noqa: F821
        metadata=snakemake.input.metadata,  # noqa: F821
        csv=snakemake.output.csv,  # noqa: F821
        table=snakemake.output.table,  # noqa: F821
    )
