# Tables: Table I (the two figure networks), the table of every network, the bounds of both
# procedures, the parameter counts and the from-scratch runs, as CSV, Markdown
# and LaTeX.

# About 1 s per table on the paper config (benchmarks/results/workflow_probe_jobs.csv): on a
# cluster they run where snakemake runs instead of waiting in the queue (profiles/README.md).
localrules:
    training_tables,
    parameter_table,
    from_scratch_table,
    bounds_table,


rule training_tables:
    input:
        summaries=all_replicates("results/training/{network}/seed{seed}/summary.json"),
    output:
        table1="figures/tables/table1.csv",
        table1_html=report("figures/tables/table1.html",
                           caption="../report/table1.rst",
                           category="Tables"),
        table1_other=multiext("figures/tables/table1", ".md", ".tex"),
        networks="figures/tables/networks.csv",
        networks_html=report("figures/tables/networks.html",
                             caption="../report/networks_table.rst",
                             category="Tables"),
        networks_other=multiext("figures/tables/networks", ".md", ".tex"),
        timings="figures/tables/timings.csv",
        timings_html=report("figures/tables/timings.html",
                            caption="../report/timings_table.rst",
                            category="Tables"),
        timings_other=multiext("figures/tables/timings", ".md", ".tex"),
    params:
        figure_networks=FIGURE_NETWORKS,
    log:
        "logs/tables/training_tables.log",
    benchmark:
        "results/benchmarks/tables/training_tables.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/training_tables.py"


rule parameter_table:
    output:
        table="figures/tables/parameters.csv",
        html=report("figures/tables/parameters.html",
                    caption="../report/parameters_table.rst",
                    category="Tables"),
        other=multiext("figures/tables/parameters", ".md", ".tex"),
    params:
        input_dims=config["pruning"]["parameter_table_inputs"],
    log:
        "logs/tables/parameter_table.log",
    benchmark:
        "results/benchmarks/tables/parameter_table.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/parameter_table.py"


rule from_scratch_table:
    input:
        summaries=expand("results/pruning/{pruned}/from_scratch_summary.csv",
                         pruned=PRUNED_NETWORKS),
        trained=all_pruned_replicates("results/pruning/{pruned}/seed{seed}/summary.json"),
    output:
        table="figures/tables/from_scratch.csv",
        html=report("figures/tables/from_scratch.html",
                    caption="../report/from_scratch_table.rst",
                    category="Tables"),
        other=multiext("figures/tables/from_scratch", ".md", ".tex"),
    params:
        pruned_networks=PRUNED_NETWORKS,
    log:
        "logs/tables/from_scratch_table.log",
    benchmark:
        "results/benchmarks/tables/from_scratch_table.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/from_scratch_table.py"


rule bounds_table:
    input:
        bounds=all_replicates("results/bounds/{network}/seed{seed}.csv"),
    output:
        table="figures/tables/bounds.csv",
        html=report("figures/tables/bounds.html",
                    caption="../report/bounds_table.rst",
                    category="Tables"),
        other=multiext("figures/tables/bounds", ".md", ".tex"),
    log:
        "logs/tables/bounds_table.log",
    benchmark:
        "results/benchmarks/tables/bounds_table.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/bounds_table.py"
