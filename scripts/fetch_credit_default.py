"""Download the credit default data from UCI, or copy a local copy, and record its sha256."""

from gridstudy.joblog import log_to_file
from gridstudy.sources import fetch_credit_default


def main(csv, checksums, local_copy, sha256, timeout_s, retries):
    fetch_credit_default(
        csv=csv,
        checksums=checksums,
        local_copy=local_copy,
        sha256=dict(sha256 or {}),
        timeout_s=float(timeout_s),
        retries=int(retries),
    )


if __name__ == "__main__":
    log_to_file(snakemake.log[0])
    main(
        csv=snakemake.output.csv,
        checksums=snakemake.output.checksums,
        local_copy=snakemake.params.local_copy,
        sha256=snakemake.params.sha256,
        timeout_s=snakemake.params.timeout_s,
        retries=snakemake.params.retries,
    )
