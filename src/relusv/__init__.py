"""relusv: ReLU singular values, the Gaussian mean width of operators, double-layers and
harmonic pruning, after Dittmer, King and Maass, "Singular Values for ReLU Layers",
IEEE TNNLS 31(9), 2020.

Modules by concept of the paper:

- :mod:`relusv.widths`: Gaussian and spherical mean width of finite sets and operators (section IV).
- :mod:`relusv.singular_values`: linear singular values and numerical upper bounds on
  (data-dependent, affine) ReLU singular values (sections II and III).
- :mod:`relusv.layers`: the ``DoubleDense`` Keras layer, double-p-product initialisation and
  parameter counts (section V).
- :mod:`relusv.models`: dense and double-layer MLPs built from a plain spec.
- :mod:`relusv.pruning`: harmonic pruning (section V), its baselines and the from-scratch
  comparison.

Beside them: :mod:`relusv.data` (datasets, checked downloads, splits), :mod:`relusv.training`
(deterministic, resumable training), :mod:`relusv.subsets` (correct and incorrect points),
:mod:`relusv.experiments` (the experiments as tidy DataFrames), :mod:`relusv.plotting`,
:mod:`relusv.tables`, :mod:`relusv.claims`, :mod:`relusv.results` (atomic writes, provenance) and
:mod:`relusv.config` (cross-key config checks).
"""

__version__ = "0.1.0"
