"""Column names mapped to model ids, and every column of a table given a role (checked against the model itself)."""

from __future__ import annotations

import pandas as pd
import pytest

from amn.dataset.columns import ALL_REMAINING, classify, expand
from amn.dataset.names import ModelIds, read_mapping, resolve, split_unit
from amn.errors import DatasetMismatchError


@pytest.fixture(scope="module")
def ids(textbook_net):
    return ModelIds.from_network(textbook_net)


def test_every_naming_convention_resolves_to_the_model_id(ids, textbook_net):
    model = textbook_net.model
    # the unidirectional part of each direction, checked against the recombination signs
    for original in ("PGI", "PGK", "EX_o2_e", "EX_co2_e"):
        column = textbook_net.original_ids.index(original)
        row = textbook_net.recombination.getrow(column).toarray().ravel()
        forward = [textbook_net.reaction_ids[j] for j in row.nonzero()[0] if row[j] > 0]
        backward = [textbook_net.reaction_ids[j] for j in row.nonzero()[0] if row[j] < 0]
        assert resolve(f"R_{original}_fwd", ids).id == forward[0] == resolve(f"{original}_for", ids).id
        assert resolve(f"R_{original}_rev", ids).id == backward[0]
    assert resolve("R_EX_o2_e_rev", ids).id == "EX_o2_e_i" and resolve("R_EX_o2_e_rev", ids).flux_named
    for name in ("glc__D_e", "M_glc__D_e", "EX_glc__D_e_i", "R_EX_glc__D_e_i", "EX_glc__D_e_i_MEASURE"):
        assert resolve(name, ids).uptake == "EX_glc__D_e_i", name
    net_exchange = resolve("EX_ac_e", ids)
    assert (net_exchange.kind, net_exchange.id, net_exchange.uptake) == ("reaction", "EX_ac_e", "EX_ac_e_i")
    assert resolve("R_PFK", ids).id == "PFK" and "PFK" in textbook_net.reaction_ids  # irreversible: one part
    pgi = next(g for g in model.genes if g.name == "pgi")
    assert resolve("pgi", ids).id == pgi.id and resolve(pgi.id, ids).kind == "gene"
    assert resolve("AlsR", ids) is None and resolve("R_GLCptspp", ids) is None
    assert resolve("anything", None) is None


def test_a_user_mapping_comes_first(ids):
    assert resolve("R_GLUt2r_fwd", ids).id == "GLUt2r_for"
    mapped = resolve("R_GLUt2r_fwd", ids, {"R_GLUt2r_fwd": "EX_glc__D_e_i"})
    assert mapped.uptake == "EX_glc__D_e_i" and not mapped.flux_named


def test_unit_hints():
    assert split_unit("ura_e (mM)") == ("ura_e", "concentration")
    assert split_unit("EX_ura_e_i (mmol/gDW/h)") == ("EX_ura_e_i", "bounds")
    assert split_unit("GR_AVG") == ("GR_AVG", None)


def test_roles_with_a_model(ids):
    table = pd.DataFrame({
        "experiment": ["a", "b", "c", "d"],
        "EX_glc__D_e_i": [10.0, 5.0, 10.0, 3.0],     # uptake (bounds)
        "pgi": [1, 0, 1, 1],                          # gene name: knockout
        "R_PFK": [1, 1, 0, 1],                        # reaction, 0/1: knockout
        "AlsR": [0, 1, 1, 0],                         # regulator, no gene of the model: extra
        "p_b0001": [0.1, 0.2, 0.3, 0.4],              # omics: extra
        "R_PGI_fwd": [2.0, 0.0, 2.5, 1.0],            # measured flux: target under all-remaining
        "R_LDH_D_rev": [0.0, 0.0, 0.0, 0.0],          # constant: ignored
        "note": ["x", "y", "z", "w"],                 # text: ignored
    })
    found = classify(table, ALL_REMAINING, ids, key="experiment")
    assert found.roles == {"experiment": "ignored", "EX_glc__D_e_i": "uptake", "pgi": "knockout", "R_PFK": "knockout",
                           "AlsR": "extra", "p_b0001": "extra", "R_PGI_fwd": "target", "R_LDH_D_rev": "ignored",
                           "note": "ignored"}
    assert found.reasons["R_LDH_D_rev"].startswith("constant") and found.reasons["experiment"] == "row key"
    explicit = classify(table, ["p_b0001"], ids, key="experiment", inputs=["R_PGI_fwd"])
    assert explicit.roles["R_PGI_fwd"] == "measured" and explicit.roles["p_b0001"] == "target"
    assert classify(table, ["p_b0001"], ids, key="experiment").roles["R_PGI_fwd"] == "ignored"  # not asked for


