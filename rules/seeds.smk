# Seed reruns: after a study's grid, the select_top checkpoint picks the best
# configurations on validation accuracy, the train rule reruns them with more
# seeds, and seed_table reports their test metrics over seeds.


checkpoint select_top:
    input:
        grid="results/tables/{study}/{dataset}_grid.csv",
        cells=cell_jsons,
        code=SEED_SOURCES,
    output:
        selected="results/seeds/{study}/{dataset}_selected.json",
    log:
        "logs/seeds/{study}/{dataset}_select.log",
    conda:
        "../envs/mlp.yaml"
    params:
        top_n=SEED_RERUNS["top_n"],
        seeds=sorted(SEED_RERUNS["seeds"]),
        name_keys=lambda wildcards: name_keys(
            dataset_study(config["studies"][wildcards.study], wildcards.dataset)
        ),
    script:
        "../scripts/select_top.py"


rule seed_table:
    input:
        selected=lambda wildcards: checkpoints.select_top.get(
            **wildcards
        ).output.selected,
        cells=selected_cell_jsons,
        metadata=study_metadata,
        code=SEED_SOURCES,
    output:
        csv="results/tables/{study}/{dataset}_seeds.csv",
        table=report(
            "results/tables/{study}/{dataset}_seeds.md",
            category="Tables",
            subcategory="{study}",
            labels={"study": "{study}", "dataset": "{dataset}", "table": "seeds"},
        ),
    log:
        "logs/seeds/{study}/{dataset}_table.log",
    conda:
        "../envs/mlp.yaml"
    script:
        "../scripts/seed_table.py"
