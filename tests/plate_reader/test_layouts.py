"""Plates of any layout and format: a plate moved to another layout, on a 384-well plate with its
wells named otherwise, gives the published growth rates of that plate; layouts of another number
of media and replicates give tables of that shape; a layout that is not one is refused in one line."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from amn.cli import main
from amn.errors import PlateReaderError
from amn.plate_reader.files import DEFAULT_LAYOUT, read_curation
from amn.plate_reader.growth_rates import curated_growth_rates

RATES = [f"GR_{i}" for i in range(1, 9)] + ["GR_AVG", "GR_STD"]


def _moved(well: str) -> str:
    """Where a well of the 96-well layout goes on the 384-well plate: medium ``i`` (column ``i + 1``)
    to row ``chr(ord('C') + i)``, replicate ``r`` (row A..H) to column ``2 * r + 5``, zero-padded,
    lower case (``a02`` -> ``c05``)."""
    medium, replicate = int(well[1:]) - 2, ord(well[0]) - ord("A")
    return f"{chr(ord('c') + medium)}{2 * replicate + 5:02d}"


@pytest.fixture(scope="module")
def moved(raw_dir, tmp_path_factory):
    """The first plate of the published record on a 384-well plate in another layout: the curves,
    the fit windows and the outlier wells moved by :func:`_moved`, the other 304 wells blank."""
    folder = tmp_path_factory.mktemp("moved")
    record = json.loads((raw_dir / "plates.json").read_text())
    date, spec = next(iter(record["plates"].items()))
    data = pd.read_csv(raw_dir / f"{date}_data.csv")
    curves = {f"{r}{c:02d}": np.full(len(data), 0.04) for r in "abcdefghijklmnop" for c in range(1, 25)}
    for well in (w for medium in DEFAULT_LAYOUT for w in medium):
        curves[_moved(well)] = data[well].to_numpy()
    pd.DataFrame({"TIME": data["TIME"], **curves}).to_csv(folder / "p1_curves.csv", index=False)
    windows = pd.read_csv(raw_dir / f"{date}_start_stop.csv", index_col=0)
    windows = windows[[w for medium in DEFAULT_LAYOUT for w in medium]].rename(columns=_moved)
    windows.to_csv(folder / "p1_windows.csv")
    design = spec["compositions_file"]
    (folder / design).write_bytes((raw_dir / design).read_bytes())
    layout = [[_moved(w) for w in medium] for medium in DEFAULT_LAYOUT]
    entry = {"compositions_file": design, "rows": spec["rows"], "layout": layout,
             "data_file": "p1_curves.csv", "windows_file": "p1_windows.csv",
             "outlier_wells": [_moved(w) for w in spec["outlier_wells"]]}
    (folder / "plates.json").write_text(json.dumps({"window_size_points": 6, "plates": {date: entry}}))
    return folder, date


def test_a_plate_in_another_layout_gives_its_published_rates(raw_dir, moved):
    folder, date = moved
    published = pd.read_csv(raw_dir / f"{date}_results.csv", index_col=0)
    result = curated_growth_rates(folder)
    assert list(result.table.columns) == list(published.columns)
    expected, got = published[RATES].to_numpy(), result.table[RATES].to_numpy()
    assert np.array_equal(np.isnan(expected), np.isnan(got)), "excluded wells differ"
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    assert result.wells["well"].iloc[0] == "C5"  # A2 of the published plate, named canonically (c05 in the files)


def test_a_plate_map_csv_is_the_same_layout(raw_dir, moved, tmp_path):
    folder, date = moved
    for path in folder.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    record = json.loads((tmp_path / "plates.json").read_text())
    layout = record["plates"][date].pop("layout")
    record["layout"] = "map.csv"  # at the top: every plate's layout
    (tmp_path / "plates.json").write_text(json.dumps(record))
    wells = [(w, k) for k, medium in enumerate(layout, start=1) for w in medium]
    plate_map = pd.DataFrame(wells, columns=["well", "medium"])  # media in any order; a medium's wells in replicate order
    plate_map = plate_map.sort_values("medium", ascending=False, kind="stable")
    blanks = pd.DataFrame({"well": ["A1", "P24"], "medium": [None, None]})  # blanks name no medium
    pd.concat([blanks, plate_map]).to_csv(tmp_path / "map.csv", index=False)
    expected = curated_growth_rates(folder).table
    pd.testing.assert_frame_equal(curated_growth_rates(tmp_path).table, expected)


def _synthetic(folder, plates):
    """A directory of plates given as ``{name: (rates per medium, replicates)}``: medium ``m`` in row
    ``m`` (A, B, ...), its replicates in columns 1.., growing at its rate after a 2-h lag."""
    times = np.arange(0, 16, 1 / 6)
    rows, record, first = "ABCDEFGHIJKLMNOP", {}, 0
    design = []
    for name, (rates, replicates) in plates.items():
        layout = [[f"{rows[m]}{c}" for c in range(1, replicates + 1)] for m in range(len(rates))]
        curves = {w: 0.02 * np.exp(rate * np.clip(times - 2, 0, None)) for rate, medium in zip(rates, layout)
                  for w in medium}
        pd.DataFrame({"TIME": times, **curves}).to_csv(folder / f"{name}_data.csv", index=False)
        record[name] = {"compositions_file": "design.csv", "rows": [first, first + len(rates)], "layout": layout}
        design += [[rate] for rate in rates]
        first += len(rates)
    pd.DataFrame(design, columns=["c"], index=range(1, first + 1)).to_csv(folder / "design.csv")
    (folder / "plates.json").write_text(json.dumps({"plates": record}))


def test_media_and_replicates_of_any_number(tmp_path):
    rates = {"P1": [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 0.25], "P2": [0.35, 0.45]}
    _synthetic(tmp_path, {"P1": (rates["P1"], 3), "P2": (rates["P2"], 4)})
    from amn.plate_reader.curation import auto_growth_rates

    table = auto_growth_rates(tmp_path).table
    assert list(table.columns) == ["c", "GR_1", "GR_2", "GR_3", "GR_4", "GR_AVG", "GR_STD"]
    assert len(table) == 14
    np.testing.assert_allclose(table["GR_AVG"], rates["P1"] + rates["P2"], rtol=1e-3)
    assert table["GR_4"].isna().sum() == 12  # P1's media have 3 replicates
    assert table.loc[12:, "GR_4"].notna().all()


def test_a_384_well_plate_is_drawn_whole(moved, tmp_path):
    from amn.plate_reader.plots import plate_figures

    folder, _ = moved
    wells = curated_growth_rates(folder).wells
    (png,) = plate_figures(folder, wells, tmp_path)
    from matplotlib.image import imread

    height, width = imread(png).shape[:2]
    assert (width, height) == (48 * 80, 28 * 80)  # 24 x 16 axes, 2 x 1.75 inches each, at 80 dpi


def test_plate_folder_curves_follow_the_layout(raw_dir, moved):
    from amn.dynamics import read_plate_folder

    folder, date = moved
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = read_plate_folder(raw_dir, every=6)
        same = read_plate_folder(folder, every=6)
    first = [i for i, m in enumerate(reference.media.index) if m.startswith(f"{date}:")]
    end = reference.log_od.shape[1]  # the published folder is cut to its shortest plate
    np.testing.assert_array_equal(same.log_od[:, :end], reference.log_od[first])
    pd.testing.assert_frame_equal(same.media, reference.media.iloc[first][same.media.columns])


@pytest.mark.parametrize("layout, message", [
    ([["A1", "B1"], ["A1"]], r"plates\.json: plate P1: layout: well A1 is given to two media"),
    ([["A1"], ["Z99x"]], r"plates\.json: plate P1: layout: 'Z99x' \(medium 2\) is not a well name"),
    ([["A1"], []], r"plates\.json: plate P1: layout: medium 2 has no well"),
    ("A1,B1", r"plate map.*no such file|cannot read"),
    ({"A1": 1}, r"plates\.json: plate P1: layout must be a list of lists of wells"),
])
def test_a_layout_that_is_not_one_is_refused(tmp_path, layout, message):
    record = {"plates": {"P1": {"compositions_file": "design.csv", "rows": [0, 2], "layout": layout}}}
    (tmp_path / "plates.json").write_text(json.dumps(record))
    with pytest.raises(PlateReaderError, match=message) as info:
        read_curation(tmp_path)
    assert "\n" not in str(info.value)


def test_design_rows_and_layout_must_agree(tmp_path):
    _synthetic(tmp_path, {"P1": ([0.3, 0.5, 0.7], 2)})
    record = json.loads((tmp_path / "plates.json").read_text())
    record["plates"]["P1"]["rows"] = [0, 2]
    (tmp_path / "plates.json").write_text(json.dumps(record))
    with pytest.raises(PlateReaderError, match=r"design\.csv: rows 0\.\.2 of plate P1 hold 2 media, but its layout has 3"):
        curated_growth_rates(tmp_path)


def test_plate_map_positions_must_be_positions(tmp_path):
    pd.DataFrame({"well": ["A1", "A2", "A3"], "medium": [1, None, 1.5]}).to_csv(tmp_path / "map.csv", index=False)
    (tmp_path / "plates.json").write_text(json.dumps({"layout": "map.csv", "plates": {
        "P1": {"compositions_file": "design.csv", "rows": [0, 1]}}}))
    with pytest.raises(PlateReaderError, match=r"map\.csv: column medium: 1\.5 at row 3 is not a position"):
        read_curation(tmp_path)


def test_growth_rates_cli_on_another_layout(moved, tmp_path):
    folder, _ = moved
    out = tmp_path / "growth.csv"
    result = CliRunner().invoke(main, ["experiment", "growth-rates", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "10 media, 80 wells" in result.output
    assert list(pd.read_csv(out, index_col=0).columns[-10:]) == RATES


@pytest.mark.parametrize("column, convert", [
    ("Time [s]", lambda h: (h * 3600).round(3)),
    ("time (min)", lambda h: (h * 60).round(6)),
    ("Time", lambda h: (h * 60).round().astype(int).map(lambda m: f"{m // 60}:{m % 60:02d}:00")),  # h:mm:ss
])
def test_time_columns_as_plate_readers_write_them(tmp_path, column, convert):
    _synthetic(tmp_path, {"P1": ([0.3, 0.6], 3)})
    from amn.plate_reader.curation import auto_growth_rates

    expected = auto_growth_rates(tmp_path).table
    data = pd.read_csv(tmp_path / "P1_data.csv")
    data.insert(0, column, convert(data.pop("TIME")))
    data.to_csv(tmp_path / "P1_data.csv", index=False)
    pd.testing.assert_frame_equal(auto_growth_rates(tmp_path).table, expected, rtol=1e-6)


def test_times_must_increase(tmp_path):
    _synthetic(tmp_path, {"P1": ([0.3], 2)})
    data = pd.read_csv(tmp_path / "P1_data.csv").rename(columns={"TIME": "Time [s]"})
    data.loc[5, "Time [s]"] = data.loc[4, "Time [s]"]
    data.to_csv(tmp_path / "P1_data.csv", index=False)
    with pytest.raises(PlateReaderError, match=r"P1_data\.csv: column Time \[s\]: times must be .* increasing"):
        curated_growth_rates(tmp_path)


def test_plates_read_at_other_times_are_interpolated_onto_the_first(tmp_path):
    from amn.dynamics import read_plate_folder

    _synthetic(tmp_path, {"P1": ([0.3, 0.5], 3), "P2": ([0.4], 2)})
    every_15_min = np.arange(0.05, 20, 0.25)  # P2 read every 15 min from 3 min on, for longer than P1
    curve = 0.02 * np.exp(0.4 * np.clip(every_15_min - 2, 0, None))
    pd.DataFrame({"Time [s]": every_15_min * 3600, "A1": curve, "A2": curve * 1.01}).to_csv(
        tmp_path / "P2_data.csv", index=False)
    with pytest.warns(UserWarning, match=r"P2_data\.csv: read at other times than P1_data\.csv; its curves are "
                                         r"interpolated onto those readings"):
        curves = read_plate_folder(tmp_path)
    p1 = np.arange(0, 16, 1 / 6)
    np.testing.assert_allclose(curves.times, p1[p1 >= 0.05 - 1e-6])  # P1's readings inside P2's span
    exact = np.log(0.02 * np.exp(0.4 * np.clip(curves.times - 2, 0, None)))
    np.testing.assert_allclose(curves.log_od[2], exact + np.log(1.01) / 2, atol=0.02)  # piecewise linear: exact but at the lag
    far = np.abs(curves.times - 2) > 0.25
    np.testing.assert_allclose(curves.log_od[2][far], (exact + np.log(1.01) / 2)[far], atol=1e-9)
    np.testing.assert_allclose(curves.log_od[0], np.log(0.02 * np.exp(0.3 * np.clip(curves.times - 2, 0, None))))


def test_plates_that_share_no_time_are_refused(tmp_path):
    from amn.dynamics import read_plate_folder

    _synthetic(tmp_path, {"P1": ([0.3], 2), "P2": ([0.4], 2)})
    data = pd.read_csv(tmp_path / "P2_data.csv")
    data["TIME"] += 100
    data.to_csv(tmp_path / "P2_data.csv", index=False)
    with pytest.raises(PlateReaderError, match=r"plates\.json: the plates' readings share no span of time"):
        read_plate_folder(tmp_path)


def test_figures_of_a_plate_plates_json_lacks_are_refused_before_any_is_drawn(moved, tmp_path):
    from amn.plate_reader.plots import plate_figures

    folder, _ = moved
    wells = curated_growth_rates(folder).wells
    wells = pd.concat([wells, wells.assign(plate="P9")])
    with pytest.raises(PlateReaderError, match=r"plates\.json: no plate P9 \(named by the per-well table\)"):
        list(plate_figures(folder, wells, tmp_path / "figures"))
    assert not (tmp_path / "figures").exists()


def test_a_plate_without_its_design_rows_is_named(tmp_path):
    (tmp_path / "plates.json").write_text(json.dumps({"plates": {"P1": {"compositions_file": "design.csv"}}}))
    with pytest.raises(PlateReaderError, match=r"plates\.json: plate P1 has no 'rows' \(its design file and the design "
                                               r"rows first:last it tested\)"):
        read_curation(tmp_path)
