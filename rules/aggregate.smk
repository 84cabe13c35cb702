def cell_jsons(wildcards):
    return [
        f"results/cells/{wildcards.study}/{wildcards.dataset}/{cell.name}.json"
        for cell in study_cells(wildcards.study, wildcards.dataset)
    ]


def cell_benchmarks(wildcards):
    return [
        f"results/benchmarks/{wildcards.study}/{wildcards.dataset}/{cell.name}.tsv"
        for cell in study_cells(wildcards.study, wildcards.dataset)
    ]


def study_metadata(wildcards):
    preprocessing = study_preprocessing(wildcards.study, wildcards.dataset)
    return f"{feature_dir(wildcards.dataset, preprocessing)}/metadata.json"


def all_grids():
    return [
        f"results/tables/{study}/{dataset}_grid.csv"
        for study in STUDIES
        for dataset in sorted(config["studies"][study]["datasets"])
    ]


def all_metadata():
    return sorted(
        {
            f"{feature_dir(cell.dataset, cell.preprocessing)}/metadata.json"
            for cell in CELLS
        }
    )


rule aggregate:
    input:
        cells=cell_jsons,
        benchmarks=cell_benchmarks,
        metadata=study_metadata,
        code=AGGREGATION_SOURCES,
    output:
        grid=report(
            "results/tables/{study}/{dataset}_grid.csv",
            category="Tables",
            subcategory="{study}",
            labels={"study": "{study}", "dataset": "{dataset}", "table": "grid"},
        ),
        top=report(
            "results/tables/{study}/{dataset}_top.md",
            category="Tables",
            subcategory="{study}",
            labels={"study": "{study}", "dataset": "{dataset}", "table": "top"},
        ),
        cost="results/tables/{study}/{dataset}_cost.csv",
    params:
        top_n=config.get("top_n", 5),
    conda:
        "../envs/mlp.yaml"
    log:
        "logs/aggregate/{study}/{dataset}.log",
    script:
        "../scripts/aggregate.py"


def optional_baselines(wildcards):
    """Return the baseline table when benchmarks/baselines.py has written it.

    scikit-learn is no workflow dependency, so no rule builds the table; the
    summary picks it up, and reruns, once it exists.
    """
    path = "results/tables/baselines.csv"
    return [path] if Path(path).exists() else []


rule summary:
    input:
        grids=all_grids(),
        seeds=[grid.replace("_grid.csv", "_seeds.csv") for grid in all_grids()],
        baselines=optional_baselines,
        metadata=all_metadata(),
        costs=[grid.replace("_grid.csv", "_cost.csv") for grid in all_grids()],
        code=AGGREGATION_SOURCES,
    output:
        summary=report(
            "results/tables/summary.md", category="Tables", labels={"table": "summary"}
        ),
        cost=report("results/tables/cost.md", category="Tables", labels={"table": "cost"}),
    params:
        reference_accuracy=dict(sorted(config.get("reference_accuracy", {}).items())),
        studies=STUDIES,
        datasets=DATASETS,
    conda:
        "../envs/mlp.yaml"
    log:
        "logs/aggregate/summary.log",
    script:
        "../scripts/summary.py"


rule figures:
    input:
        grid="results/tables/{study}/{dataset}_grid.csv",
        cells=cell_jsons,
        code=FIGURE_SOURCES,
    output:
        heatmap=report(
            "results/figures/{study}/{dataset}_width_depth.png",
            category="Figures",
            subcategory="{study}",
            labels={"study": "{study}", "dataset": "{dataset}", "figure": "width x depth"},
        ),
        params=report(
            "results/figures/{study}/{dataset}_accuracy_vs_parameters.png",
            category="Figures",
            subcategory="{study}",
            labels={"study": "{study}", "dataset": "{dataset}", "figure": "parameters"},
        ),
        curves=report(
            "results/figures/{study}/{dataset}_loss_curves.png",
            category="Figures",
            subcategory="{study}",
            labels={"study": "{study}", "dataset": "{dataset}", "figure": "loss curves"},
        ),
        lr=report(
            "results/figures/{study}/{dataset}_learning_rate_iterations.png",
            category="Figures",
            subcategory="{study}",
            labels={"study": "{study}", "dataset": "{dataset}", "figure": "learning rate"},
        ),
    params:
        top_n=config.get("top_n", 5),
    conda:
        "../envs/mlp.yaml"
    log:
        "logs/figures/{study}/{dataset}.log",
    script:
        "../scripts/figures.py"


rule submission:
    input:
        grid=lambda wildcards: f"results/tables/{submission_study()}/amazon_reviews_grid.csv",
        cells=lambda wildcards: [
            f"results/cells/{submission_study()}/amazon_reviews/{cell.name}.json"
            for cell in study_cells(submission_study(), "amazon_reviews")
        ],
        competition_test=lambda wildcards: feature_dir(
            "amazon_reviews", study_preprocessing(submission_study(), "amazon_reviews")
        )
        + "/competition_test.parquet",
        code=AGGREGATION_SOURCES,
    output:
        report("results/submissions/amazon_reviews.csv", category="Submission"),
    conda:
        "../envs/mlp.yaml"
    log:
        "logs/submission/amazon_reviews.log",
    script:
        "../scripts/submission.py"
