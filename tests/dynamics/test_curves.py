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
        read_curve_table(*_write(tmp_path, media=pd.DataFrame({"ID": [1], "glc__D_e": [5.0]}), curves=curves))


def test_nan_od(tmp_path):
    curves = pd.DataFrame({"T_1": [0.0, 1.0, 2.0], "OD_1": [-3.0, np.nan, -1.0]})
    with pytest.raises(PlateReaderError, match=r"curves\.csv: column OD_1: OD missing at row 2 is not a number"):
        read_curve_table(*_write(tmp_path, media=pd.DataFrame({"ID": [1], "glc__D_e": [5.0]}), curves=curves))


def test_curves_read_at_different_times_share_the_union_of_their_times(tmp_path):
    """Flasks sampled by hand: each curve keeps its own readings, NaN at the others' times; a curve read
    fewer times ends in empty cells of the wide layout, and the long layout gives the same curves."""
    curves = pd.DataFrame({"T_1": [0.0, 1.0, 3.0], "OD_1": [-3.0, -2.0, -1.0], "DEV_1": [0.0, 0.1, 0.1],
                           "T_2": [0.0, 1.5, None], "OD_2": [-3.0, -2.5, None], "DEV_2": [0.0, 0.2, None]})
    with pytest.warns(UserWarning, match=r"curves\.csv: curves read at different times \(2-3 readings each\): on the "
                                         r"4 times of all of them"):
        data = read_curve_table(*_write(tmp_path, curves=curves))
    np.testing.assert_array_equal(data.times, [0.0, 1.0, 1.5, 3.0])
    np.testing.assert_array_equal(data.log_od, [[-3.0, -2.0, np.nan, -1.0], [-3.0, np.nan, -2.5, np.nan]])
    np.testing.assert_array_equal(data.sd, [[0.0, 0.1, np.nan, 0.1], [0.0, np.nan, 0.2, np.nan]])
    np.testing.assert_array_equal(data.read.sum(axis=1), [3, 2])
    long = pd.DataFrame({"ID": ["1", "1", "1", "2", "2"], "time": [0.0, 1.0, 3.0, 0.0, 1.5],
                         "log_od": [-3.0, -2.0, -1.0, -3.0, -2.5], "sd": [0.0, 0.1, 0.1, 0.0, 0.2]})
    with pytest.warns(UserWarning, match="curves read at different times"):
        same = read_curve_table(*_write(tmp_path, curves=long))
    np.testing.assert_array_equal(same.log_od, data.log_od)
    np.testing.assert_array_equal(same.sd, data.sd)


@pytest.mark.parametrize("curves, message", [
    ({"T_1": [0.0, 1.0], "OD_1": [-3.0, -2.0], "T_2": [0.0, None], "OD_2": [-3.0, None]},
     r"medium 2 has one reading: a curve needs two or more"),
    ({"T_1": [0.0, 1.0, 2.0], "OD_1": [-3.0, -2.0, -1.0], "T_2": [0.0, None, 2.0], "OD_2": [-3.0, None, -2.0]},
     r"column T_2: time missing at row 2 is not a number"),  # an empty cell inside a curve is no reading
    ({"T_1": [0.0, 1.0, 2.0], "OD_1": [-3.0, -2.0, -1.0], "T_2": [0.0, 1.0, None], "OD_2": [-3.0, -2.0, -1.0]},
     r"column T_2: time missing at row 3 is not a number"),
])
def test_curves_read_at_different_times_that_cannot_be_are_refused(tmp_path, curves, message):
    with pytest.raises(PlateReaderError, match=message) as info:
        read_curve_table(*_write(tmp_path, curves=pd.DataFrame(curves)))
    assert "\n" not in str(info.value)


def test_negative_concentration(tmp_path):
    media = pd.DataFrame({"ID": [1], "glc__D_e": [-1.0]})
    curves = pd.DataFrame({"T_1": [0.0, 1.0], "OD_1": [-3.0, -2.0]})
    with pytest.raises(PlateReaderError, match=r"media\.csv: column glc__D_e: concentration -1.0 of medium 1"):
        read_curve_table(*_write(tmp_path, media=media, curves=curves))


def test_a_media_file_may_hold_more_media_than_curves_and_says_so(tmp_path):
    media = pd.DataFrame({"ID": [1, 2, 3], "glc__D_e": [5.0, 0.0, 1.0]})
    curves = pd.DataFrame({"T_1": [0.0, 1.0], "OD_1": [-3.0, -2.0], "T_3": [0.0, 1.0], "OD_3": [-3.0, -2.5]})
    with pytest.warns(UserWarning, match=r"media\.csv: 1 medium\(s\) without a curve in .*curves\.csv left out: 2$"):
        data = read_curve_table(*_write(tmp_path, media=media, curves=curves))
    assert data.ids == ["1", "3"]


