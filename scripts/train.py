"""Train one grid cell and write its metrics at every iteration budget as JSON."""

import logging

from threadpoolctl import threadpool_limits

from gridstudy.arrays import load_training_inputs
from gridstudy.io import write_json_atomic
from gridstudy.joblog import log_to_file
from gridstudy.training import train_cell


def main(train, validation, test, competition_test, output, params, budgets, identity, threads):
    # The inputs are the .npz training copies of the parquet splits, which load
    # in a fraction of the time and without pyarrow.
    paths = {"train": train, "validation": validation, "test": test, "competition_test": competition_test}
    splits, competition_X = load_training_inputs(paths, dtype=params["dtype"])
    logging.info(
        "training %s/%s/%s on %d rows",
        identity["study"], identity["dataset"], identity["cell"], len(splits["train"][1]),
    )

    with threadpool_limits(limits=threads):
        result = train_cell(splits, params, budgets, competition_X)

    final = result["budgets"][-1]
    logging.info("stopped after %d iterations (%s), status %s", final["n_iter"], final["stop_reason"], final["status"])
    write_json_atomic(output, {**identity, **result})


if __name__ == "__main__":
    log_to_file(snakemake.log[0])
    main(
        train=snakemake.input.train,
        validation=snakemake.input.validation,
        test=snakemake.input.test,
        competition_test=snakemake.input.get("competition_test"),
        output=snakemake.output.json,
        params=dict(snakemake.params.cell),
        budgets=list(snakemake.params.budgets),
        identity={"study": snakemake.wildcards.study, "dataset": snakemake.wildcards.dataset, "cell": snakemake.wildcards.cell},
        threads=snakemake.threads,
    )
