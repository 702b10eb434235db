"""Blank wells: a plate that declares wells of medium without cells has their median reading
subtracted, and only points above the limit of quantification are fitted.  On curves of a known
exponential rate over an optical background, the blanked rate is that rate, the raw one is not."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from amn.cli import main
from amn.errors import PlateReaderError
from amn.plate_reader.curation import auto_growth_rates
from amn.plate_reader.files import read_curation
from amn.plate_reader.growth_rates import LOQ_SDS, curated_growth_rates, plate_curves

RATES = [0.3, 0.5, 0.7, 0.9]
BACKGROUND, START, CAP = 0.085, 0.001, 0.5  # OD of the plastic and medium; of the inoculum; at the plateau
BLANK_OFFSET, NOISE = 0.0015, 0.0005  # SD of a well's optical offset; of a reading
TIMES = np.arange(0, 24, 1 / 6)


def _plate(folder, blanks=("A12", "B12", "C12", "D12"), offset=BLANK_OFFSET, noise=NOISE, seed=0, by_reader=False):
    """One plate of 4 media (rows A-D, 3 replicates in columns 1-3) growing exponentially at RATES
    from START until CAP, read over BACKGROUND with a per-well offset (SD ``offset``) and reading
    noise (SD ``noise``; when not 0, rounded to 3 decimals as readers write); blank wells read the
    background alone, with the offsets of blank wells (SD BLANK_OFFSET) and the same noise.
    ``by_reader``: the reader subtracted BACKGROUND before writing (no blank wells, ``"blanked": true``)."""
    rng = np.random.default_rng(seed)

    def reading(cells, sd=offset):
        od = BACKGROUND * (not by_reader) + rng.normal(0, sd) + cells + rng.normal(0, noise, len(TIMES))
        return np.round(od, 3) if noise else od

    layout = [[f"{row}{c}" for c in (1, 2, 3)] for row in "ABCD"]
    curves = {w: reading(np.minimum(START * np.exp(rate * TIMES), CAP)) for rate, medium in zip(RATES, layout)
              for w in medium}
    curves.update({w: reading(np.zeros(len(TIMES)), BLANK_OFFSET) for w in blanks})
    pd.DataFrame({"TIME": TIMES, **curves}).to_csv(folder / "P1_data.csv", index=False)
    pd.DataFrame({"c": RATES}, index=range(1, 5)).to_csv(folder / "design.csv")
    entry = {"compositions_file": "design.csv", "rows": [0, 4], "layout": layout}
    if blanks:
        entry["blanks"] = list(blanks)
    if by_reader:
        entry["blanked"] = True
    (folder / "plates.json").write_text(json.dumps({"plates": {"P1": entry}}))
    return folder


@pytest.mark.parametrize("offset, noise, rtol", [
    (0.0, 0.0, 1e-9),  # exact readings, wells that read as the blanks' median: the exponential rate
    # wells whose plastic reads off the blanks' median as blanks differ (SD 0.0015 OD), reading noise
    # and 3 decimals: the first windows above the limit of quantification (10 SDs) carry up to ~1/10
    # of error per SD of offset, and the largest slope picks the windows the noise steepens
    (BLANK_OFFSET, NOISE, 0.2),
])
def test_blanked_rates_are_the_exponential_rates(tmp_path, offset, noise, rtol):
    (tmp_path / "raw").mkdir()
    raw = auto_growth_rates(_plate(tmp_path / "raw", blanks=(), offset=offset, noise=noise))
    blanked = auto_growth_rates(_plate(tmp_path, offset=offset, noise=noise))
    if not offset:  # the blanks' median reads BACKGROUND exactly
        data = pd.read_csv(tmp_path / "P1_data.csv")
        data[["A12", "B12", "C12", "D12"]] = BACKGROUND
        data.to_csv(tmp_path / "P1_data.csv", index=False)
        blanked = auto_growth_rates(tmp_path)
    rates = np.array(RATES)
    np.testing.assert_allclose(blanked.table["GR_AVG"], rates, rtol=rtol)
    assert (raw.table["GR_AVG"] < 0.85 * rates).all()  # the background flattens ln OD
    assert (np.abs(blanked.table["GR_AVG"] - rates) < np.abs(raw.table["GR_AVG"] - rates)).all()
    assert (raw.wells["loq"] == 0).all() and (blanked.wells["loq"] > 0).all()


def test_the_limit_of_quantification_is_ten_sds_of_the_blanks(tmp_path):
    loq = auto_growth_rates(_plate(tmp_path)).wells["loq"].unique()
    assert len(loq) == 1 and LOQ_SDS * 0.7 * BLANK_OFFSET < loq[0] < LOQ_SDS * 1.4 * BLANK_OFFSET


def test_one_blank_well_gives_the_noise_of_its_readings(tmp_path):
    folder = _plate(tmp_path, blanks=("H12",))
    data = pd.read_csv(folder / "P1_data.csv")
    noise = np.random.default_rng(1).normal(0, 0.002, len(TIMES))  # unrounded: the SD is 0.002
    data["H12"] = BACKGROUND + noise
    data.to_csv(folder / "P1_data.csv", index=False)
    (spec,) = read_curation(folder)[1]
    _, od, blank, _ = plate_curves(folder, spec)
    assert 0.0015 < blank.sd < 0.0025
    np.testing.assert_allclose(blank.level, data["H12"], rtol=1e-12)
    np.testing.assert_allclose(od["A1"], data["A1"] - data["H12"])


def test_a_plate_map_marks_blanks(tmp_path):
    expected = auto_growth_rates(_plate(tmp_path)).table
    record = json.loads((tmp_path / "plates.json").read_text())
    entry = record["plates"]["P1"]
    wells = [(w, k) for k, medium in enumerate(entry.pop("layout"), start=1) for w in medium]
    rows = wells + [(w.lower(), "Blank") for w in entry.pop("blanks")] + [("H1", None)]
    pd.DataFrame(rows, columns=["well", "medium"]).to_csv(tmp_path / "map.csv", index=False)
    entry["layout"] = "map.csv"
    (tmp_path / "plates.json").write_text(json.dumps(record))
    assert read_curation(tmp_path)[1][0].blanks == ("A12", "B12", "C12", "D12")
    pd.testing.assert_frame_equal(auto_growth_rates(tmp_path).table, expected)


def test_a_well_that_never_clears_the_limit_has_no_rate(tmp_path):
    _plate(tmp_path)
    data = pd.read_csv(tmp_path / "P1_data.csv")
    data["B2"] = np.round(BACKGROUND + 0.005 + np.random.default_rng(2).normal(0, NOISE, len(TIMES)), 3)
    data.to_csv(tmp_path / "P1_data.csv", index=False)
    result = auto_growth_rates(tmp_path)
    well = result.wells.set_index("well").loc["B2"]
    assert np.isnan(well["growth_rate"]) and well["reason"].startswith("never above the limit of quantification")
    assert any(str(issue).startswith("P1_data.csv: well B2: never above") for issue in result.issues)
    assert result.table["GR_AVG"].notna().all()  # the medium keeps its other replicates


@pytest.mark.parametrize("blanks, message", [
    (["A1"], r"plates\.json: plate P1: well A1 is both a blank and a medium's well"),
    (["A12", "9x"], r"plates\.json: plate P1: blanks: '9x' is not a well name"),
    (["A12", "a12"], r"plates\.json: plate P1: blanks: well A12 is given twice"),
    ("A12", r"plates\.json: plate P1: blanks must be a list of wells"),
])
def test_blanks_that_are_not_are_refused(tmp_path, blanks, message):
    _plate(tmp_path)
    record = json.loads((tmp_path / "plates.json").read_text())
    record["plates"]["P1"]["blanks"] = blanks
    (tmp_path / "plates.json").write_text(json.dumps(record))
    with pytest.raises(PlateReaderError, match=message) as info:
        read_curation(tmp_path)
    assert "\n" not in str(info.value)


def test_a_plate_without_a_readable_blank_is_refused(tmp_path):
    _plate(tmp_path, blanks=("A12",))
    data = pd.read_csv(tmp_path / "P1_data.csv")
    data["A12"] = "n/a"
    data.to_csv(tmp_path / "P1_data.csv", index=False)
    with pytest.raises(PlateReaderError, match=r"P1_data\.csv: plate P1: no readable blank well \(A12\)"):
        curated_growth_rates(tmp_path)


def test_plate_folder_curves_are_blanked(tmp_path):
    from amn.dynamics import read_plate_folder

    _plate(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        curves = read_plate_folder(tmp_path)
    assert any("median of the blank wells A12, B12, C12, D12 subtracted" in str(w.message) for w in caught)
    loq = auto_growth_rates(tmp_path).wells["loq"].iloc[0]
    assert np.isclose(curves.log_od.min(), np.log(loq))  # the floor
    for rate, curve in zip(RATES, curves.log_od):  # mid-exponential slope: the rate, not flattened
        inside = (curve > np.log(0.03)) & (curve < np.log(0.3))
        slope = np.polyfit(curves.times[inside], curve[inside], 1)[0]
        assert slope == pytest.approx(rate, rel=0.05)


def test_growth_rates_cli_says_blanks_were_subtracted(tmp_path):
    _plate(tmp_path)
    result = CliRunner().invoke(main, ["experiment", "growth-rates", str(tmp_path), "--out", str(tmp_path / "g.csv"),
                                        "--auto"])
    assert result.exit_code == 0, result.output
    assert "readings blank-subtracted on 1 of 1 plates (blank wells, or by the reader)" in result.output


@pytest.mark.parametrize("offset, noise, rtol", [(0.0, 0.0, 1e-9), (BLANK_OFFSET, NOISE, 0.2)])
def test_readings_the_reader_blanked_give_the_exponential_rates(tmp_path, offset, noise, rtol):
    result = auto_growth_rates(_plate(tmp_path, blanks=(), offset=offset, noise=noise, by_reader=True))
    np.testing.assert_allclose(result.table["GR_AVG"], RATES, rtol=rtol)
    if noise:  # readings at or below 0 are read; the wells' zero is known to their offsets' spread
        assert (pd.read_csv(tmp_path / "P1_data.csv").drop(columns="TIME").to_numpy() <= 0).any()
        assert LOQ_SDS * 0.5 * BLANK_OFFSET < result.wells["loq"].iloc[0] < LOQ_SDS * 1.5 * BLANK_OFFSET


def test_blanked_readings_not_declared_are_named_with_the_remedy(tmp_path):
    _plate(tmp_path, blanks=(), offset=0.0, by_reader=True)
    record = json.loads((tmp_path / "plates.json").read_text())
    del record["plates"]["P1"]["blanked"]
    (tmp_path / "plates.json").write_text(json.dumps(record))
    issues = [str(i) for i in auto_growth_rates(tmp_path).issues]
    assert issues and all(i.endswith('(readings a reader blanked: "blanked": true in plates.json)') for i in issues)


def test_a_given_limit_of_quantification_is_used(tmp_path):
    _plate(tmp_path)
    record = json.loads((tmp_path / "plates.json").read_text())
    record["loq"] = 0.05  # at the top: every plate
    (tmp_path / "plates.json").write_text(json.dumps(record))
    wells = auto_growth_rates(tmp_path).wells
    assert (wells["loq"] == 0.05).all()
    assert (wells["fit_start"] >= 0).all()


@pytest.mark.parametrize("settings, message", [
    ({"blanked": True}, r'plate P1: readings already blanked \("blanked": true\) cannot have blank wells subtracted'),
    ({"blanked": "yes"}, r"plate P1: blanked must be true or false, got 'yes'"),
    ({"loq": -1}, r"plate P1: loq must be a positive OD, got -1"),
    ({"blanks": [], "loq": 0.01}, r"plate P1: loq applies to blank-subtracted readings"),
])
def test_blank_settings_that_contradict_are_refused(tmp_path, settings, message):
    _plate(tmp_path)
    record = json.loads((tmp_path / "plates.json").read_text())
    record["plates"]["P1"].update(settings)
    (tmp_path / "plates.json").write_text(json.dumps(record))
    with pytest.raises(PlateReaderError, match=message) as info:
        read_curation(tmp_path)
    assert "\n" not in str(info.value)


def test_plate_figures_draw_the_blanked_curves_the_fits_used(tmp_path):
    from amn.plate_reader.plots import _plate_figure, plate_figures

    result = auto_growth_rates(_plate(tmp_path))
    (png,) = plate_figures(tmp_path, result.wells, tmp_path / "fig")
    assert png.exists()
    (spec,) = read_curation(tmp_path)[1]
    times, od, blank, _ = plate_curves(tmp_path, spec)
    fig = _plate_figure(times, od, result.wells, "P1", 6, blank.loq)
    ax = fig.axes[0]  # A1: a kept well with its fit
    assert ax.get_ylim()[0] == pytest.approx(blank.loq / 3 / 1.05)
    assert any(np.allclose(line.get_ydata(), blank.loq) for line in ax.get_lines())
    fitted = [line for line in ax.get_lines() if line.get_linestyle() == "-" and line.get_color() == "k"]
    rate = result.wells.set_index("well").loc["A1", "growth_rate"]
    x, y = fitted[0].get_data()  # the fitted exponential over the window, on the blanked curve
    assert np.log(y[-1] / y[0]) / (x[-1] - x[0]) == pytest.approx(rate)
    first = int(result.wells.set_index("well").loc["A1", "fit_start"])
    assert od["A1"].iloc[first] == pytest.approx(y[0], rel=0.2)  # drawn where the blanked readings are


def test_a_curated_window_below_the_limit_is_named(tmp_path):
    _plate(tmp_path)
    wells = [f"{row}{c}" for row in "ABCD" for c in (1, 2, 3)]
    windows = pd.DataFrame({w: [np.nan, np.nan] for w in wells}, index=["start", "stop"])
    windows["A1"] = [0.0, 3.0]  # 3 h: the first 19 readings of A1, all below the limit (0.3 1/h from 0.001 OD)
    windows.to_csv(tmp_path / "P1_start_stop.csv")
    result = curated_growth_rates(tmp_path)
    assert result.wells.set_index("well").loc["A1", "reason"].startswith(
        "no fit window inside start/stop above the limit of quantification")
    assert result.wells.set_index("well").drop("A1")["growth_rate"].notna().all()
