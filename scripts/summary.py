"""Snakemake script: summary and cost markdown over every study and dataset."""

from gridstudy.aggregate import summarise
from gridstudy.joblog import log_to_file


def main(grids, costs, metadata, summary, cost, reference_accuracy, studies, datasets, seeds, baselines):
    summarise(grids, costs, metadata, summary, cost, reference_accuracy, studies, datasets, seeds, baselines)


if __name__ == "__main__":
    log_to_file(snakemake.log[0])  # noqa: F821  (injected by Snakemake)
    main(
        grids=list(snakemake.input.grids),  # noqa: F821
        costs=list(snakemake.input.costs),  # noqa: F821
        metadata=list(snakemake.input.metadata),  # noqa: F821
        summary=snakemake.output.summary,  # noqa: F821
        cost=snakemake.output.cost,  # noqa: F821
        reference_accuracy=dict(snakemake.params.reference_accuracy),  # noqa: F821
        studies=list(snakemake.params.studies),  # noqa: F821
        datasets=list(snakemake.params.datasets),  # noqa: F821
        seeds=list(snakemake.input.seeds),  # noqa: F821
        # The baseline table is an optional input: present only once benchmarks/baselines.py wrote it.
        baselines=(list(snakemake.input.baselines) or [None])[0],  # noqa: F821
    )
