"""Reading curve tables: the layout, and one-line errors naming file and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from amn.dynamics import read_curve_table
from amn.errors import PlateReaderError


def _write(tmp_path, media=None, curves=None):
    media = media if media is not None else pd.DataFrame({"ID": [1, 2], "glc__D_e": [5.0, 0.0], "succ_e": [0.0, 3.0]})
    t = [0.0, 1.0, 2.0]
    curves = curves if curves is not None else pd.DataFrame(
        {"T_1": t, "OD_1": [-3.0, -2.5, -2.0], "DEV_1": [0.01] * 3, "T_2": t, "OD_2": [-3.0, -2.9, -2.8], "DEV_2": [0.02] * 3})
    media.to_csv(tmp_path / "media.csv", index=False)
    curves.to_csv(tmp_path / "curves.csv", index=False)
    return tmp_path / "media.csv", tmp_path / "curves.csv"


def test_reads_media_times_od_and_sd(tmp_path):
    data = read_curve_table(*_write(tmp_path))
    assert data.ids == ["1", "2"]
    assert data.compounds == ["glc__D_e", "succ_e"]
    np.testing.assert_array_equal(data.times, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(data.log_od[1], [-3.0, -2.9, -2.8])
    np.testing.assert_array_equal(data.sd[0], [0.01] * 3)
    assert data.media.loc["2", "succ_e"] == 3.0


def test_curve_without_medium(tmp_path):
    curves = pd.DataFrame({"T_1": [0.0, 1.0], "OD_1": [-3.0, -2.0], "T_9": [0.0, 1.0], "OD_9": [-3.0, -2.0]})
    with pytest.raises(PlateReaderError, match=r"curves\.csv: column OD_9: no medium 9 in .*media\.csv") as info:
        read_curve_table(*_write(tmp_path, curves=curves))
    assert "\n" not in str(info.value)


def test_non_increasing_times(tmp_path):
    curves = pd.DataFrame({"T_1": [0.0, 2.0, 1.0], "OD_1": [-3.0, -2.0, -1.0]})
    with pytest.raises(PlateReaderError, match=r"curves\.csv: column T_1: times not increasing"):
        read_curve_table(*_write(tmp_path, curves=curves))


def test_nan_od(tmp_path):
    curves = pd.DataFrame({"T_1": [0.0, 1.0, 2.0], "OD_1": [-3.0, np.nan, -1.0]})
    with pytest.raises(PlateReaderError, match=r"curves\.csv: column OD_1: OD .* at row 2 is not a number"):
        read_curve_table(*_write(tmp_path, curves=curves))


def test_times_differ_between_curves(tmp_path):
    curves = pd.DataFrame({"T_1": [0.0, 1.0], "OD_1": [-3.0, -2.0], "T_2": [0.0, 1.5], "OD_2": [-3.0, -2.0]})
    with pytest.raises(PlateReaderError, match=r"column T_2: times differ from T_1"):
        read_curve_table(*_write(tmp_path, curves=curves))


def test_negative_concentration(tmp_path):
    media = pd.DataFrame({"ID": [1], "glc__D_e": [-1.0]})
    curves = pd.DataFrame({"T_1": [0.0, 1.0], "OD_1": [-3.0, -2.0]})
    with pytest.raises(PlateReaderError, match=r"media\.csv: column glc__D_e: concentration -1.0 of medium 1"):
        read_curve_table(*_write(tmp_path, media=media, curves=curves))
