"""The claims report: claim dicts merge by id, and the JSON and Markdown outputs round-trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_claims_pruning import pruned_summary, pruning_frame, scratch_frame
from test_claims_spectral import (
    bounds_frame,
    differences_frame,
    measurable,
    random_frame,
    widths_frame,
)

from relusv import claims as C

# ---------------------------------------------------------------------------------------------
# merging and writing
# ---------------------------------------------------------------------------------------------


def _no_constants(name):
    raise AssertionError(f"non-standard JSON constant {name}")


def _table_rows(markdown):
    lines = markdown.splitlines()
    start = lines.index("| id | paper's claim | measured | holds |")
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_write_claims_round_trips_and_has_one_row_per_claim(tmp_path):
    claims = C.evaluate_claims(random_frame(), {"n": bounds_frame("n")}, {"n": widths_frame("n")},
                               measurable("n"), width_differences={"n": differences_frame("n")})
    json_path, md_path = tmp_path / "results" / "claims.json", tmp_path / "figures" / "claims.md"
    written = C.write_claims(claims, json_path, md_path)
    text = json_path.read_text()
    loaded = json.loads(text, parse_constant=_no_constants)
    assert loaded == written == json.loads(json.dumps(claims))
    assert text == json.dumps(written, sort_keys=True, indent=2) + "\n"
    assert C.read_claims(json_path) == written
    rows = _table_rows(md_path.read_text())
    assert len(rows) == 5
    assert [row.split("|")[1].strip() for row in rows] == ["C1", "C2", "C3", "C4", "C5"]
    assert all(row.rstrip().endswith("| yes |") for row in rows)
    assert sorted(p.name for p in json_path.parent.iterdir()) == ["claims.json"]


def test_write_claims_accepts_later_claims_and_nan(tmp_path):
    later = [
        {"id": "C6", "statement": "pruning keeps accuracy", "holds": False,
         "measured": {"iteration": np.int64(268), "accuracy": np.float64("nan"),
                      "ranks": (18, 8, 6)}},
        {"id": "C7", "statement": "61,206 parameters", "holds": np.bool_(True), "measured": {}},
    ]
    first = [{"id": "C1", "statement": "old", "holds": None}]
    written = C.write_claims(first, tmp_path / "c.json", tmp_path / "c.md", extra=later)
    data = json.loads((tmp_path / "c.json").read_text(), parse_constant=_no_constants)
    assert [c["id"] for c in data] == ["C1", "C6", "C7"]
    assert data[1]["measured"] == {"accuracy": None, "iteration": 268, "ranks": [18, 8, 6]}
    assert data[2]["holds"] is True
    md = (tmp_path / "c.md").read_text()
    assert len(_table_rows(md)) == 3
    assert "not measurable" in _table_rows(md)[0] and "**no**" in _table_rows(md)[1]
    # re-adding a claim with the same id replaces it instead of duplicating it
    again = C.write_claims(written, tmp_path / "c.json", tmp_path / "c.md",
                           extra=[{"id": "C1", "statement": "new", "holds": True}])
    assert [c["id"] for c in again] == ["C1", "C6", "C7"]
    assert again[0]["statement"] == "new"


def test_write_claims_rejects_malformed_claims(tmp_path):
    with pytest.raises(ValueError, match="holds"):
        C.write_claims([{"id": "C1", "holds": "maybe"}], tmp_path / "a.json", tmp_path / "a.md")
    with pytest.raises(ValueError, match="id"):
        C.write_claims([{"holds": True}], tmp_path / "a.json", tmp_path / "a.md")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# C1-C8 together
# ---------------------------------------------------------------------------------------------


def test_all_eight_claims_write_together(tmp_path):
    first = C.evaluate_claims(random_frame(), {"n": bounds_frame("n")}, {"n": widths_frame("n")},
                              measurable("n"), width_differences={"n": differences_frame("n")})
    later = C.evaluate_pruning_claims({"m": pruning_frame("m")}, {"m": scratch_frame("m")},
                                      {"m": pruned_summary("m", "mnist")})
    written = C.write_claims(first + later, tmp_path / "c.json", tmp_path / "c.md")
    data = json.loads((tmp_path / "c.json").read_text(), parse_constant=_no_constants)
    assert [c["id"] for c in data] == [f"C{i}" for i in range(1, 9)] == [c["id"] for c in written]
    rows = _table_rows((tmp_path / "c.md").read_text())
    assert len(rows) == 8 and "61,206" in rows[6]