def test_ids_are_read_as_written(tmp_path):
    media = pd.DataFrame({"ID": ["005", "5.0"], "glc__D_e": [5.0, 1.0]})
    curves = pd.DataFrame({"T_005": [0.0, 1.0], "OD_005": [-3.0, -2.0], "T_5.0": [0.0, 1.0], "OD_5.0": [-3.0, -2.5]})
    assert read_curve_table(*_write(tmp_path, media=media, curves=curves)).ids == ["005", "5.0"]


@pytest.mark.parametrize("change, message", [
    ({"notes": ["a", "b", "c"]}, r"curves\.csv: column notes: not the T_<ID>, OD_<ID> or DEV_<ID> column of a curve"),
    ({"SD_1": [0.1] * 3}, r"column SD_1: not the T_<ID>"),
    ({"T_9": [0.0, 1.0, 2.0]}, r"column T_9: not the T_<ID>"),
    ({"DEV_2": None}, r"curves\.csv: column DEV_2 is missing: give the SD of every curve, or of none"),
    ({"DEV_1": [0.01, -0.5, 0.01]}, r"curves\.csv: column DEV_1: SD -0.5 at row 2 is negative"),
    ({"OD_2": [-3.0, 84.0, 90.0]}, r"curves\.csv: column OD_2: 84 at row 2 is not a ln OD600 \(above 5"),
    ({"OD_2": [-3.0, np.nan, -2.0]}, r"curves\.csv: column OD_2: OD missing at row 2 is not a number$"),
])
def test_columns_of_no_curve_partial_or_negative_sd_and_od_that_is_not_ln_od_are_refused(tmp_path, change, message):
    t = [0.0, 1.0, 2.0]
    curves = pd.DataFrame({"T_1": t, "OD_1": [-3.0, -2.5, -2.0], "DEV_1": [0.01] * 3,
                           "T_2": t, "OD_2": [-3.0, -2.9, -2.8], "DEV_2": [0.02] * 3})
    for column, values in change.items():
        curves = curves.drop(columns=column) if values is None else curves.assign(**{column: values})
    with pytest.raises(PlateReaderError, match=message) as info:
        read_curve_table(*_write(tmp_path, curves=curves))
    assert "\n" not in str(info.value)


def test_a_compound_named_twice_is_refused(textbook_net):
    from amn.dynamics.network import compound_uptakes
    from amn.errors import UnknownReactionError

    assert compound_uptakes(textbook_net, ["glc__D_e", "EX_succ_e_i"]) == ["EX_glc__D_e_i", "EX_succ_e_i"]
    with pytest.raises(UnknownReactionError, match=r"m\.csv: column EX_glc__D_e_i: the same uptake EX_glc__D_e_i as "
                                                   r"column glc__D_e"):
        compound_uptakes(textbook_net, ["glc__D_e", "EX_glc__D_e_i"], "m.csv")


def test_plate_folders_label_each_medium_by_its_own_design_and_say_what_they_leave_out(raw_dir, tmp_path):
    import json
    import shutil
    import warnings

    from amn.dynamics import read_plate_folder

    with pytest.warns(UserWarning, match="C5F7: plate 20220514: not a well name"):  # the published record
        reference = read_plate_folder(raw_dir, every=6)
    folder = tmp_path / "raw"
    shutil.copytree(raw_dir, folder)
    record = json.loads((folder / "plates.json").read_text())
    date, spec = next(iter(record["plates"].items()))
    design = pd.read_csv(folder / spec["compositions_file"], index_col=0)
    design[design.columns[::-1]].to_csv(folder / spec["compositions_file"])  # the same design, columns reversed
    spec["outlier_wells"] = [w.lower() for w in spec["outlier_wells"]]  # well names in lower case
    (folder / "plates.json").write_text(json.dumps(record))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same = read_plate_folder(folder, every=6)
    pd.testing.assert_frame_equal(same.media[reference.compounds], reference.media, check_like=False)
    np.testing.assert_array_equal(same.log_od, reference.log_od)

    plate = pd.read_csv(folder / f"{date}_data.csv")
    from amn.plate_reader.files import DEFAULT_LAYOUT

    kept = next(w for w in DEFAULT_LAYOUT[0] if w.lower() not in spec["outlier_wells"])
    plate[kept] = plate[kept].astype(object)
    plate.loc[3, kept] = "n/a"
    plate.to_csv(folder / f"{date}_data.csv", index=False)
    with pytest.warns(UserWarning) as caught:
        read = read_plate_folder(folder, every=6)
    assert [str(w.message) for w in caught if f"well {kept}" in str(w.message)] == [
        (f"{folder / (date + '_data.csv')}: well {kept}: non-numeric OD 'n/a' at TIME="
        f"{plate['TIME'].iloc[3]:g} h; left out")]
    assert not np.array_equal(read.log_od[0], reference.log_od[0])  # the first medium, without that well


