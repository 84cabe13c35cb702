"""Snakemake script of the select_top checkpoint: the configurations to rerun with more seeds."""

from gridstudy.joblog import log_to_file
from gridstudy.seeds import write_selection


def main(grid, cells, selected, top_n, seeds, name_keys):
    write_selection(grid, cells, selected, top_n=top_n, seeds=seeds, name_keys=name_keys)


if __name__ == "__main__":
    log_to_file(snakemake.log[0])  # noqa: F821  (injected by Snakemake)
    main(
        grid=snakemake.input.grid,  # noqa: F821
        cells=list(snakemake.input.cells),  # noqa: F821
        selected=snakemake.output.selected,  # noqa: F821
        top_n=int(snakemake.params.top_n),  # noqa: F821
        seeds=[int(seed) for seed in snakemake.params.seeds],  # noqa: F821
        name_keys=list(snakemake.params.name_keys),  # noqa: F821
    )
