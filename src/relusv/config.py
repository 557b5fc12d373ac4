"""Checks of the workflow configuration that a JSON schema cannot express.

The schema (``workflow/schemas/config.schema.yaml``) checks types, ranges and unknown keys; this
module checks how keys relate to each other. Both run when the workflow starts, before any job,
so a mistake costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping


def network_seeds(entry: Mapping) -> list[int]:
    """The seeds of a network's replicates: its config entry's ``seed``, an int or a list.

    Each seed is one replicate of the network (trained, analysed and pruned on its own); a
    single integer is one replicate. The order is the config's.
    """
    seed = entry.get("seed", 0)
    return [int(s) for s in seed] if isinstance(seed, (list, tuple)) else [int(seed)]


def network_replicates(networks: Mapping[str, Mapping], names=None) -> list[tuple[str, int]]:
    """``(network, seed)`` of every replicate of ``names`` (default: all of ``networks``)."""
    return [(name, seed) for name in (networks if names is None else names)
            for seed in network_seeds(networks[name])]


def replicate_entry(networks: Mapping[str, Mapping], name: str, seed, key: str) -> dict:
    """The config entry of replicate ``(name, seed)``: the network's entry with its one seed.

    ``key`` names the config section in the error (``"networks"`` or ``"pruning.networks"``).

    Raises
    ------
    ConfigError
        If ``seed`` is not one of the network's seeds (a target path asked for a replicate
        that the config does not have).
    """
    entry = networks[name]
    seeds = network_seeds(entry)
    if int(seed) not in seeds:
        raise ConfigError(
            f"{key}.{name}: seed {seed} is not one of its replicates {seeds}; add it to "
            f"{key}.{name}.seed to compute that replicate")
    return {field: int(seed) if field == "seed" else entry[field] for field in entry}


#: The ``layer`` wildcard of the one bounds job per subset of a network given as a model
#: (``pretrained:``): its widths are not in the config, so its layers cannot be planned.
ALL_LAYERS = "all"


def bounds_jobs(entry: Mapping, ranks_per_job: int) -> list[tuple[str, str]]:
    """``(layer, part)`` wildcards of a network replicate's bounds jobs, for each subset.

    A hidden layer of width ``w`` has ``ceil(w / ranks_per_job)`` jobs, each the interleaved
    ranks ``k % n == part - 1`` (``relusv.analyses.network_bounds(rank_part=...)``), so that
    no job of a wide layer runs for long. A network given as a model has one job with every
    layer and rank (layer :data:`ALL_LAYERS`, part ``"1"``).
    """
    widths = entry.get("widths")
    if entry.get("pretrained") or not widths:
        return [(ALL_LAYERS, "1")]
    return [(str(layer), str(part)) for layer, width in enumerate(widths, start=1)
            for part in range(1, -(-int(width) // int(ranks_per_job)) + 1)]


def bounds_rank_part(entry: Mapping, layer: str, part: str, ranks_per_job: int):
    """``rank_part=(i, n)`` of bounds job ``(layer, part)`` of :func:`bounds_jobs`; None when
    the layer is not split (one part)."""
    parts = [p for lay, p in bounds_jobs(entry, ranks_per_job) if lay == str(layer)]
    if str(part) not in parts:
        raise ConfigError(f"bounds job layer {layer} part {part} is not planned: with "
                          f"bounds.ranks_per_job {ranks_per_job} the layer has parts {parts}")
    return None if len(parts) == 1 else (int(part) - 1, len(parts))


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
    for name, entry in networks.items():
        if entry.get("pretrained") and len(network_seeds(entry)) > 1:
            raise ConfigError(
                f"networks.{name}.seed: a pretrained network is one replicate, so its seed is "
                f"one integer (it only labels the results), got {entry['seed']}; configure one "
                "network per pretrained model instead")
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


class TracedConfig(dict):
    """The config as a dict that records which keys the workflow reads, for the key-coverage test.

    ``common.smk`` wraps the config in it when the environment variable ``RELUSV_CONFIG_TRACE``
    names a file. Every read of a value (``config[...]``, ``.get``, ``.items()``, ``.values()``)
    is recorded with its key path; a mapping value comes back as another ``TracedConfig``. A
    read whose value was used *as it is* (a leaf, or a mapping handed whole to a rule's params)
    rather than looked into further is a *use*; :meth:`used_paths` lists them, and
    :func:`trace_config` writes them to the file when the process exits. A key below a used
    mapping reaches a rule as part of it; ``relusv.rules.TrackedParams`` then checks that the
    rule's script reads it. Iterating over the keys alone (``sorted(config["networks"])``) uses
    no value.
    """

    def __init__(self, values: Mapping, path: tuple[str, ...] = (), reads: list | None = None):
        super().__init__(values)
        self._path = path
        self._reads = [] if reads is None else reads
        self._record = [path, False]  # [key path, looked into]
        self._reads.append(self._record)

    def _child(self, key, value):
        self._record[1] = True
        path = (*self._path, str(key))
        if isinstance(value, Mapping):
            return TracedConfig(value, path, self._reads)
        self._reads.append([path, False])
        return value

    def __getitem__(self, key):
        return self._child(key, super().__getitem__(key))

    def get(self, key, default=None):
        return self[key] if key in self else default

    def __iter__(self):
        self._record[1] = True
        return super().__iter__()

    def keys(self):
        self._record[1] = True
        return super().keys()

    def items(self):
        return [(key, self[key]) for key in super().keys()]

    def values(self):
        return [self[key] for key in super().keys()]

    def used_paths(self) -> list[str]:
        """Dotted key paths whose values were used as they are, sorted, without repeats."""
        return sorted({".".join(path) for path, looked_into in self._reads
                       if path and not looked_into})


#: The environment variable that turns the config trace on: the file the used paths go to.
TRACE_VARIABLE = "RELUSV_CONFIG_TRACE"


def trace_config(config: Mapping, trace_file: str | None = None) -> Mapping:
    """Wrap ``config`` in a :class:`TracedConfig` whose used paths go to ``trace_file`` at exit.

    ``trace_file`` defaults to the environment variable :data:`TRACE_VARIABLE`; without either,
    ``config`` is returned unchanged.
    """
    import atexit
    import json
    import os

    trace_file = trace_file or os.environ.get(TRACE_VARIABLE)
    if not trace_file:
        return config
    traced = TracedConfig(config)

    def write():
        with open(trace_file, "w") as stream:
            json.dump(traced.used_paths(), stream)

    atexit.register(write)
    return traced
