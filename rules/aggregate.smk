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
    log:
        "logs/aggregate/{study}/{dataset}.log",
    conda:
        "../envs/mlp.yaml"
    params:
        top_n=config.get("top_n", 5),
    script:
        "../scripts/aggregate.py"


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
        cost=report(
            "results/tables/cost.md", category="Tables", labels={"table": "cost"}
        ),
    log:
        "logs/aggregate/summary.log",
    conda:
        "../envs/mlp.yaml"
    params:
        reference_accuracy=dict(sorted(config.get("reference_accuracy", {}).items())),
        studies=STUDIES,
        datasets=DATASETS,
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
            labels={
                "study": "{study}",
                "dataset": "{dataset}",
                "figure": "width x depth",
            },
        ),
        params=report(
            "results/figures/{study}/{dataset}_accuracy_vs_parameters.png",
            category="Figures",
            subcategory="{study}",
            labels={
                "study": "{study}",
                "dataset": "{dataset}",
                "figure": "parameters",
            },
        ),
        curves=report(
            "results/figures/{study}/{dataset}_loss_curves.png",
            category="Figures",
            subcategory="{study}",
            labels={
                "study": "{study}",
                "dataset": "{dataset}",
                "figure": "loss curves",
            },
        ),
        lr=report(
            "results/figures/{study}/{dataset}_learning_rate_iterations.png",
            category="Figures",
            subcategory="{study}",
            labels={
                "study": "{study}",
                "dataset": "{dataset}",
                "figure": "learning rate",
            },
        ),
    log:
        "logs/figures/{study}/{dataset}.log",
    conda:
        "../envs/mlp.yaml"
    params:
        top_n=config.get("top_n", 5),
    script:
        "../scripts/figures.py"


rule submission:
    input:
        unpack(submission_inputs),
        code=AGGREGATION_SOURCES,
    output:
        report("results/submissions/amazon_reviews.csv", category="Submission"),
    log:
        "logs/submission/amazon_reviews.log",
    conda:
        "../envs/mlp.yaml"
    script:
        "../scripts/submission.py"
