rule fetch_credit_default:
    input:
        local_copy("credit_default"),
    output:
        csv="data/raw/credit_default/data.csv",
        checksums="data/raw/credit_default/sha256.json",
    log:
        "logs/fetch/credit_default.log",
    conda:
        "../envs/mlp.yaml"
    params:
        local_copy=config["data"]["credit_default"].get("local_copy"),
        sha256=dict(sorted(config["data"]["credit_default"].get("sha256", {}).items())),
        timeout_s=config["download"].get("timeout_s", 60),
        retries=config["download"].get("retries", 3),
    script:
        "../scripts/fetch_credit_default.py"


rule fetch_amazon_reviews:
    input:
        local_copy("amazon_reviews"),
    output:
        train="data/raw/amazon_reviews/train.csv",
        test="data/raw/amazon_reviews/test.csv",
        sample_submission="data/raw/amazon_reviews/sample_submission.csv",
        checksums="data/raw/amazon_reviews/sha256.json",
    log:
        "logs/fetch/amazon_reviews.log",
    conda:
        "../envs/mlp.yaml"
    params:
        local_copy=config["data"]["amazon_reviews"].get("local_copy"),
        competition=config["data"]["amazon_reviews"].get(
            "competition", "184-702-tu-ml-2025-s-reviews"
        ),
        sha256=dict(sorted(config["data"]["amazon_reviews"].get("sha256", {}).items())),
        timeout_s=config["download"].get("timeout_s", 60),
        retries=config["download"].get("retries", 3),
    script:
        "../scripts/fetch_amazon_reviews.py"