def _long(wide: pd.DataFrame, replicates: int = 1, noise: float = 0.0) -> pd.DataFrame:
    """The wide curves as one reading a row (in another order), each reading ``replicates`` times as raw OD."""
    rng = np.random.default_rng(0)
    rows = []
    for column in [c for c in wide.columns if c.startswith("OD_")]:
        i = column[3:]
        for t, y in zip(wide[f"T_{i}"], wide[column]):
            rows += [{"medium": i, "Time [s]": t * 3600, "od": np.exp(y + rng.normal(0, noise))} for _ in range(replicates)]
    return pd.DataFrame(rows).sample(frac=1.0, random_state=1)  # any row order


def test_a_table_with_one_reading_a_row_is_the_wide_table(tmp_path):
    wide = read_curve_table(*_write(tmp_path))
    curves = pd.read_csv(tmp_path / "curves.csv")
    long = _long(curves)
    long["sd"] = 0.01
    long.loc[long["medium"] == "2", "sd"] = 0.02
    _write(tmp_path, curves=long)
    read = read_curve_table(tmp_path / "media.csv", tmp_path / "curves.csv")
    assert read.ids == ["1", "2"] or read.ids == ["2", "1"]
    order = [read.ids.index(i) for i in wide.ids]
    np.testing.assert_allclose(read.times, wide.times)
    np.testing.assert_allclose(read.log_od[order], wide.log_od, atol=1e-12)
    np.testing.assert_allclose(read.sd[order], wide.sd)


def test_replicate_rows_give_the_mean_ln_od_and_its_sd(tmp_path):
    _write(tmp_path)
    long = _long(pd.read_csv(tmp_path / "curves.csv"), replicates=3, noise=0.05)
    _write(tmp_path, curves=long)
    read = read_curve_table(tmp_path / "media.csv", tmp_path / "curves.csv")
    k = read.ids.index("2")
    at_1h = np.log(long.loc[(long["medium"] == "2") & (long["Time [s]"] == 3600), "od"].to_numpy())
    assert read.log_od[k, 1] == pytest.approx(at_1h.mean())
    assert read.sd[k, 1] == pytest.approx(at_1h.std(ddof=1))


@pytest.mark.parametrize("change, message", [
    (lambda t: t.assign(od=t["od"].where(t.index != t.index[0], 0.0)), r"column od: OD 0 at row 1 is not positive"),
    (lambda t: t.assign(medium=t["medium"].replace("2", "9")), r"column medium \(9\): no medium 9 in .*media\.csv"),
    (lambda t: t.assign(note="x"), r"column note: not medium, Time \[s\], od or sd"),
    (lambda t: pd.concat([t, t]).assign(sd=0.1), r"medium . has two readings at . h and an sd column"),
    (lambda t: t.rename(columns={"od": "absorbance"}), r"no OD_<ID> column \(wide layout\), nor the columns ID, a time"),
])
def test_a_long_table_that_is_not_one_is_refused_in_one_line(tmp_path, change, message):
    _write(tmp_path)
    _write(tmp_path, curves=change(_long(pd.read_csv(tmp_path / "curves.csv"))))
    with pytest.raises(PlateReaderError, match=r"curves\.csv: " + message) as info:
        read_curve_table(tmp_path / "media.csv", tmp_path / "curves.csv")
    assert "\n" not in str(info.value)


def test_long_table_ids_are_read_as_written(tmp_path):
    media = pd.DataFrame({"ID": ["005", "5"], "glc__D_e": [1.0, 2.0]})
    long = pd.DataFrame({"ID": ["005", "005", "5", "5"], "time": [0, 1, 0, 1], "log_od": [-3, -2, -3, -1]})
    read = read_curve_table(*_write(tmp_path, media=media, curves=long))
    assert read.ids == ["005", "5"] and read.sd is None
    np.testing.assert_array_equal(read.log_od, [[-3, -2], [-3, -1]])


def test_a_curve_set_refuses_an_sd_that_is_no_sd_where_read():
    from amn.dynamics import CurveSet

    media = pd.DataFrame({"glc__D_e": [1.0]}, index=pd.Index(["a"], name="ID"))
    with pytest.raises(PlateReaderError, match=r"x: SD nan of medium a at 1 h is not a number >= 0"):
        CurveSet(media, [0.0, 1.0, 2.0], [[-3.0, -2.0, np.nan]], [[0.1, np.nan, np.nan]], "x")
    CurveSet(media, [0.0, 1.0, 2.0], [[-3.0, -2.0, np.nan]], [[0.1, 0.1, np.nan]], "x")  # none where not read