def test_roles_without_a_model_keep_the_published_behaviour():
    table = pd.DataFrame({"Unnamed: 0": [0, 1, 2], "EX_a_e_i": [1, 0, 1], "flag": [0, 1, 1], "EX_b_e_i": [2.0, 0, 1],
                          "GR_1": [0.1, 0.2, 0.3], "GR_AVG": [0.1, 0.2, 0.3], "GR_STD": [0.0, 0.1, 0.0],
                          "level": [5.0, 6.0, 7.0], "R_X_fwd": [1.0, 2.0, 3.0]})
    roles = classify(table, ["GR_AVG"]).roles
    assert roles == {"Unnamed: 0": "ignored", "EX_a_e_i": "uptake", "flag": "uptake", "EX_b_e_i": "uptake",
                     "GR_1": "ignored", "GR_AVG": "target", "GR_STD": "ignored", "level": "extra", "R_X_fwd": "ignored"}


def test_patterns_and_mapping_files(tmp_path):
    assert expand(["R_*"], ["R_A", "B", "R_C"], "--target", "t.csv") == ["R_A", "R_C"]
    with pytest.raises(DatasetMismatchError, match=r"t\.csv: --inputs: no column 'Q'"):
        expand(["Q"], ["R_A"], "--inputs", "t.csv")
    good = tmp_path / "map.csv"
    good.write_text("column,id\nR_GLUt2r_fwd,EX_glc__D_e_i\n")
    assert read_mapping(good, ["R_GLUt2r_fwd", "x"], "t.csv") == {"R_GLUt2r_fwd": "EX_glc__D_e_i"}
    with pytest.raises(DatasetMismatchError, match=r"map\.csv: names no column of t\.csv") as info:
        read_mapping(good, ["x", "y"], "t.csv")
    assert "\n" not in str(info.value)
    bad = tmp_path / "header.csv"
    bad.write_text("from,to\na,b\n")
    with pytest.raises(DatasetMismatchError, match=r"header\.csv: a mapping file has the header 'column,id'"):
        read_mapping(bad, ["a"], "t.csv")


def test_expression_levels_named_by_gene_are_inputs_and_a_typo_in_a_knockout_column_is_not(ids):
    table = pd.DataFrame({"EX_glc__D_e_i": [10.0, 5.0, 10.0, 3.0],
                          "b4025": [7.9, 8.4, 6.1, 9.0],     # expression of pgi: an input, not a knockout
                          "pgi": [1, 0, 1, 2],               # mostly 0/1: a knockout column (2 refused when read)
                          "GR": [0.5, 0.4, 0.6, 0.3]})
    found = classify(table, ["GR"], ids)
    assert found.roles == {"EX_glc__D_e_i": "uptake", "b4025": "extra", "pgi": "knockout", "GR": "target"}
    assert "expression" in found.reasons["b4025"]
    assert classify(table, ["GR"], ids, inputs=["b4025"]).roles["b4025"] == "extra"  # --inputs: still no knockout


def test_replicates_of_a_target_without_a_suffix_are_not_inputs():
    table = pd.DataFrame({"EX_a_e_i": [1, 0, 1], "GR_1": [0.1, 0.2, 0.3], "GR_2": [0.1, 0.3, 0.3],
                          "GR_STD": [0.0, 0.1, 0.0], "GR": [0.1, 0.25, 0.3], "GRAIN": [1.0, 2.0, 3.0]})
    found = classify(table, ["GR"])  # GR = mean of GR_1, GR_2: as inputs they would leak the answer
    assert found.roles == {"EX_a_e_i": "uptake", "GR_1": "ignored", "GR_2": "ignored", "GR_STD": "ignored",
                           "GR": "target", "GRAIN": "extra"}
    assert "--inputs GR_1" in found.reasons["GR_1"]


def test_explicit_targets_name_their_reactions_as_all_remaining_does(ids):
    table = pd.DataFrame({"EX_glc__D_e_i": [10.0, 5.0, 10.0], "R_PGI": [2.0, 1.0, 2.5], "v_pyk": [3.0, 1.0, 2.0]})
    found = classify(table, ["R_PGI", "v_pyk"], ids, mapping={"v_pyk": "PYK"})
    remaining = classify(table, ALL_REMAINING, ids, mapping={"v_pyk": "PYK"})
    assert found.roles == remaining.roles
    assert {c: r.id for c, r in found.resolved.items()} == {c: r.id for c, r in remaining.resolved.items()}
    assert found.resolved["R_PGI"].id == "PGI" and found.resolved["v_pyk"].id == "PYK"


def test_a_text_cell_in_a_numeric_column_is_found(ids):
    table = pd.DataFrame({"EX_glc__D_e_i": [10.0, "high", 3.0, 4.0],  # a model name: one number is enough
                          "level": [1.0, 2.0, "n.d.", 4.0],          # most cells numbers
                          "note": ["a", "b", "3", "d"],              # a text column with a number in it
                          "GR": [0.5, 0.4, 0.6, 0.3]})
    found = classify(table, ["GR"], ids)
    assert found.mixed == {"EX_glc__D_e_i": 1, "level": 2}
    assert found.roles["note"] == "ignored" and found.reasons["note"] == "not numeric"
