"""Build the Amazon reviews feature splits, competition test features and metadata from the raw CSVs."""

from gridstudy.features import build_review_features
from gridstudy.joblog import log_to_file


def main(train_csv, test_csv, checksums, train, validation, test, competition_test, metadata, split, preprocessing):
    build_review_features(
        train_csv=train_csv,
        test_csv=test_csv,
        checksums=checksums,
        train=train,
        validation=validation,
        test=test,
        competition_test=competition_test,
        metadata=metadata,
        split=dict(split),
        preprocessing=preprocessing,
    )


if __name__ == "__main__":
    log_to_file(snakemake.log[0])
    main(
        train_csv=snakemake.input.train,
        test_csv=snakemake.input.test,
        checksums=snakemake.input.checksums,
        train=snakemake.output.train,
        validation=snakemake.output.validation,
        test=snakemake.output.test,
        competition_test=snakemake.output.competition_test,
        metadata=snakemake.output.metadata,
        split=snakemake.params.split,
        preprocessing=snakemake.params.preprocessing,
    )
