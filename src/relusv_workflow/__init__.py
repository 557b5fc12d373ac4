"""relusv_workflow: tooling about the workflow's Snakemake jobs, not about the paper.

The paper's mathematics and the tools around it are :mod:`relusv`; this package is what the
workflow and the benchmarks need to plan, time and estimate Snakemake's jobs:

- :mod:`relusv_workflow.benchmarks`: the jobs the target ``all`` runs for a configuration
  (:func:`~relusv_workflow.benchmarks.planned_jobs`, which ``workflow/rules/common.smk`` uses),
  their time and peak memory from Snakemake's benchmark files, per job and rule, and estimates
  for a configuration not run, from a probe;
- :mod:`relusv_workflow.schedule`: the job graph from Snakemake's dry runs and simulated runs of
  it on N cores (makespan, lower bound, critical path);
- :mod:`relusv_workflow.cluster`: what a cluster profile (``profiles/slurm``) submits, from a dry
  run: local jobs, single jobs and group jobs with their resources, and the table of
  ``profiles/README.md`` (``python -m relusv_workflow.cluster``).

It imports :mod:`relusv` (the config's replicates, the tidy tables' subsets); :mod:`relusv`
never imports it (``tests/test_import_graph.py``).
"""
