rule train:
    input:
        unpack(feature_inputs),
        sources=TRAINING_SOURCES,
    output:
        json="results/cells/{study}/{dataset}/{cell}.json",
    log:
        "logs/train/{study}/{dataset}/{cell}.log",
    benchmark:
        "results/benchmarks/{study}/{dataset}/{cell}.tsv"
    # Only grid cells share the "train" group. Seed reruns come after the
    # select_top checkpoint, and grouping them makes Snakemake 9.27 submit one
    # group again after each checkpoint, then fail on a KeyError.
    group:
        lambda wildcards: "train" if is_grid_cell(wildcards) else None
    conda:
        "../envs/mlp.yaml"
    threads: 1
    resources:
        mem_mb=lambda wildcards: estimate_resources(cell_of(wildcards))["mem_mb"],
        runtime=lambda wildcards: estimate_resources(cell_of(wildcards))["runtime"],
    params:
        cell=lambda wildcards: dict(sorted(cell_of(wildcards).params.items())),
        budgets=lambda wildcards: list(cell_of(wildcards).budgets),
    script:
        "../scripts/train.py"
