"""Every example of the README's "Your own network" section and of docs/analyse.md, run as
written, in one directory, in the order docs/analyse.md gives.

PyTorch is not a dependency of this project, so the PyTorch example runs against a stand-in
``torch`` package (``TORCH_STANDIN``) written with numpy: ``manual_seed``, and ``nn.Sequential``,
``nn.Linear`` and ``nn.ReLU`` with PyTorch's ``state_dict`` layout (keys ``<index>.weight`` of
shape ``(out, in)`` and ``<index>.bias``, modules without parameters skipped, tensors with
``detach().cpu().numpy()``). The file it writes goes through the command like a real one.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
from conftest import ROOT

TORCH_STANDIN = '''
"""A numpy stand-in for the few torch APIs docs/analyse.md's example uses (tests only)."""
from collections import OrderedDict

import numpy as np

_rng = np.random.default_rng(0)


def manual_seed(seed):
    global _rng
    _rng = np.random.default_rng(seed)


class Tensor:
    def __init__(self, array):
        self._array = np.asarray(array, dtype=np.float32)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self._array
'''

TORCH_NN_STANDIN = '''
from collections import OrderedDict

import numpy as np

import torch


class Linear:
    def __init__(self, in_features, out_features, bias=True):
        bound = 1 / np.sqrt(in_features)
        self.params = OrderedDict(weight=torch._rng.uniform(-bound, bound,
                                                            (out_features, in_features)))
        if bias:
            self.params["bias"] = torch._rng.uniform(-bound, bound, out_features)


class ReLU:
    params = OrderedDict()


class Sequential:
    def __init__(self, *modules):
        self.modules = modules

    def state_dict(self):
        return OrderedDict((f"{i}.{name}", torch.Tensor(value))
                           for i, module in enumerate(self.modules)
                           for name, value in module.params.items())
'''


def _blocks(text):
    return re.findall(r"```(\w+)\n(.*?)```", text, flags=re.S)


def _readme_section():
    text = (ROOT / "README.md").read_text()
    return text.split("## Your own network", 1)[1].split("\n## ", 1)[0]


def test_readme_section_is_short_and_links_the_guide():
    section = _readme_section()
    assert len(section.strip().splitlines()) <= 26
    assert "docs/analyse.md" in section and ".venv/bin/relusv" in section


def test_every_example_runs_as_written(tmp_path):
    readme = _blocks(_readme_section())
    docs = _blocks((ROOT / "docs" / "analyse.md").read_text())
    assert [lang for lang, _ in readme] == ["sh"]
    assert [lang for lang, _ in docs] == ["python", "sh", "python", "sh"]
    assert "import torch" in docs[2][1] and "state_dict()" in docs[2][1]
    # the commands name .venv/bin/relusv, relative to the repository root: link the venv here
    assert Path(sys.prefix, "bin", "relusv").exists(), "run the tests in the project's venv"
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    standin = tmp_path / "standin" / "torch"
    standin.mkdir(parents=True)
    (standin / "__init__.py").write_text(TORCH_STANDIN + "\nfrom torch import nn  # noqa\n")
    (standin / "nn.py").write_text(TORCH_NN_STANDIN)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "standin")}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the command hides TensorFlow's messages itself
    order = [docs[0], readme[0], docs[1], docs[2], docs[3]]
    for i, (lang, code) in enumerate(order):
        if lang == "python":
            (tmp_path / f"example_{i}.py").write_text(code)
            command = [sys.executable, f"example_{i}.py"]
        else:
            command = ["bash", "-e", "-c", code]
        result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=600)
        assert result.returncode == 0, (code, result.stderr[-3000:])
        if lang == "sh":  # progress lines only: no TensorFlow start-up noise
            noise = [line for line in result.stderr.splitlines()
                     if not line.startswith("relusv: ")]
            assert noise == [], noise

    keras_run, torch_run = tmp_path / "my_analysis", tmp_path / "torch_analysis"
    for out in (keras_run, torch_run):
        for name in ("bounds.csv", "widths.csv", "widths_paired.csv", "summary.md",
                     "provenance.json", "fig3_relu_singular_values.png"):
            assert (out / name).exists(), out / name
    assert (keras_run / "pruning.csv").exists()  # the docs' run replaced the README's
    summary = (keras_run / "summary.md").read_text()
    assert "left out as the identity at inference: 'dropout" in summary
    assert "test points (a seeded split of 'x'/'y' of digits_test.npz" in summary
    assert len(pd.read_csv(keras_run / "pruning.csv")) == 21
    assert "state_dict of 3 Linear layers" in (torch_run / "summary.md").read_text()
