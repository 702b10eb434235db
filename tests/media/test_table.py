"""Media tables for a trained model: medium columns, KO: indicators, one-line errors naming file/row/column."""

from __future__ import annotations

import pandas as pd
import pytest

from amn.errors import DatasetMismatchError, InputFileNotFoundError
from amn.media import read_media_table, validate_media_table

MEDIUM = ["EX_glc__D_e_i", "EX_fru_e_i"]


def write(tmp_path, frame: pd.DataFrame, name: str = "media.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_medium_columns_in_model_order_then_knockout_indicators(tmp_path):
    frame = pd.DataFrame({"KO:b1136": [0, 1], "EX_fru_e_i": [0, 5], "note": ["a", "b"], "EX_glc__D_e_i": [10, 2]})
    values = read_media_table(write(tmp_path, frame), MEDIUM)
    assert list(values.columns) == [*MEDIUM, "KO:b1136"]
    assert values.to_numpy().tolist() == [[10.0, 0.0, 0.0], [2.0, 5.0, 1.0]]
    assert (values.dtypes == float).all()


def test_missing_medium_column_names_the_file(tmp_path):
    path = write(tmp_path, pd.DataFrame({"EX_glc__D_e_i": [1.0]}))
    with pytest.raises(DatasetMismatchError, match=r"media.csv: missing medium column\(s\) EX_fru_e_i"):
        read_media_table(path, MEDIUM)
    many = [f"EX_{i}_e_i" for i in range(8)]
    with pytest.raises(DatasetMismatchError, match="EX_4_e_i and 3 more"):
        validate_media_table(pd.DataFrame({"x": [1]}), many)


@pytest.mark.parametrize("column, value", [("EX_fru_e_i", "lots"), ("KO:b1136", "yes")])
def test_a_cell_that_is_not_a_number_names_row_and_column(tmp_path, column, value):
    frame = pd.DataFrame({"EX_glc__D_e_i": [1.0, 2.0], "EX_fru_e_i": [0.0, 1.0], "KO:b1136": [0, 0]}).astype(object)
    frame.loc[1, column] = value
    with pytest.raises(DatasetMismatchError, match=rf"media.csv: row 2, column {column}: not a number"):
        read_media_table(write(tmp_path, frame), MEDIUM)


def test_missing_or_unreadable_file(tmp_path):
    with pytest.raises(InputFileNotFoundError, match="absent.csv: no such file"):
        read_media_table(tmp_path / "absent.csv", MEDIUM)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DatasetMismatchError, match="empty.csv: not a CSV table"):
        read_media_table(tmp_path / "empty.csv", MEDIUM)


@pytest.mark.parametrize("value, message", [
    (-1.0, r"neg.csv: row 2, column EX_fru_e_i: an uptake must be >= 0, got -1$"),
    (float("inf"), r"neg.csv: row 2, column EX_fru_e_i: not a finite number \(inf\)"),
    (float("-inf"), r"neg.csv: row 2, column EX_fru_e_i: not a finite number \(-inf\)"),
    (None, r"neg.csv: row 2, column EX_fru_e_i: missing"),
])
def test_a_negative_infinite_or_missing_uptake_names_file_row_and_column(tmp_path, value, message):
    frame = pd.DataFrame({"EX_glc__D_e_i": [1.0, 2.0], "EX_fru_e_i": [0.0, value]})
    with pytest.raises(DatasetMismatchError, match=message) as info:
        read_media_table(write(tmp_path, frame, "neg.csv"), MEDIUM)
    assert "\n" not in str(info.value)


def test_columns_the_model_does_not_take_may_be_negative(tmp_path):
    frame = pd.DataFrame({"EX_glc__D_e_i": [1.0], "EX_fru_e_i": [0.0], "delta": [-3.0]})
    assert read_media_table(write(tmp_path, frame), MEDIUM).columns.tolist() == MEDIUM


def test_a_medium_column_named_twice_names_the_file(tmp_path):
    path = tmp_path / "dupmedia.csv"
    path.write_text("EX_glc__D_e_i,EX_fru_e_i,EX_glc__D_e_i\n1,2,3\n")
    with pytest.raises(DatasetMismatchError, match=r"dupmedia\.csv: column EX_glc__D_e_i appears more than once"):
        read_media_table(path, MEDIUM)


@pytest.mark.parametrize("column, value, message", [
    ("EX_glc__D_e", 99.0, (r"media.csv: column EX_glc__D_e: not an uptake the model takes \(its medium: EX_glc__D_e_i, "
                          r"EX_fru_e_i\)")),                    # an exchange id: dropped before, as if never given
    ("EX_succ_e_i", 5.0, r"media.csv: column EX_succ_e_i: not an uptake the model takes"),
    ("ko:b1136", 1, r"media.csv: column ko:b1136: knockout columns are written KO:<gene> \(as KO:b1136\)"),
    ("KO:b1136", 0.5, r"media.csv: row 1, column KO:b1136: a knockout flag must be 0 or 1, got 0.5"),  # read as 1
])
def test_values_the_model_would_not_read_as_given_are_refused(tmp_path, column, value, message):
    frame = pd.DataFrame({"EX_glc__D_e_i": [1.0], "EX_fru_e_i": [0.0], column: [value]})
    with pytest.raises(DatasetMismatchError, match=message):
        read_media_table(write(tmp_path, frame), MEDIUM)


def test_other_columns_are_listed_and_a_table_without_rows_is_refused(tmp_path):
    frame = pd.DataFrame({"sample": ["a"], "EX_glc__D_e_i": [1.0], "EX_fru_e_i": [0.0], "note": ["x"]})
    assert read_media_table(write(tmp_path, frame), MEDIUM).attrs["ignored"] == ["sample", "note"]
    with pytest.raises(DatasetMismatchError, match=r"media.csv: no rows$"):
        read_media_table(write(tmp_path, frame.iloc[:0]), MEDIUM)
