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
    subsamples_frame,
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
    start = lines.index("| claim | paper | ours | verdict | k of n |")
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def one_network_claims():
    return C.evaluate_claims(random_frame(), {"n": bounds_frame("n")}, {"n": widths_frame("n")},
                             measurable("n"), width_differences={"n": differences_frame("n")},
                             width_subsamples={"n": subsamples_frame("n")})


def test_write_claims_round_trips_and_has_one_row_per_claim(tmp_path):
    claims = one_network_claims()
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
    assert all(row.rstrip().endswith("| yes | 1 of 1 |") for row in rows)
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
    assert "not measurable | 0 of 0, 1 not measurable |" in _table_rows(md)[0]
    assert "| **no** | 0 of 1 |" in _table_rows(md)[1]
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
    first = one_network_claims()
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
    """C1-C8 with two replicates: C2 and C6 hold in replicate 1 only, the rest in both; C1 is
    not supported. Networks a and b have seeds of their own (1, 101 and 2, 102)."""
    seeds = {"a": (1, 101), "b": (2, 102)}
    falling = {n: bounds_frame(n, level=lambda layer, subset: (4 - layer) * (
        2.0 if subset == "correct" else 1.0)) for n in seeds}
    bounds = {n: pd.concat([bounds_frame(n).assign(seed=s[0]), falling[n].assign(seed=s[1])],
                           ignore_index=True) for n, s in seeds.items()}

    def both(frame_of):
        return {n: pd.concat([frame_of(n).assign(seed=x) for x in s], ignore_index=True)
                for n, s in seeds.items()}

    early = pruning_frame("m", accuracy=lambda s: 0.95 if s >= 10 else 0.1)
    harmonic = {"m": pd.concat([pruning_frame("m").assign(seed=11), early.assign(seed=111)],
                               ignore_index=True)}
    flat = random_frame(ratio=lambda k, K: 0.9 + 0.08 * k / (K - 1))
    first = C.evaluate_claims(flat, bounds, both(widths_frame), measurable("a", "b"),
                              width_differences=both(differences_frame),
                              width_subsamples=both(subsamples_frame))
    later = C.evaluate_pruning_claims(harmonic, {"m": scratch_frame("m")},
                                      {"m": pruned_summary("m", "mnist")})
    return first + later


def test_mixed_claims_write_read_and_render_as_k_of_n_replicates(tmp_path):
    claims = _two_seed_claims()
    written = C.write_claims(claims, tmp_path / "c.json", tmp_path / "c.md")
    assert C.read_claims(tmp_path / "c.json") == written
    assert C.merge_claims(written) == written
    holds = {c["id"]: c["holds"] for c in written}
    assert holds == {"C1": "not supported", "C2": "mixed", "C3": True, "C4": True, "C5": True,
                     "C6": "mixed", "C7": True, "C8": True}
    markdown = (tmp_path / "c.md").read_text()
    rows = {row.split("|")[1].strip(): row for row in _table_rows(markdown)}
    assert rows["C2"].rstrip().endswith("| mixed | 1 of 2 |")
    assert rows["C6"].rstrip().endswith("| mixed | 1 of 2 |")
    assert rows["C3"].rstrip().endswith("| yes | 2 of 2 |")
    assert rows["C1"].rstrip().endswith("| not supported | 0 of 1 |")
    assert rows["C7"].rstrip().endswith("| yes | 1 of 1 |")
    assert "| 61,206 and 328,510 parameters |" in rows["C7"]
    assert "**Verdict: mixed, 1 of 2** (Fig. 3, App. A)." in markdown
    assert "Replicates: 1 yes; 2 no." in markdown
    # per claim a small table, one row per replicate and network, with the network's seed
    assert "| 2 | b | 102 | correct |" in markdown
    assert "What stays open" in markdown  # C1 says what it refutes and what it does not
    assert "```" not in markdown and "{" not in markdown  # no JSON on the page


def test_the_page_is_short_for_the_paper_config():
    """Constructed inputs with the paper config's networks and seeds (config/config.yaml): six
    trained networks, two of them (the figure networks) with three seeds, and the two pruned
    networks with three seeds each. The page stays well under 400 lines and has every
    replicate's row; its summary table comes first."""
    seeds = {"mnist_100": (1, 101, 201), "cifar10_100": (2, 102, 202), "fashion_mnist_100": (3,),
             "mnist_20": (4,), "cifar10_300": (5,), "boston_housing_32": (6,)}

    def runs(frame_of):
        return {n: pd.concat([frame_of(n).assign(seed=x) for x in s], ignore_index=True)
                for n, s in seeds.items()}

    shapes = ((2, 2), (5, 5), (10, 10), (20, 20))
    claims = C.evaluate_claims(
        random_frame(shapes=shapes), runs(bounds_frame), runs(widths_frame),
        measurable(*seeds), width_differences=runs(differences_frame),
        width_subsamples=runs(subsamples_frame))
    pruned = {"cifar10_double": (11, 111, 211), "mnist_double": (12, 112, 212)}
    harmonic = {n: pd.concat([pruning_frame(n).assign(seed=x) for x in s], ignore_index=True)
                for n, s in pruned.items()}
    summaries = {n: [pruned_summary(n, n.split("_")[0])] * 3 for n in pruned}
    claims += C.evaluate_pruning_claims(harmonic, {n: scratch_frame(n) for n in pruned},
                                        summaries)
    markdown = C.claims_markdown(C.merge_claims(claims))
    lines = markdown.splitlines()
    assert len(lines) <= 250, len(lines)
    assert lines.index("| claim | paper | ours | verdict | k of n |") < 6
    assert [r.split("|")[-2].strip() for r in _table_rows(markdown)] == [
        "1 of 1", "3 of 3", "3 of 3", "3 of 3", "3 of 3", "3 of 3", "1 of 1", "1 of 1"]
    assert "| 3 | mnist_100 | 201 | correct |" in markdown
    assert "| 1 | mnist_20 | 4 | correct |" in markdown
    assert "| 3 | mnist_double | 212 | mnist | yes |" in markdown
    assert "| 3 | cifar10_double | 211 | cifar10 | no |" in markdown  # reported, not judged


