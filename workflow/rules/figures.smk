# Figures: seaborn on the tidy CSVs, PDF for papers and PNG for the report. Only these rules
# read config["plot"], so changing a plotting parameter reruns nothing but plotting.

# 4-7 s per figure on the paper config (benchmarks/results/workflow_probe_jobs.csv): on a cluster
# they run where snakemake runs instead of waiting in the queue (profiles/README.md).
localrules:
    fig1_relu_layer,
    fig2_random_layers,
    fig3_relu_singular_values,
    fig4_gaussian_mean_width,
    appendix_figure,
    fig5_harmonic_pruning,
    pruning_baselines_figure,


rule fig1_relu_layer:
    output:
        pdf="figures/fig1_relu_layer.pdf",
        png=report("figures/fig1_relu_layer.png", caption="../report/fig1_relu_layer.rst",
                   category="Figures"),
    params:
        weights=config["figure1"]["weights"],
        n_points=config["figure1"]["n_points"],
        style=config["plot"],
    log:
        "logs/figures/fig1_relu_layer.log",
    benchmark:
        "results/benchmarks/figures/fig1_relu_layer.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/fig1_relu_layer.py"


rule fig2_random_layers:
    input:
        bounds=rules.random_layer_bounds.output.bounds,
    output:
        pdf="figures/fig2_random_layers.pdf",
        png=report("figures/fig2_random_layers.png", caption="../report/fig2_random_layers.rst",
                   category="Figures"),
    params:
        style=config["plot"],
    log:
        "logs/figures/fig2_random_layers.log",
    benchmark:
        "results/benchmarks/figures/fig2_random_layers.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/fig2_random_layers.py"


rule fig3_relu_singular_values:
    input:
        unpack(lambda wildcards: replicate_outputs("results/bounds/{network}/seed{seed}.csv",
                                                   FIGURE_NETWORKS)),
    output:
        pdf="figures/fig3_relu_singular_values.pdf",
        png=report("figures/fig3_relu_singular_values.png",
                   caption="../report/fig3_relu_singular_values.rst", category="Figures"),
    params:
        style=config["plot"],
    log:
        "logs/figures/fig3_relu_singular_values.log",
    benchmark:
        "results/benchmarks/figures/fig3_relu_singular_values.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/fig3_relu_singular_values.py"


rule fig4_gaussian_mean_width:
    input:
        unpack(lambda wildcards: replicate_outputs("results/widths/{network}/seed{seed}.csv",
                                                   FIGURE_NETWORKS)),
    output:
        pdf="figures/fig4_gaussian_mean_width.pdf",
        png=report("figures/fig4_gaussian_mean_width.png",
                   caption="../report/fig4_gaussian_mean_width.rst", category="Figures"),
    params:
        style=config["plot"],
    log:
        "logs/figures/fig4_gaussian_mean_width.log",
    benchmark:
        "results/benchmarks/figures/fig4_gaussian_mean_width.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/fig4_gaussian_mean_width.py"


rule appendix_figure:
    input:
        bounds=replicates_of("results/bounds/{network}/seed{seed}.csv"),
        widths=replicates_of("results/widths/{network}/seed{seed}.csv"),
    output:
        pdf="figures/appendix/{network}.pdf",
        png=report("figures/appendix/{network}.png", caption="../report/appendix.rst",
                   category="Appendix A", labels={"network": "{network}"}),
    params:
        style=config["plot"],
    log:
        "logs/figures/appendix_{network}.log",
    benchmark:
        "results/benchmarks/figures/appendix_{network}.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/appendix_figure.py"


rule fig5_harmonic_pruning:
    input:
        unpack(lambda wildcards: pruned_replicate_outputs(
            "results/pruning/{pruned}/seed{seed}/harmonic_pruning.csv")),
    output:
        pdf="figures/fig5_harmonic_pruning.pdf",
        png=report("figures/fig5_harmonic_pruning.png",
                   caption="../report/fig5_harmonic_pruning.rst", category="Figures"),
    params:
        style=config["plot"],
    log:
        "logs/figures/fig5_harmonic_pruning.log",
    benchmark:
        "results/benchmarks/figures/fig5_harmonic_pruning.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/fig5_harmonic_pruning.py"


rule pruning_baselines_figure:
    input:
        unpack(lambda wildcards: pruned_replicate_outputs(
            "results/pruning/{pruned}/seed{seed}/baselines.csv")),
    output:
        pdf="figures/pruning_baselines.pdf",
        png=report("figures/pruning_baselines.png", caption="../report/pruning_baselines.rst",
                   category="Beyond the paper"),
    params:
        style=config["plot"],
    log:
        "logs/figures/pruning_baselines.log",
    benchmark:
        "results/benchmarks/figures/pruning_baselines.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/pruning_baselines_figure.py"
