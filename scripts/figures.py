"""Snakemake script: the four figures of one study and dataset."""

from gridstudy.figures import draw_figures
from gridstudy.joblog import log_to_file


def main(grid, cells, heatmap, params, curves, lr, top_n):
    draw_figures(grid, cells, heatmap, params, curves, lr, top_n=top_n)


if __name__ == "__main__":
    log_to_file(snakemake.log[0])  # noqa: F821  (injected by Snakemake)
    main(
        grid=snakemake.input.grid,  # noqa: F821
        cells=list(snakemake.input.cells),  # noqa: F821
        heatmap=snakemake.output.heatmap,  # noqa: F821
        params=snakemake.output.params,  # noqa: F821
        curves=snakemake.output.curves,  # noqa: F821
        lr=snakemake.output.lr,  # noqa: F821
        top_n=int(snakemake.params.top_n),  # noqa: F821
    )
