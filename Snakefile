# Grid study of a NumPy multi-layer perceptron: raw data -> features -> one
# training job per grid cell -> tables, seed reruns of the best configurations,
# figures and a competition submission.


configfile: "config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/features.smk"
include: "rules/train.smk"
include: "rules/aggregate.smk"
include: "rules/seeds.smk"


# Downloads, the conversion to training archives and aggregation run on the
# submitting host: they are light, and cluster nodes often cannot reach the
# internet.
localrules:
    all,
    fetch_credit_default,
    fetch_amazon_reviews,
    training_arrays,
    aggregate,
    summary,
    select_top,
    seed_table,
    figures,
    submission,


rule all:
    default_target: True
    input:
        final_outputs(),
