"""Composition columns: a column that looks like an uptake id but is not one is refused, never ignored."""

from __future__ import annotations

import pandas as pd
import pytest

from amn.errors import AMNError, UnknownReactionError
from amn.media import GuidedMedia
from amn.media.columns import check_composition_columns, looks_like_reaction, suggestion, unaccepted_columns
from amn.media.spec import core_medium

#: The columns of the published EXP110.csv beside its compositions.
EXP110_OTHERS = ["Unnamed: 0", *(f"GR_{i}" for i in range(1, 9)), "GR_AVG", "GR_STD"]


@pytest.mark.parametrize("column", ["EX_glc__D_e_i", "R_EX_glc__D_e", "EX_x", "glc__D_e", "foo_i", "foo_o"])
def test_exchange_like_ids_look_like_reactions(column):
    assert looks_like_reaction(column)


@pytest.mark.parametrize("column", [*EXP110_OTHERS, "note", "KO:b1136", "grows", "medium_id"])
def test_other_columns_of_real_tables_do_not(column):
    assert not looks_like_reaction(column)
    assert looks_like_reaction(column, reactions=[column])  # unless the model has a reaction of that name


def test_unaccepted_columns_keep_table_order():
    columns = ["EX_b_e_i", "GR_AVG", "EX_a_e_i", "PGI_for", "EX_ok_e_i"]
    assert unaccepted_columns(columns, ["EX_ok_e_i"], ["PGI_for"]) == ["EX_b_e_i", "EX_a_e_i", "PGI_for"]


def test_suggestions():
    accepted = ["EX_glc__D_e_i", "EX_fru_e_i", "EX_succ_e_i"]
    assert suggestion("EX_fru_e", accepted) == "EX_fru_e_i"
    assert suggestion("EX_sucC_e_i", accepted) == "EX_succ_e_i"
    assert suggestion("EX_nothing_e_i", accepted) is None


def test_the_message_names_file_columns_and_the_id_meant():
    accepted = ["EX_glc__D_e_i", "EX_fru_e_i"]
    with pytest.raises(UnknownReactionError, match=r"^t\.csv: column EX_nothing_e_i is not an uptake of model m$"):
        check_composition_columns(["EX_nothing_e_i", *EXP110_OTHERS], accepted, "t.csv", "model m")
    with pytest.raises(UnknownReactionError, match=r"t\.csv: column PGI_for is not an uptake of model m \(it is"):
        check_composition_columns(["PGI_for"], accepted, "t.csv", "model m", reactions=["PGI_for"])
    with pytest.raises(UnknownReactionError,
                       match=r"t\.csv: columns EX_x_e_i, EX_frU_e_i are not uptakes of model m; "
                             r"did you mean EX_fru_e_i for EX_frU_e_i\?$"):
        check_composition_columns(["EX_x_e_i", "EX_frU_e_i"], accepted, "t.csv", "model m")
    check_composition_columns([*accepted, *EXP110_OTHERS], accepted, "t.csv", "model m")  # nothing to refuse


def test_guided_media_refuse_a_column_not_in_the_medium(tmp_path, textbook_net):
    spec = core_medium(textbook_net)
    table = pd.DataFrame({"EX_fru_e_i": [1, 0], "EX_nothing_e_i": [0, 1], "GR_AVG": [0.1, 0.2], "GR_1": [0.1, 0.2]})
    table.to_csv(tmp_path / "exp.csv", index=False)
    message = r"exp\.csv: column EX_nothing_e_i is not an uptake of the medium"
    with pytest.raises(UnknownReactionError, match=message) as info:
        GuidedMedia.from_csv(spec, tmp_path / "exp.csv", per_medium=2)
    assert "\n" not in str(info.value)
    assert GuidedMedia(spec, table.drop(columns="EX_nothing_e_i"), per_medium=2).size == 4  # GR_* are no uptakes


def test_guided_media_refuse_a_column_named_twice(tmp_path, textbook_net):
    (tmp_path / "dup.csv").write_text("EX_fru_e_i,EX_fru_e_i,GR_AVG\n1,1,0.1\n")
    with pytest.raises(AMNError, match=r"dup\.csv: column EX_fru_e_i appears more than once"):
        GuidedMedia.from_csv(core_medium(textbook_net), tmp_path / "dup.csv", per_medium=2)
