"""Knockout inputs read from files (candidate gene lists, per-medium knockout tables) and their errors."""

from __future__ import annotations

import pandas as pd
import pytest

from amn.errors import DatasetMismatchError, InputFileNotFoundError, ParameterError, UnknownGeneError
from amn.network import Knockouts, RandomKnockouts
from amn.network.knockouts import read_gene_list, read_knockout_table


@pytest.fixture(scope="module")
def mapping(textbook_net):
    return Knockouts(textbook_net)


def test_knockout_table_rows_are_knockout_sets(tmp_path, mapping):
    path = tmp_path / "k.csv"
    pd.DataFrame({"knockouts": ["", "b1136", "PGI; b2926"], "note": ["wt", "icd", "two"]}).to_csv(path, index=False)
    assert read_knockout_table(path, 3, mapping) == [frozenset(), {"b1136"}, {"PGI", "b2926"}]
    path.write_text("knockouts\nb1136\n\nPGI\n")  # a blank line is a wild-type row
    assert read_knockout_table(path, 3) == [{"b1136"}, frozenset(), {"PGI"}]


@pytest.mark.parametrize(
    "frame, rows, error, message",
    [
        ({"genes": ["", "b1136"]}, 2, DatasetMismatchError, r"k.csv: no column 'knockouts'"),
        ({"knockouts": ["b1136"]}, 2, DatasetMismatchError, r"k.csv: 1 rows, the media table has 2"),
        ({"knockouts": ["", "nope"]}, 2, UnknownGeneError, r"k.csv: model .*: unknown gene or reaction id\(s\) nope"),
    ],
)
def test_bad_knockout_tables_name_the_file(tmp_path, mapping, frame, rows, error, message):
    path = tmp_path / "k.csv"
    pd.DataFrame(frame).to_csv(path, index=False)
    with pytest.raises(error, match=message):
        read_knockout_table(path, rows, mapping)


def test_unknown_ids_are_only_checked_against_a_network(tmp_path):
    path = tmp_path / "k.csv"
    pd.DataFrame({"knockouts": ["nope"]}).to_csv(path, index=False)
    assert read_knockout_table(path, 1) == [{"nope"}]


def test_missing_files_are_input_file_not_found(tmp_path):
    for read in (lambda p: read_knockout_table(p, 1), read_gene_list):
        with pytest.raises(InputFileNotFoundError, match="absent.txt: no such file") as info:
            read(tmp_path / "absent.txt")
        assert isinstance(info.value, FileNotFoundError)


def test_random_knockouts_check_their_parameters(textbook_net):
    with pytest.raises(ParameterError, match=r"wild-type fraction must be in \[0, 1\) \(got 1.0\)"):
        RandomKnockouts.from_network(textbook_net, wild_type=1.0)
    genes = [f"g{i}" for i in range(7)]
    with pytest.raises(UnknownGeneError, match="g0, g1, g2, g3, g4 and 2 more"):
        RandomKnockouts.from_network(textbook_net, genes)
