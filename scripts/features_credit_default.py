"""Build the credit default feature splits and metadata from the raw CSV."""

from gridstudy.features import build_credit_features
from gridstudy.joblog import log_to_file


def main(csv, checksums, train, validation, test, metadata, split, categories, preprocessing):
    build_credit_features(
        csv=csv,
        checksums=checksums,
        train=train,
        validation=validation,
        test=test,
        metadata=metadata,
        split=dict(split),
        categories={name: list(codes) for name, codes in dict(categories).items()},
        preprocessing=preprocessing,
    )


if __name__ == "__main__":
    log_to_file(snakemake.log[0])
    main(
        csv=snakemake.input.csv,
        checksums=snakemake.input.checksums,
        train=snakemake.output.train,
        validation=snakemake.output.validation,
        test=snakemake.output.test,
        metadata=snakemake.output.metadata,
        split=snakemake.params.split,
        categories=snakemake.params.categories,
        preprocessing=snakemake.params.preprocessing,  # noqa: F821
    )
