"""relusv: ReLU singular values, Gaussian mean widths, double-layers and harmonic pruning.

After Dittmer, King and Maass, "Singular Values for ReLU Layers", IEEE TNNLS 31(9), 2020.
Modules by concept of the paper:

- :mod:`relusv.singular_values`: linear singular values, sphere samples and numerical upper
  bounds on (data-dependent, affine) ReLU singular values (sections II, III); the batched
  optimisation behind them is :mod:`relusv._bounds_optimiser` (its bucket plan, data-aware
  start and progress log in :mod:`relusv._bounds_plan`, :mod:`relusv._bounds_starts`,
  :mod:`relusv._bounds_progress`), the exact rank 0
  :mod:`relusv.enclosing_ball` (the smallest enclosing ball, certified);
  :mod:`relusv.sphere_bounds`: the paper's sample bounds and refined bounds on the unit sphere
  (Figure 2).
- :mod:`relusv.widths`: Gaussian and spherical mean width of finite sets and operators (IV);
  :mod:`relusv.width_subsamples`: paired width differences over random point subsamples (C5).
- :mod:`relusv.layers`: the ``DoubleDense`` Keras layer and double-p-product initialisation (V),
  and an MLP's hidden layers.
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
:mod:`relusv.rules` (a rule script's glue) and :mod:`relusv.config` (cross-key config checks and
replicates). ``relusv analyse`` (:mod:`relusv.cli`) runs the analyses on a user's own MLP:
:mod:`relusv.inference_layers` (layers that are the identity at inference, BatchNormalization
folded into its Dense layer), :mod:`relusv.foreign_weights` (PyTorch-style state_dicts in
``.safetensors`` or ``.npz``), :mod:`relusv.analyse_data` (its data and held-out splits),
:mod:`relusv.progress` and :mod:`relusv.quiet_tensorflow`. The tooling about the workflow's
Snakemake jobs (their time and memory, estimates, the job graph and simulated runs) is a package
of its own, :mod:`relusv_workflow`.
"""

__version__ = "0.1.0"
