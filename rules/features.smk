rule features_credit_default:
    input:
        csv=rules.fetch_credit_default.output.csv,
        checksums=rules.fetch_credit_default.output.checksums,
    output:
        train="data/features/credit_default/{preprocessing}/train.parquet",
        validation="data/features/credit_default/{preprocessing}/validation.parquet",
        test="data/features/credit_default/{preprocessing}/test.parquet",
        metadata="data/features/credit_default/{preprocessing}/metadata.json",
    log:
        "logs/features/credit_default_{preprocessing}.log",
    wildcard_constraints:
        preprocessing="standardize|log_onehot",
    conda:
        "../envs/mlp.yaml"
    params:
        split=dict(sorted(config["split"].items())),
        categories=dict(sorted(config["data"]["credit_default"]["categories"].items())),
        preprocessing="{preprocessing}",
    script:
        "../scripts/features_credit_default.py"


rule features_amazon_reviews:
    input:
        train=rules.fetch_amazon_reviews.output.train,
        test=rules.fetch_amazon_reviews.output.test,
        checksums=rules.fetch_amazon_reviews.output.checksums,
    output:
        train="data/features/amazon_reviews/{preprocessing}/train.parquet",
        validation="data/features/amazon_reviews/{preprocessing}/validation.parquet",
        test="data/features/amazon_reviews/{preprocessing}/test.parquet",
        competition_test="data/features/amazon_reviews/{preprocessing}/competition_test.parquet",
        metadata="data/features/amazon_reviews/{preprocessing}/metadata.json",
    log:
        "logs/features/amazon_reviews_{preprocessing}.log",
    wildcard_constraints:
        preprocessing="standardize|tfidf",
    conda:
        "../envs/mlp.yaml"
    params:
        split=dict(sorted(config["split"].items())),
        preprocessing="{preprocessing}",
    script:
        "../scripts/features_amazon_reviews.py"


# Training jobs read these .npz copies: loading a reviews split from parquet
# costs about a second per job, the archive a few hundredths of that.
rule training_arrays:
    input:
        parquet="data/features/{dataset}/{preprocessing}/{name}.parquet",
    output:
        archive="data/arrays/{dataset}/{preprocessing}/{name}.npz",
    log:
        "logs/arrays/{dataset}/{preprocessing}/{name}.log",
    wildcard_constraints:
        name="train|validation|test|competition_test",
    conda:
        "../envs/mlp.yaml"
    script:
        "../scripts/training_arrays.py"
