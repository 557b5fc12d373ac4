# Reproduction of "Singular Values for ReLU Layers" (Dittmer, King, Maass, IEEE TNNLS 2020).
#
#   snakemake --cores N                                   the full paper (config/config.yaml)
#   snakemake --cores N --configfile config/demo.yaml --directory demo    the offline demo
#
# The DAG, stage by stage: data -> training -> subsets -> bounds, widths -> figures, tables,
# claims; random layers (Figure 2) and Figure 1 need no data; data -> double-layer networks ->
# harmonic pruning -> baselines -> Figure 5 and the pruning figure (section V).

from snakemake.utils import min_version

min_version("9.0")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/subsets.smk"
include: "workflow/rules/bounds.smk"
include: "workflow/rules/widths.smk"
include: "workflow/rules/random_layers.smk"
include: "workflow/rules/pruning.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/benchmarks.smk"


rule all:
    input:
        "figures/fig1_relu_layer.pdf",
        "figures/fig2_random_layers.pdf",
        "figures/fig3_relu_singular_values.pdf",
        "figures/fig4_gaussian_mean_width.pdf",
        expand("figures/appendix/{network}.pdf", network=APPENDIX_NETWORKS),
        expand("figures/tables/{table}.{ext}", table=["table1", "networks"],
               ext=["csv", "md", "tex"]),
        "figures/tables/parameters.csv",
        "figures/tables/bounds.csv",
        "figures/claims.md",
        "results/claims.json",
        "figures/tables/replicates.csv",
        branch(
            PRUNED_NETWORKS,
            then=[
                "figures/fig5_harmonic_pruning.pdf",
                "figures/pruning_baselines.pdf",
                "figures/tables/from_scratch.csv",
            ],
        ),
    default_target: True
