"""Convert one parquet feature file to the .npz archive that training jobs load."""

from gridstudy.features import write_training_arrays
from gridstudy.joblog import log_to_file


if __name__ == "__main__":
    log_to_file(snakemake.log[0])
    write_training_arrays(snakemake.input.parquet, snakemake.output.archive)
