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

    Checks that the figure networks are configured networks, and that the random layers of
    Figure 2 and the sphere samples can show anything.
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