def test_merge_claims_checks_the_verdict_and_the_replicates_count():
    ok = {"id": "C2", "holds": "mixed", "replicates": {"holds": 1, "of": 2, "not_measurable": 0}}
    assert C.merge_claims([ok])[0]["holds"] == "mixed"
    assert C.merge_claims([{"id": "C1", "holds": "not supported"}])[0]["holds"] == "not supported"
    with pytest.raises(ValueError, match="'holds'.*'not supported'"):
        C.merge_claims([{"id": "C2", "holds": "sometimes"}])
    with pytest.raises(ValueError, match="'replicates' must be"):
        C.merge_claims([{"id": "C2", "holds": True, "replicates": {"holds": 1, "of": 2}}])


def test_replicates_table_has_one_row_per_replicate_and_quantity_with_its_own_outcome():
    table = C.replicates_table(_two_seed_claims())
    assert list(table.columns) == list(tidy.REPLICATES.columns)
    tidy.REPLICATES.check(table, "table")
    assert sorted(table["claim"].unique()) == ["C2", "C3", "C4", "C5", "C6"]
    keys = ["claim", "replicate", "network", "quantity", "layer", "subset"]
    assert not table.duplicated(keys).any()
    # C5: networks a, b x replicates 1, 2 x layers 1-3, one quantity, each row its layer's test
    c5 = table[table["claim"] == "C5"]
    assert len(c5) == 2 * 2 * 3
    assert set(c5["quantity"]) == {"fraction_of_subsamples_beyond_noise"}
    assert (c5["value"] == 1.0).all() and c5["row_holds"].all()
    assert c5.groupby("network")["seed"].apply(set).to_dict() == {"a": {1, 101},
                                                                  "b": {2, 102}}
    # C2: two subsets per network and replicate; replicate 2 falls with depth; no row outcome
    c2 = table[(table["claim"] == "C2") & (table["network"] == "a")
               & (table["subset"] == "correct")]
    assert c2.groupby("replicate")["value"].apply(
        lambda v: v.is_monotonic_increasing).to_dict() == {1: True, 2: False}
    assert table.loc[table["claim"].isin(["C2", "C4"]), "row_holds"].isna().all()
    c6 = table[table["claim"] == "C6"].set_index("replicate")
    assert c6["value"].to_dict() == {1: 21.0, 2: 14.0}
    assert c6["row_holds"].to_dict() == {1: True, 2: False}
    assert c6["seed"].to_dict() == {1: 11, 2: 111}
    c3 = table[table["claim"] == "C3"]
    assert len(c3) == 2 * 2 * 3 and (c3["value"] > 0).all() and c3["row_holds"].all()


def test_a_row_outcome_is_the_rows_own_not_the_replicates():
    """One layer of network b fails C3 in replicate 1: that row says False, the others True,
    although the replicate holds (5 of 6 pairs); the issue's 'z = 5.7 beside False'."""
    swapped = bounds_frame("b", level=lambda layer, subset: layer * (
        0.5 if subset == "correct" and layer == 2 else 2.0 if subset == "correct" else 1.0))
    claims = C.evaluate_claims(None, {"a": bounds_frame("a"), "b": swapped}, {},
                               measurable("a", "b"))
    c3 = C.replicates_table(claims)
    c3 = c3[c3["claim"] == "C3"]
    assert claims[2]["holds"] is True
    assert c3.set_index(["network", "layer"])["row_holds"].to_dict() == {
        ("a", 1): True, ("a", 2): True, ("a", 3): True,
        ("b", 1): True, ("b", 2): False, ("b", 3): True}


def test_replicates_table_reads_claims_back_from_json_in_run_order(tmp_path):
    runs = range(1, 12)  # eleven replicates: JSON sorts "10" before "2"
    frames = {"a": pd.concat([subsamples_frame("a", difference=lambda layer, r, s=s: s * layer)
                              .assign(seed=s) for s in runs], ignore_index=True)}
    widths = {"a": pd.concat([widths_frame("a").assign(seed=s) for s in runs],
                             ignore_index=True)}
    claims = C.evaluate_claims(None, None, widths, measurable("a"), width_subsamples=frames)
    written = C.write_claims(claims, tmp_path / "c.json", tmp_path / "c.md")
    table = C.replicates_table(C.read_claims(tmp_path / "c.json"))
    assert table.equals(C.replicates_table(written))
    c5 = table[table["claim"] == "C5"]
    assert c5["replicate"].tolist() == [r for r in runs for _ in range(3)]
    assert c5["seed"].tolist() == c5["replicate"].tolist()


def test_replicates_table_of_a_single_run_has_no_seed():
    table = C.replicates_table(one_network_claims())
    assert table["seed"].isna().all() and table["replicate"].isna().all()
    assert len(table[table["claim"] == "C5"]) == 3
    assert len(table[table["claim"] == "C4"]) == 2 * 3  # two subsets, three layers
    assert C.replicates_table([]).columns.tolist() == list(tidy.REPLICATES.columns)
