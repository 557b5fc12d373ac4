"""relusv: ReLU singular values, Gaussian mean widths, double-layers and harmonic pruning.

After Dittmer, King and Maass, "Singular Values for ReLU Layers", IEEE TNNLS 31(9), 2020.
Modules by concept of the paper:

- :mod:`relusv.singular_values`: linear singular values, sphere samples and numerical upper
  bounds on (data-dependent, affine) ReLU singular values (sections II, III); the batched
  optimisation behind them is :mod:`relusv._bounds_optimiser`; :mod:`relusv.sphere_bounds`: the
  paper's sample bounds and refined bounds on the unit sphere (Figure 2).
- :mod:`relusv.widths`: Gaussian and spherical mean width of finite sets and operators (IV).
- :mod:`relusv.layers`: the ``DoubleDense`` Keras layer and double-p-product initialisation (V).
- :mod:`relusv.parameter_counts`: parameters of dense and double-layer MLPs (V-C), no Keras.
- :mod:`relusv.pruning`: harmonic pruning (V) and its baselines (package: ``state``,
  ``harmonic``, ``retraining``, ``baselines``); :mod:`relusv.from_scratch`: the small networks
  trained from scratch of claim C8.

Beside them: :mod:`relusv.models` (MLPs from a plain spec), :mod:`relusv.training`
(deterministic, resumable training), :mod:`relusv.data` (datasets, checked downloads, splits),
:mod:`relusv.subsets` (correct and incorrect points), :mod:`relusv.analyses` (the analyses of a
network or of random layers as tidy DataFrames), :mod:`relusv.tidy` (every tidy table's columns
and the one frame check), :mod:`relusv.paper` (the paper's claims, numbers and architectures),
:mod:`relusv.plotting`, :mod:`relusv.tables`, :mod:`relusv.claims` (figures, tables and the
claims report), :mod:`relusv.files` (atomic writes), :mod:`relusv.provenance` (sidecars),
:mod:`relusv.rules` (a rule script's glue), :mod:`relusv.config` (cross-key config checks and
replicates), :mod:`relusv.workflow_benchmarks` (the workflow's jobs, their time and memory,
estimates) and :mod:`relusv.workflow_schedule` (the job graph Snakemake plans, simulated runs on
N cores: makespan, critical path).
"""

__version__ = "0.1.0"
