"""requirements.lock and environment.yml pin the same packages at the same versions."""

import importlib.util
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("lock_to_environment",
                                                  ROOT / "tools" / "lock_to_environment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_environment_yml_pins_equal_the_lock():
    tool = _tool()
    lock = tool.lock_pins((ROOT / "requirements.lock").read_text())
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in environment["dependencies"]
                       if isinstance(item, dict))
    conda_pins = {tool.normalise(name): version for name, version in
                  (entry.split("==") for entry in pip_section if "==" in entry)}
    assert lock, "no pins found in requirements.lock"
    missing = sorted(set(lock) - set(conda_pins))
    extra = sorted(set(conda_pins) - set(lock))
    differ = sorted(n for n in set(lock) & set(conda_pins) if lock[n] != conda_pins[n])
    assert not (missing or extra or differ), (
        f"environment.yml drifted from requirements.lock: missing {missing}, extra {extra}, "
        f"different versions {differ}; run `make lock`")


def test_every_direct_dependency_is_pinned():
    tool = _tool()
    lock = tool.lock_pins((ROOT / "requirements.lock").read_text())
    direct = [tool.normalise(line.split("#")[0].strip())
              for line in (ROOT / "requirements.in").read_text().splitlines()
              if line.split("#")[0].strip()]
    assert direct
    assert [name for name in direct if name not in lock] == []
