"""Reading experimental tables: composition columns, targets, and one-line errors naming file/row/column."""

from __future__ import annotations

import pandas as pd
import pytest

from amn.data import locate
from amn.dataset.reading import read_table
from amn.dataset.validation import validate_table
from amn.errors import (
    AMNError,
    DataError,
    DatasetMismatchError,
    InputFileNotFoundError,
    ParameterError,
    UnknownReactionError,
)


def write(tmp_path, frame: pd.DataFrame, name: str = "table.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def frame(**changes) -> pd.DataFrame:
    base = pd.DataFrame({
        "EX_glc__D_e_i": [1, 0, 1, 0],
        "EX_fru_e_i": [0, 1, 1, 0],
        "EX_nh4_e_i": [1, 1, 1, 1],
        "GR_AVG": [0.5, 0.4, 0.8, 0.0],
        "GR_STD": [0.02, 0.03, 0.01, 0.0],
    })
    for column, values in changes.items():
        base[column] = values
    return base


def test_published_table():
    try:
        path = locate("experimental/ecoli_dh5a_growth/iML1515_EXP.csv")
    except DataError:
        pytest.skip("experimental data not available")
    table = read_table(path)
    assert len(table) == 110 and len(table.composition_ids) == 38 and table.task == "regression"
    assert len(table.variable_ids) == 10 and "EX_glyc_e_i" not in table.variable_ids


def test_composition_from_binary_columns_or_network(tmp_path, textbook_net):
    path = write(tmp_path, frame(note=["a", "b", "c", "d"], EX_glc__D_e=[0, 0, 1, 1]))
    without = validate_table(frame(), source="t")
    assert without.composition_ids == ["EX_glc__D_e_i", "EX_fru_e_i", "EX_nh4_e_i"]
    assert without.variable_ids == ["EX_glc__D_e_i", "EX_fru_e_i"]
    assert without.X.dtypes.eq(float).all() and without.y.name == "GR_AVG"
    # the exchange id names the same uptake as EX_glc__D_e_i: two columns for one compound
    with pytest.raises(DatasetMismatchError, match=r"table.csv: columns EX_glc__D_e_i and EX_glc__D_e both name "
                                                   r"EX_glc__D_e_i"):
        read_table(path, network=textbook_net)
    with_net = read_table(write(tmp_path, frame(other_flag=[0, 1, 0, 1])), network=textbook_net)
    assert with_net.composition_ids == ["EX_glc__D_e_i", "EX_fru_e_i", "EX_nh4_e_i"]  # other_flag not an uptake
    assert with_net.extra_ids == ["other_flag"] and with_net.roles["GR_STD"] == "ignored"  # named like the target
    with pytest.raises(DatasetMismatchError, match="no column is an uptake reaction of model"):
        validate_table(frame().rename(columns=lambda c: c.replace("EX_", "X_")), network=textbook_net)


def test_classification_target(tmp_path):
    table = read_table(write(tmp_path, frame(grows=[1, 1, 1, 0])), target="grows")
    assert table.task == "classification" and "GR_AVG" not in table.composition_ids
    assert read_table(write(tmp_path, frame(grows=[True, True, False, True])), target="grows").task == "classification"
    with pytest.raises(DatasetMismatchError, match="both classes"):
        read_table(write(tmp_path, frame(grows=[1, 1, 1, 1])), target="grows", task="classification")
    with pytest.raises(DatasetMismatchError, match=r"row 1, column GR_AVG: a classification target must be 0 or 1"):
        read_table(write(tmp_path, frame()), task="classification")


@pytest.mark.parametrize(
    "changes, target, message",
    [
        ({}, "GR", r"table.csv: no target column 'GR'"),
        ({"GR_AVG": [0.5, None, 0.8, 0.1]}, "GR_AVG", r"table.csv: row 2, column GR_AVG: target must be a finite number"),
        ({"GR_AVG": [0.5, 0.2, "fast", 0.1]}, "GR_AVG", r"row 3, column GR_AVG: .*'fast'"),
        ({"EX_nh4_e_i": [1, 1, None, 1]}, "GR_AVG", r"table.csv: row 3, column EX_nh4_e_i: composition must be 0 or 1"),
    ],
)
def test_bad_tables_name_file_row_and_column(tmp_path, changes, target, message):
    path = write(tmp_path, frame(**changes))
    with pytest.raises(AMNError, match=message) as info:
        read_table(path, target=target)
    assert "\n" not in str(info.value)


def test_bad_composition_with_network(tmp_path, textbook_net):
    path = write(tmp_path, frame(EX_fru_e_i=[0, 2, 1, 0]))
    with pytest.raises(DatasetMismatchError, match=r"row 2, column EX_fru_e_i: composition must be 0 or 1, got 2"):
        read_table(path, network=textbook_net, composition="presence")
    inferred = read_table(path, network=textbook_net)  # not only 0/1: bounds, and the evidence printed
    assert inferred.composition == "bounds" and "EX_fru_e_i holds 2" in inferred.composition_reason
    negative = write(tmp_path, frame(EX_fru_e_i=[0, 2, -1, 0]), "negative.csv")
    with pytest.raises(DatasetMismatchError, match=r"negative\.csv: row 3, column EX_fru_e_i: bounds must be non-negative"):
        read_table(negative, network=textbook_net)


def test_missing_or_unreadable_file(tmp_path):
    with pytest.raises(InputFileNotFoundError, match="absent.csv: no such file"):
        read_table(tmp_path / "absent.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DatasetMismatchError, match="empty.csv: not a CSV table"):
        read_table(tmp_path / "empty.csv")


def test_unknown_task_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="task must be"):
        read_table(write(tmp_path, frame()), task="ranking")


def test_a_composition_column_that_is_no_uptake_of_the_model_is_refused(tmp_path, textbook_net):
    path = write(tmp_path, frame(EX_nothing_e_i=[1, 0, 0, 1]), "exp.csv")
    message = r"exp\.csv: column EX_nothing_e_i is not an uptake of model"
    with pytest.raises(UnknownReactionError, match=message) as info:
        read_table(path, network=textbook_net)
    assert "\n" not in str(info.value)
    typo = write(tmp_path, frame(EX_fru_e_i=None, EX_frU_e_i=[0, 1, 1, 0]).drop(columns="EX_fru_e_i"), "typo.csv")
    with pytest.raises(UnknownReactionError, match=r"typo\.csv: column EX_frU_e_i .*; did you mean EX_fru_e_i\?"):
        read_table(typo, network=textbook_net)
    internal = write(tmp_path, frame(PGI_for=[0, 1, 1, 1]), "internal.csv")  # a 0/1 reaction column: a knockout
    knocked = read_table(internal, network=textbook_net)
    # a column naming a direction knocks out that direction only (its unidirectional id)
    assert knocked.knockout_ids == ["PGI_for"] and knocked.knockout_kind == {"PGI_for": "reaction"}
    assert knocked.knockout_value == 0 and knocked.X["PGI_for"].tolist() == [1.0, 0.0, 0.0, 0.0]
    # without a model, every 0/1 column is a composition, as before
    assert "EX_nothing_e_i" in read_table(path).composition_ids


def test_the_other_columns_of_the_published_tables_are_left_out(tmp_path, textbook_net):
    replicates = {f"GR_{i}": [0.5, None, 0.8, 0.1] for i in range(1, 9)}
    table = frame(**replicates)
    table.index.name = None
    table.to_csv(tmp_path / "EXP110.csv")  # with its unnamed index column, as published
    read = read_table(tmp_path / "EXP110.csv", network=textbook_net)
    assert read.composition_ids == ["EX_glc__D_e_i", "EX_fru_e_i", "EX_nh4_e_i"]
    assert read.X.attrs["source"] == str(tmp_path / "EXP110.csv")


@pytest.mark.parametrize("content, message", [
    ("EX_glc__D_e_i,GR_AVG\n", r"header\.csv: no rows"),
    ("1,0,0.5\n0,1,0.4\n", r"header\.csv: no target column 'GR_AVG' \(columns: 1, 0, 0\.5\)"),
    ("EX_glc__D_e_i,EX_glc__D_e_i,GR_AVG\n1,1,0.5\n", r"header\.csv: column EX_glc__D_e_i appears more than once"),
    ("\x00\xff\xfe garbage \x9c", r"header\.csv: not a CSV table"),
])
def test_header_only_headerless_duplicated_or_garbage_files_give_one_line(tmp_path, content, message):
    path = tmp_path / "header.csv"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(DatasetMismatchError, match=message) as info:
        read_table(path)
    assert "\n" not in str(info.value)


def test_knockouts_by_gene_name_and_value(tmp_path, textbook_net):
    pgi = next(g for g in textbook_net.model.genes if g.name == "pgi")
    rows = frame(pgi=[1, 1, 0, 1], AlsR=[1, 0, 1, 1])
    table = validate_table(rows, network=textbook_net, knockout_value=1, source="ko.csv")
    assert table.knockout_ids == [pgi.id] and table.knockout_kind == {pgi.id: "gene"} and table.renamed["pgi"] == pgi.id
    assert table.X[pgi.id].tolist() == [1.0, 1.0, 0.0, 1.0] and table.extra_ids == ["AlsR"]  # 1 = knocked out as given
    assert validate_table(rows, network=textbook_net, source="ko.csv").X[pgi.id].tolist() == [0.0, 0.0, 1.0, 0.0]
    with pytest.raises(DatasetMismatchError, match=r"ko\.csv: row 2, column pgi: a knockout column must be 0 or 1, got 2"):
        validate_table(frame(pgi=[1, 2, 0, 1]), network=textbook_net, source="ko.csv")


def test_several_targets_measured_inputs_and_reactions(tmp_path, textbook_net):
    rows = pd.DataFrame({"condition": ["a", "b", "c", "d", "e"], "R_GLUt2r_fwd": [3.0, 1.5, 5.0, 2.0, 4.0],
                         "R_Biomass_Ecoli_core": [0.2, 0.1, 0.4, 0.15, 0.3],
                         "R_PGI_fwd": [2.0, 1.0, 4.0, 1.5, 3.0], "R_EX_ac_e": [0.0, 0.0, 1.0, 0.0, 0.5],
                         "R_EX_o2_e_rev": [6.0, 3.0, 9.0, 4.0, 8.0], "R_LDH_D_rev": [0.0] * 5})
    table = validate_table(rows, "all-remaining", textbook_net, inputs="R_GLUt2r_fwd,R_Biomass_*",
                           mapping={"R_GLUt2r_fwd": "EX_glc__D_e_i"}, source="fluxes.csv")
    assert table.targets == ["R_PGI_fwd", "R_EX_ac_e", "R_EX_o2_e_rev"] and table.task == "regression"
    assert table.target_reactions == {"R_PGI_fwd": "PGI_for", "R_EX_ac_e": "EX_ac_e", "R_EX_o2_e_rev": "EX_o2_e_i"}
    assert table.composition_ids == ["EX_glc__D_e_i"] and table.composition == "bounds"
    assert table.measured_reactions == {"R_Biomass_Ecoli_core": "Biomass_Ecoli_core"}
    assert list(table.Y.index) == ["a", "b", "c", "d", "e"] and table.key == "condition"
    assert table.roles["R_LDH_D_rev"] == "ignored" and "R_LDH_D_rev" in table.summary()
    with pytest.raises(ParameterError, match=r"fluxes\.csv: 3 targets; use table\.Y"):
        _ = table.y
    with pytest.raises(DatasetMismatchError, match=r"no column is left to be a target"):
        validate_table(rows[["condition", "R_GLUt2r_fwd", "R_LDH_D_rev"]].assign(x=[1.0, 2, 3, 4, 5]), "all-remaining",
                       textbook_net, inputs="R_GLUt2r_fwd", source="fluxes.csv")


def test_concentrations_are_said_or_hinted(textbook_net):
    rows = pd.DataFrame({"glc__D_e (mM)": [10.0, 5.0, 0.0], "GR": [0.3, 0.2, 0.0]})
    table = validate_table(rows, "GR", textbook_net)
    assert table.composition == "concentration" and table.composition_ids == ["EX_glc__D_e_i"]
    plain = rows.rename(columns={"glc__D_e (mM)": "glc__D_e"})
    assert validate_table(plain, "GR", textbook_net).composition == "bounds"  # no hint: never guessed
    assert validate_table(plain, "GR", textbook_net, composition="concentration").composition == "concentration"


def test_joined_files(tmp_path, textbook_net):
    fluxes = pd.DataFrame({"experiment": ["WT", "pgi", "zwf"], "R_PGI_fwd": [2.0, 0.0, 3.0], "R_GND": [1.0, 2.0, 0.0]})
    kos = pd.DataFrame({"experiment": ["zwf", "WT", "pgi"], "R_PGI_rev": [1, 1, 0], "R_GND": [1, 1, 1],
                        "R_G6PDH2r_rev": [0, 1, 1]})
    fluxes.to_csv(tmp_path / "fluxes.csv", index=False)
    kos.to_csv(tmp_path / "kos.csv", index=False)
    table = read_table([tmp_path / "fluxes.csv", tmp_path / "kos.csv"], "all-remaining", textbook_net)
    assert list(table.X.index) == ["WT", "pgi", "zwf"] and table.targets == ["R_PGI_fwd", "R_GND"]
    assert table.knockout_ids == ["PGI_rev", "G6PDH2r_rev"] and table.X["PGI_rev"].tolist() == [0.0, 1.0, 0.0]
    assert table.roles["kos:R_GND"] == "ignored"  # the same name in the second file: kept apart, constant here
    kos.iloc[:2].to_csv(tmp_path / "kos.csv", index=False)
    with pytest.raises(DatasetMismatchError, match=r"kos\.csv: no row for experiment 'pgi' \(it is in .*fluxes\.csv\)"):
        read_table([tmp_path / "fluxes.csv", tmp_path / "kos.csv"], "all-remaining", textbook_net)


def test_tables_as_spreadsheets_write_them(tmp_path, textbook_net):
    """Spaces around header names, an integer id column, a typo in a numeric column: read or refused in one
    line naming the cell, never a column silently dropped or used as an input."""
    rows = pd.DataFrame({"medium_id": [101, 102, 103, 104], "EX_glc__D_e ": [10.0, 5.0, 2.0, 8.0],
                         "GR": [0.8, 0.4, 0.2, 0.6]})
    table = read_table(write(tmp_path, rows), "GR", textbook_net)
    assert table.key == "medium_id" and list(table.Y.index) == [101, 102, 103, 104]
    assert table.composition_ids == ["EX_glc__D_e_i"] and list(table.X.columns) == ["EX_glc__D_e_i"]
    typo = rows.astype({"EX_glc__D_e ": object})
    typo.loc[2, "EX_glc__D_e "] = "high"
    with pytest.raises(DatasetMismatchError, match=r"typo\.csv: row 3 \(103\), column EX_glc__D_e: not a number "
                                                   r"\('high'\) in a column of numbers; correct the cell, or "
                                                   r"--ignore-columns EX_glc__D_e$"):
        read_table(write(tmp_path, typo, "typo.csv"), "GR", textbook_net)


def test_a_target_must_vary_in_a_table_that_is_fitted_not_in_one_only_scored():
    with pytest.raises(DatasetMismatchError, match=r"t\.csv: column GR_AVG: the target is 0.5 in every row; nothing "
                                                   "to learn"):
        validate_table(frame(GR_AVG=[0.5] * 4), source="t.csv")
    grows = frame(GR_AVG=[1, 1, 1, 1])
    with pytest.raises(DatasetMismatchError, match="classification needs both classes"):
        validate_table(grows, source="t.csv", task="classification")
    scored = validate_table(grows, source="t.csv", task="classification", fitting=False)
    assert scored.task == "classification" and scored.y.tolist() == [1.0] * 4
    assert validate_table(frame(GR_AVG=[0.5] * 4), source="t.csv", fitting=False).y.nunique() == 1


def test_no_input_left_names_what_was_ignored(textbook_net):
    rows = pd.DataFrame({"R_EX_glc__D_e": [10.0, 5.0, 2.0], "GR": [0.8, 0.4, 0.2]})  # R_: read as a measured flux
    with pytest.raises(DatasetMismatchError, match=r"t\.csv: no input column besides the target\(s\) GR; ignored: "
                                                   r"R_EX_glc__D_e \(a measured flux that is not a target .*--inputs"):
        validate_table(rows, "GR", textbook_net, source="t.csv")
    assert validate_table(rows, "GR", textbook_net, inputs="R_EX_glc__D_e").composition_ids == ["EX_glc__D_e_i"]
