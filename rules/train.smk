def feature_inputs(wildcards):
    cell = cell_of(wildcards)
    base = feature_dir(cell.dataset, cell.preprocessing)
    files = {
        "train": f"{base}/train.parquet",
        "validation": f"{base}/validation.parquet",
        "test": f"{base}/test.parquet",
    }
    if cell.dataset == "amazon_reviews":
        files["competition_test"] = f"{base}/competition_test.parquet"
    if not is_grid_cell(wildcards):
        # A seed rerun reads its params from the checkpoint's selection, which
        # Snakemake requires as an input. ancient() keeps a rewritten
        # selection from retraining: the params trigger still catches a change.
        files["selection"] = ancient(selection_file(cell.study, cell.dataset))
    return files


rule train:
    input:
        unpack(feature_inputs),
        sources=TRAINING_SOURCES,
    output:
        json="results/cells/{study}/{dataset}/{cell}.json",
    params:
        cell=lambda wildcards: dict(sorted(cell_of(wildcards).params.items())),
        budgets=lambda wildcards: list(cell_of(wildcards).budgets),
    threads: 1
    resources:
        mem_mb=lambda wildcards: estimate_resources(cell_of(wildcards))["mem_mb"],
        runtime=lambda wildcards: estimate_resources(cell_of(wildcards))["runtime"],
    group:
        "train"
    benchmark:
        "results/benchmarks/{study}/{dataset}/{cell}.tsv"
    conda:
        "../envs/mlp.yaml"
    log:
        "logs/train/{study}/{dataset}/{cell}.log",
    script:
        "../scripts/train.py"
