"""The guarded CSV reader every table goes through: one-line errors naming the file (and the column)."""

from __future__ import annotations

import pandas as pd
import pytest

from amn.csv_input import duplicated_columns, read_csv
from amn.errors import DatasetMismatchError, InputFileNotFoundError, MediumError


def test_a_table_reads_as_pandas_reads_it(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,GR_1\n1,2,3\n")
    assert list(read_csv(path, DatasetMismatchError).columns) == ["a", "b", "GR_1"]
    assert list(read_csv(path, DatasetMismatchError, index_col=0).columns) == ["b", "GR_1"]


@pytest.mark.parametrize("options", [{}, {"index_col": 0}, {"index_col": None}, {"dtype": str}])
def test_a_column_named_twice_is_refused_naming_file_and_column(tmp_path, options):
    path = tmp_path / "dup.csv"
    path.write_text("name,EX_glc__D_e_i,EX_fru_e_i,EX_glc__D_e_i\nx,1,0,1\n")
    with pytest.raises(DatasetMismatchError, match=r"dup\.csv: column EX_glc__D_e_i appears more than once") as info:
        read_csv(path, DatasetMismatchError, **options)
    assert "\n" not in str(info.value) and "EX_fru_e_i" not in str(info.value)


def test_every_repeated_column_is_named_and_the_error_type_is_the_callers(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("a,b,a,b,c\n1,2,3,4,5\n")
    with pytest.raises(MediumError, match=r"dup\.csv: columns a, b appear more than once"):
        read_csv(path, MediumError)
    assert duplicated_columns(path) == ["a", "b"]


def test_unnamed_index_columns_and_mangled_looking_names_are_not_duplicates(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(",a,a.1,,b\n0,1,2,3,4\n")  # two empty cells, and a real column named a.1
    assert duplicated_columns(path) == []
    assert list(read_csv(path, DatasetMismatchError).columns) == ["Unnamed: 0", "a", "a.1", "Unnamed: 3", "b"]


def test_without_a_header_nothing_is_a_column_name(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("1,1,1\n2,2,2\n")
    assert read_csv(path, DatasetMismatchError, header=None).shape == (2, 3)


def test_header_options_are_applied_to_the_header_check(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("# comment\na\tb\ta\n1\t2\t3\n")
    with pytest.raises(DatasetMismatchError, match="column a appears more than once"):
        read_csv(path, DatasetMismatchError, sep="\t", comment="#")


@pytest.mark.parametrize("content, reason", [
    (b"", "No columns to parse"),
    (bytes(range(256)) * 4, "codec can't decode"),
    (b'"a,b\n1,2\n', "EOF inside string"),
])
def test_files_that_are_no_table_give_one_line(tmp_path, content, reason):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DatasetMismatchError, match=rf"bad\.csv: not a CSV table \(.*{reason}") as info:
        read_csv(path, DatasetMismatchError)
    assert "\n" not in str(info.value)


def test_missing_file_or_a_directory(tmp_path):
    with pytest.raises(InputFileNotFoundError, match=r"absent\.csv: no such file"):
        read_csv(tmp_path / "absent.csv", DatasetMismatchError)
    with pytest.raises(DatasetMismatchError, match="not a medium CSV"):
        read_csv(tmp_path, DatasetMismatchError, "medium CSV")


def test_spaces_around_header_names_are_dropped_and_then_checked_for_repeats(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(" a ,b\t,GR\n1,2,3\n")
    assert list(read_csv(path, DatasetMismatchError).columns) == ["a", "b", "GR"]
    path.write_text("a,a ,GR\n1,2,3\n")
    with pytest.raises(DatasetMismatchError, match="column a appears more than once"):
        read_csv(path, DatasetMismatchError)


def test_a_spreadsheet_reads_as_its_csv(tmp_path):
    # the first sheet, with the options the callers use: an index column, ids as text, blank rows kept
    table = pd.DataFrame({"ID": ["005", "6", None, "7"], "EX_glc__D_e_i": [1.5, 0.5, None, 2.5], "GR_AVG": [0.5, 0.1, None, 0.3]})
    table.to_csv(tmp_path / "t.csv", index=False)
    table.to_excel(tmp_path / "t.xlsx", index=False)
    for options in ({}, {"index_col": 0}, {"dtype": {"ID": str}}, {"dtype": str, "keep_default_na": False}):
        csv = read_csv(tmp_path / "t.csv", DatasetMismatchError, **options)
        xlsx = read_csv(tmp_path / "t.xlsx", DatasetMismatchError, **options)
        pd.testing.assert_frame_equal(xlsx, csv, check_dtype=False)
    assert read_csv(tmp_path / "t.xlsx", DatasetMismatchError, dtype={"ID": str})["ID"].iloc[0] == "005"


def test_an_experiment_table_in_a_spreadsheet_is_read_as_its_csv(tmp_path):
    from amn.dataset.reading import read_table

    table = pd.DataFrame({"EX_glc__D_e_i": [1, 0, 1, 0], "EX_fru_e_i": [0, 1, 1, 0], "GR_AVG": [0.5, 0.4, 0.8, 0.0]})
    table.to_csv(tmp_path / "t.csv", index=False)
    table.to_excel(tmp_path / "t.xlsx", index=False)
    csv, xlsx = read_table(tmp_path / "t.csv"), read_table(tmp_path / "t.xlsx")
    pd.testing.assert_frame_equal(xlsx.X, csv.X)
    pd.testing.assert_series_equal(xlsx.y, csv.y)
    assert xlsx.composition_ids == csv.composition_ids == ["EX_glc__D_e_i", "EX_fru_e_i"]


def test_a_spreadsheet_that_is_not_one_gives_one_line(tmp_path):
    pd.DataFrame([[1, 2, 3]], columns=["a", "b", "a "]).to_excel(tmp_path / "dup.xlsx", index=False)
    with pytest.raises(DatasetMismatchError, match=r"dup\.xlsx: column a appears more than once"):
        read_csv(tmp_path / "dup.xlsx", DatasetMismatchError)
    (tmp_path / "broken.xlsx").write_text("a,b\n1,2\n")  # a CSV named .xlsx
    with pytest.raises(MediumError, match=r"broken\.xlsx: not a spreadsheet table \(File is not a zip file\)") as info:
        read_csv(tmp_path / "broken.xlsx", MediumError)
    assert "\n" not in str(info.value)
