"""Figures of the paper, drawn from the workflow's tidy CSVs (sections II-V, Appendix A).

- :mod:`relusv.plotting.style`: the one style of every figure (:func:`apply_style`), the layer
  palette, the panel helpers, :func:`count_panels` and :func:`save_figure`;
- :mod:`relusv.plotting.spectral`: Figures 1-4 and the Appendix A figure (ReLU layers, singular
  value bounds, Gaussian mean widths);
- :mod:`relusv.plotting.pruning`: Figure 5 (harmonic pruning) and the pruning baselines figure.

One style for every figure, set in one place:

- colour = layer (a fixed palette, the same layer gets the same colour in every figure);
- line style = subset: correctly classified data solid, incorrectly classified data dashed, as
  the paper draws them (:data:`SUBSET_LINESTYLES`, subsets in :data:`relusv.tidy.SUBSETS`
  order);
- seaborn's ``paper`` context, fonts of at least 7 pt at the sizes used here (about 3.5 in per
  panel column, so a figure reads at the width of one or two journal columns).

Each ``plot_*`` function takes tidy frames (one row per observation, checked against their
:mod:`relusv.tidy` table) and returns a matplotlib :class:`~matplotlib.figure.Figure`;
:func:`save_figure` writes it as PDF and PNG with its panel count in both files' metadata.
Every public name is re-exported here: ``from relusv.plotting import plot_appendix, save_figure``.

Matplotlib runs on the Agg backend, chosen here before any submodule imports pyplot; this package
never imports TensorFlow or Keras.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from relusv.plotting.pruning import (  # noqa: E402
    ACCURACY_COLOR,
    ACCURACY_THRESHOLD,
    METHOD_LABELS,
    plot_harmonic_pruning,
    plot_pruning_baselines,
)
from relusv.plotting.spectral import (  # noqa: E402
    plot_appendix,
    plot_gaussian_mean_width,
    plot_random_layers,
    plot_relu_layer,
    plot_relu_singular_values,
)
from relusv.plotting.style import (  # noqa: E402
    MIN_FONT_SIZE,
    PANEL_WIDTH,
    SUBSET_LINESTYLES,
    apply_style,
    count_panels,
    draw_figure,
    layer_colors,
    save_figure,
)

__all__ = [
    "ACCURACY_COLOR",
    "ACCURACY_THRESHOLD",
    "METHOD_LABELS",
    "MIN_FONT_SIZE",
    "PANEL_WIDTH",
    "SUBSET_LINESTYLES",
    "apply_style",
    "count_panels",
    "draw_figure",
    "layer_colors",
    "plot_appendix",
    "plot_gaussian_mean_width",
    "plot_harmonic_pruning",
    "plot_pruning_baselines",
    "plot_random_layers",
    "plot_relu_layer",
    "plot_relu_singular_values",
    "save_figure",
]
