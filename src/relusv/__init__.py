"""relusv: ReLU singular values, the Gaussian mean width of operators, double-layers and
harmonic pruning, after Dittmer, King and Maass, "Singular Values for ReLU Layers",
IEEE TNNLS 31(9), 2020.

Modules by concept of the paper:

- :mod:`relusv.widths`: Gaussian and spherical mean width of finite sets and operators (section IV).
- :mod:`relusv.singular_values`: linear singular values and numerical upper bounds on
  (data-dependent, affine) ReLU singular values (sections II and III).
- :mod:`relusv.layers`: the ``DoubleDense`` Keras layer and double-p-product initialisation
  (section V).
- :mod:`relusv.parameter_counts`: parameters of dense and double-layer MLPs (section V-C),
  without Keras.
- :mod:`relusv.models`: dense and double-layer MLPs built from a plain spec.
- :mod:`relusv.pruning`: harmonic pruning (section V), its baselines and the from-scratch
  comparison.

Beside them: :mod:`relusv.data` (datasets, checked downloads, splits), :mod:`relusv.training`
(deterministic, resumable training), :mod:`relusv.subsets` (correct and incorrect points),
:mod:`relusv.experiments` (the experiments as tidy DataFrames), :mod:`relusv.plotting`,
:mod:`relusv.tables`, :mod:`relusv.claims`, :mod:`relusv.results` (atomic writes, provenance),
:mod:`relusv.config` (cross-key config checks) and :mod:`relusv.workflow_benchmarks` (the
workflow's jobs, their time and memory, and estimates for configurations not run).
"""

__version__ = "0.1.0"
