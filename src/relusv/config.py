"""Checks of the workflow configuration that a JSON schema cannot express.

The schema (``workflow/schemas/config.schema.yaml``) checks types, ranges and unknown keys; this
module checks how keys relate to each other. Both run when the workflow starts, before any job,
so a mistake costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping


class ConfigError(ValueError):
    """A configuration value is not allowed; the message names the key and what is allowed."""


def check_config(config: Mapping) -> None:
    """Raise :class:`ConfigError` for the first cross-key inconsistency in ``config``.

    Checks that the figure networks are configured networks, that the random layers of
    Figure 2 can show anything, and that the from-scratch architectures' ranks fit their widths.
    """
    networks = config["networks"]
    for name in config["figure_networks"]:
        if name not in networks:
            raise ConfigError(
                f"figure_networks: {name!r} is not a configured network; "
                f"allowed are the keys of networks: {sorted(networks)}")
    for i, shape in enumerate(config.get("random_layers", {}).get("shapes", [])):
        if min(shape) < 2:
            raise ConfigError(
                f"random_layers.shapes[{i}]: {shape} has a dimension below 2, so its only "
                "singular value is exact and the figure shows nothing; use m, n >= 2")
    pruning = config.get("pruning", {})
    for i, arch in enumerate(pruning.get("from_scratch", {}).get("architectures", [])):
        ranks, widths = arch["ranks"], arch["widths"]
        if ranks is None:
            continue
        key = f"pruning.from_scratch.architectures[{i}]"
        if len(ranks) != len(widths):
            raise ConfigError(f"{key}: ranks {ranks} need one entry per width of {widths}")
        for rank, width in zip(ranks, widths, strict=True):
            if rank > width:
                raise ConfigError(f"{key}: rank {rank} is above its layer's width {width}; a "
                                  "layer's rank is at most min(inputs, width)")
