"""The claims report: claim dicts merge by id, and the JSON and Markdown outputs round-trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
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
from relusv import tidy

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


# ---------------------------------------------------------------------------------------------
# replicates
# ---------------------------------------------------------------------------------------------


def _two_seed_claims():
    """C1-C8 with two seeds: C2 and C6 hold in seed 0 only, the rest in both."""
    falling = {n: bounds_frame(n, level=lambda layer, subset: (4 - layer) * (
        2.0 if subset == "correct" else 1.0)) for n in ("a", "b")}
    bounds = {n: pd.concat([bounds_frame(n).assign(seed=0), falling[n].assign(seed=1)],
                           ignore_index=True) for n in ("a", "b")}
    widths = {n: pd.concat([widths_frame(n).assign(seed=s) for s in (0, 1)], ignore_index=True)
              for n in ("a", "b")}
    differences = {n: pd.concat([differences_frame(n).assign(seed=s) for s in (0, 1)],
                                ignore_index=True) for n in ("a", "b")}
    early = pruning_frame("m", accuracy=lambda s: 0.95 if s >= 10 else 0.1)
    harmonic = {"m": pd.concat([pruning_frame("m").assign(seed=0), early.assign(seed=1)],
                               ignore_index=True)}
    first = C.evaluate_claims(random_frame(), bounds, widths, measurable("a", "b"),
                              width_differences=differences)
    later = C.evaluate_pruning_claims(harmonic, {"m": scratch_frame("m")},
                                      {"m": pruned_summary("m", "mnist")})
    return first + later


def test_mixed_claims_write_read_and_render_as_k_of_n_seeds(tmp_path):
    claims = _two_seed_claims()
    written = C.write_claims(claims, tmp_path / "c.json", tmp_path / "c.md")
    assert C.read_claims(tmp_path / "c.json") == written
    assert C.merge_claims(written) == written
    holds = {c["id"]: c["holds"] for c in written}
    assert holds == {"C1": True, "C2": "mixed", "C3": True, "C4": True, "C5": True,
                     "C6": "mixed", "C7": True, "C8": True}
    rows = {row.split("|")[1].strip(): row for row in _table_rows((tmp_path / "c.md").read_text())}
    assert rows["C2"].rstrip().endswith("| mixed (1 of 2 seeds) |")
    assert rows["C6"].rstrip().endswith("| mixed (1 of 2 seeds) |")
    assert rows["C3"].rstrip().endswith("| yes (2 of 2 seeds) |")
    assert rows["C1"].rstrip().endswith("| yes |") and rows["C7"].rstrip().endswith("| yes |")
    assert "- holds: mixed (1 of 2 seeds)" in (tmp_path / "c.md").read_text()


def test_merge_claims_checks_the_verdict_and_the_replicates_count():
    ok = {"id": "C2", "holds": "mixed", "replicates": {"holds": 1, "of": 2, "not_measurable": 0}}
    assert C.merge_claims([ok])[0]["holds"] == "mixed"
    with pytest.raises(ValueError, match="'holds' must be"):
        C.merge_claims([{"id": "C2", "holds": "sometimes"}])
    with pytest.raises(ValueError, match="'replicates' must be"):
        C.merge_claims([{"id": "C2", "holds": True, "replicates": {"holds": 1, "of": 2}}])


def test_replicates_table_has_one_row_per_replicate_and_quantity():
    table = C.replicates_table(_two_seed_claims())
    assert list(table.columns) == list(tidy.REPLICATES.columns)
    tidy.REPLICATES.check(table, "table")
    assert sorted(table["claim"].unique()) == ["C2", "C3", "C4", "C5", "C6"]
    keys = ["claim", "network", "seed", "quantity", "layer", "subset"]
    assert not table.duplicated(keys).any()
    # C5: networks a, b x seeds 0, 1 x layers 1-3, one quantity
    c5 = table[table["claim"] == "C5"]
    assert len(c5) == 2 * 2 * 3 and set(c5["quantity"]) == {"paired_difference_over_stderr"}
    assert c5["value"].tolist() == pytest.approx([10.0 * layer * 2 for layer in (1, 2, 3)] * 4)
    # C2: two subsets per network and seed; seed 1 falls with depth
    c2 = table[(table["claim"] == "C2") & (table["network"] == "a")
               & (table["subset"] == "correct")]
    assert c2.groupby("seed")["value"].apply(lambda v: v.is_monotonic_increasing).to_dict() == {
        0: True, 1: False}
    c6 = table[table["claim"] == "C6"].set_index("seed")
    assert c6["value"].to_dict() == {0: 21.0, 1: 14.0}
    assert c6["replicate_holds"].to_dict() == {0: True, 1: False}
    c3 = table[table["claim"] == "C3"]
    assert len(c3) == 2 * 2 * 3 and (c3["value"] > 0).all()


def test_replicates_table_reads_claims_back_from_json_in_seed_order(tmp_path):
    frames = {n: pd.concat([differences_frame(n, difference=lambda layer, epoch, s=s: s * layer)
                            .assign(seed=s) for s in (2, 10)], ignore_index=True)
              for n in ("a",)}
    claims = C.evaluate_claims(None, None, {"a": widths_frame("a")}, measurable("a"),
                               width_differences=frames)
    written = C.write_claims(claims, tmp_path / "c.json", tmp_path / "c.md")
    table = C.replicates_table(C.read_claims(tmp_path / "c.json"))
    assert table.equals(C.replicates_table(written))
    c5 = table[table["claim"] == "C5"]
    assert c5["seed"].tolist() == [2, 2, 2, 10, 10, 10]
    assert c5["value"].tolist() == pytest.approx([20.0, 40.0, 60.0, 100.0, 200.0, 300.0])


def test_replicates_table_of_a_single_run_has_no_seed():
    claims = C.evaluate_claims(random_frame(), {"n": bounds_frame("n")}, {"n": widths_frame("n")},
                               measurable("n"), width_differences={"n": differences_frame("n")})
    table = C.replicates_table(claims)
    assert table["seed"].isna().all()
    assert len(table[table["claim"] == "C5"]) == 3
    assert len(table[table["claim"] == "C4"]) == 2 * 3  # two subsets, three layers
    assert C.replicates_table([]).columns.tolist() == list(tidy.REPLICATES.columns)
