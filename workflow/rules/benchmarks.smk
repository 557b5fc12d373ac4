# Workflow benchmarks: every job's wall time, CPU time and peak memory from its `benchmark:`
# file, per job and summed per rule. A target of its own (`snakemake workflow_benchmarks`), not
# part of `all`: it runs the whole DAG first, and its timings differ from run to run. It only
# reads small files: on a cluster it runs where snakemake runs (profiles/README.md).

localrules:
    workflow_benchmarks,


rule workflow_benchmarks:
    input:
        lambda wildcards: list(benchmarked_jobs()),
    output:
        jobs="results/benchmarks/summary/jobs.csv",
        rules=report("results/benchmarks/summary/rules.csv",
                     caption="../report/workflow_benchmarks.rst", category="Benchmarks"),
        rules_other=multiext("results/benchmarks/summary/rules", ".md", ".tex"),
    params:
        jobs=lambda wildcards: list(benchmarked_jobs().values()),
    log:
        "logs/benchmarks/workflow_benchmarks.log",
    benchmark:
        "results/benchmarks/summary/workflow_benchmarks.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/workflow_benchmarks.py"
