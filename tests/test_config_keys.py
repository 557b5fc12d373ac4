"""No silent misconfiguration: every config key reaches a rule, every param reaches its script,
every rule a profile names exists.

Three mechanisms, each with a test in which it fails:
- the schema walk: every leaf key of ``workflow/schemas/config.schema.yaml`` is read by the
  workflow when it plans the DAG (as a rule's param or as a key that shapes the DAG), traced by
  ``relusv.config.TracedConfig``;
- ``relusv.rules.rule_run`` fails a job whose script never read one of its params (the demo DAG
  test runs every rule, so this covers every script);
- the rule names under ``set-threads`` / ``set-resources`` / ``groups`` of every profile are
  rules of the workflow (Snakemake ignores unknown names without a word).
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import yaml
from conftest import ROOT, run_snakemake

SCHEMA = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())


def schema_leaves(schema: dict, root: dict | None = None, prefix: tuple = ()) -> list[tuple]:
    """Key paths of every leaf of a JSON schema; ``*`` stands for any key of a free mapping."""
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = {**root["$defs"][name], **{k: v for k, v in schema.items() if k != "$ref"}}
    leaves = []
    for key, sub in schema.get("properties", {}).items():
        leaves += schema_leaves(sub, root, (*prefix, key))
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        leaves += schema_leaves(extra, root, (*prefix, "*"))
    return leaves or [prefix]


def unreached(leaves, used_paths) -> list[str]:
    """Leaves of which neither the path nor an ancestor was used (``*`` matches any key)."""
    used = [tuple(p.split(".")) for p in used_paths]

    def covers(path, leaf):
        return len(path) <= len(leaf) and all(
            a == b or b == "*" for a, b in zip(path, leaf[:len(path)], strict=True))

    return [".".join(leaf) for leaf in leaves if not any(covers(p, leaf) for p in used)]


@pytest.mark.parametrize("config", ["demo.yaml", "config.yaml"])
def test_every_schema_key_reaches_a_rule_or_the_dag(tmp_path, monkeypatch, config):
    trace = tmp_path / "trace.json"
    monkeypatch.setenv("RELUSV_CONFIG_TRACE", str(trace))
    run_snakemake("-n", "--cores", "1", "--configfile", str(ROOT / "config" / config),
                  "--directory", str(tmp_path / "work"))
    used = json.loads(trace.read_text())
    leaves = schema_leaves(SCHEMA)
    assert len(leaves) > 40
    assert unreached(leaves, used) == [], "config keys that no rule and no DAG reads"


def test_the_walk_finds_a_key_that_nothing_reads():
    schema = {"properties": {
        "bounds": {"properties": {"steps": {"type": "integer"}, "seed": {"type": "integer"}}},
        "networks": {"additionalProperties": {"properties": {"epochs": {}, "lr": {}}}},
        "plot": {"properties": {"dpi": {}}},
    }}
    leaves = schema_leaves(schema)
    assert unreached(leaves, ["bounds.steps", "networks.a.epochs", "plot"]) == \
        ["bounds.seed", "networks.*.lr"]
    assert unreached(leaves, ["bounds", "networks.a", "plot.dpi"]) == []


def workflow_rules() -> set[str]:
    result = run_snakemake("--list-rules", "--configfile", str(ROOT / "config" / "demo.yaml"))
    return {line.strip() for line in result.stdout.splitlines() if line.strip()}


def profile_rule_names(profile: dict) -> set[str]:
    return (set(profile.get("set-threads") or {}) | set(profile.get("set-resources") or {})
            | set(profile.get("groups") or {}))


def test_every_rule_a_profile_names_exists():
    rules = workflow_rules()
    assert {"trained_network", "claims", "all"} <= rules
    profiles = sorted((ROOT / "profiles").glob("*/config.yaml"))
    assert profiles
    for path in profiles:
        unknown = profile_rule_names(yaml.safe_load(path.read_text())) - rules
        assert not unknown, f"{path.relative_to(ROOT)} names rules the workflow lacks: {unknown}"
    misspelt = {"set-threads": {"trained_networks": 4}, "groups": {"classified_subset": "g"}}
    assert profile_rule_names(misspelt) - rules == {"trained_networks", "classified_subset"}


UNREAD_SNAKEFILE = """
rule unread:
    output: "out.txt"
    params: used=1, style={"dpi": 200, "context": "paper"}
    log: "out.log"
    threads: 1
    script: "script.py"
"""


@pytest.mark.parametrize("reads, unread", [
    ("params.used + params.style['dpi'] + len(params.style['context'])", None),
    ("params.used + params.style['dpi']", "style.context"),
    ("len(dict(params.style))", "used"),
])
def test_a_job_that_leaves_a_param_unread_fails_naming_it(tmp_path, reads, unread):
    (tmp_path / "Snakefile").write_text(UNREAD_SNAKEFILE)
    (tmp_path / "script.py").write_text(textwrap.dedent(f"""
        from relusv.files import write_text
        from relusv.rules import rule_run

        with rule_run(snakemake):
            params = snakemake.params
            write_text(snakemake.output[0], str({reads}))
    """))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1"], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=300)
    log = (tmp_path / "out.log").read_text()
    if unread is None:
        assert result.returncode == 0, result.stderr[-3000:]
        assert (tmp_path / "out.txt").exists()
    else:
        assert result.returncode != 0
        assert f"params ['{unread}'] that its script never read" in log
        assert not (tmp_path / "out.txt").exists()
