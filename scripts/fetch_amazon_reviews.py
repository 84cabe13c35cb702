"""Download the Amazon reviews competition files from Kaggle, or extract a local copy."""

from gridstudy.joblog import log_to_file
from gridstudy.sources import fetch_amazon_reviews


def main(train, test, sample_submission, checksums, competition, local_copy, sha256, timeout_s, retries):
    fetch_amazon_reviews(
        train=train,
        test=test,
        sample_submission=sample_submission,
        checksums=checksums,
        competition=competition,
        local_copy=local_copy,
        sha256=dict(sha256 or {}),
        timeout_s=float(timeout_s),
        retries=int(retries),
    )


if __name__ == "__main__":
    log_to_file(snakemake.log[0])
    main(
        train=snakemake.output.train,
        test=snakemake.output.test,
        sample_submission=snakemake.output.sample_submission,
        checksums=snakemake.output.checksums,
        competition=snakemake.params.competition,
        local_copy=snakemake.params.local_copy,
        sha256=snakemake.params.sha256,
        timeout_s=snakemake.params.timeout_s,
        retries=snakemake.params.retries,
    )
