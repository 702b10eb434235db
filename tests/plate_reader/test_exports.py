"""A plate reader's own export, as it leaves the instrument: metadata above the table, wells as columns
(Gen5-like) or as rows (Tecan-like), comma, semicolon or tab, decimal commas, CSV or Excel.  Each reads
as the plain table of the same curves does."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from amn.errors import PlateReaderError
from amn.plate_reader.curation import auto_growth_rates
from amn.plate_reader.files import read_plate

TIMES_S = np.arange(0, 12 * 3600 + 1, 600)  # every 10 min for 12 h
RATES = {"A1": 0.4, "A2": 0.4, "B1": 0.7, "B2": 0.7}


def _od() -> dict[str, np.ndarray]:
    hours = TIMES_S / 3600
    return {w: np.round(0.01 * np.exp(rate * np.minimum(hours, 6.0)), 4) for w, rate in RATES.items()}


def _hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _plain(path):
    pd.DataFrame({"TIME": TIMES_S / 3600, **_od()}).to_csv(path, index=False)
    return path


def _columns_export() -> list[list[str]]:
    """Gen5-like: metadata (the run's date and time among it), then Time (h:mm:ss), the temperature and one
    column a well."""
    od = _od()
    rows = [["Software Version", "3.11.19"], ["Experiment File Path:", "C:\\plates\\run.xpt"],
            ["Date", "12/8/2026"], ["Time", "10:23:45 AM"], [],  # the run's clock time is no table
            ["Read", "600"], [], ["Time", "T° 600", *od]]
    rows += [[_hms(int(t)), "30.0", *(f"{od[w][k]}" for w in od)] for k, t in enumerate(TIMES_S)]
    return rows + [[], ["Results"], ["A1", "0.5"]]


def _rows_export(decimal: str = ".") -> list[list[str]]:
    """Tecan-like: metadata, the cycle, time (s) and temperature rows, then a row a well."""
    od = _od()
    rows = [["Application:", "Tecan i-control"], ["Device: infinite 200Pro"], [],
            ["Cycle Nr.", *(str(k + 1) for k in range(len(TIMES_S)))],
            ["Time [s]", *(str(int(t)) for t in TIMES_S)],
            ["Temp. [°C]", *(["30.1"] * len(TIMES_S))]]
    rows += [[w, *(str(v) for v in od[w])] for w in od]
    rows += [[], ["End Time:", "2026-12-08 12:00:00"]]
    return [[cell.replace(".", decimal) if cell[:1].isdigit() else cell for cell in row] for row in rows]


def _write(rows, path, delimiter=","):
    path.write_text("\n".join(delimiter.join(row) for row in rows) + "\n", encoding="utf-8")
    return path


def _excel(rows, path):
    numeric = [[float(c) if c.replace(".", "", 1).isdigit() else c for c in row] for row in rows]
    pd.DataFrame(numeric).to_excel(path, header=False, index=False)
    return path


@pytest.mark.parametrize("make", [
    lambda d: _write(_columns_export(), d / "gen5.csv"),
    lambda d: _write(_columns_export(), d / "gen5.txt", "\t"),
    lambda d: _write(_rows_export(), d / "tecan.csv"),
    lambda d: _write(_rows_export(","), d / "tecan_de.csv", ";"),  # a German-locale export
    lambda d: _excel(_rows_export(), d / "tecan.xlsx"),
    lambda d: _excel(_columns_export(), d / "gen5.xlsx"),
], ids=["wells-as-columns", "tab", "wells-as-rows", "semicolon-decimal-comma", "excel-rows", "excel-columns"])
def test_an_export_reads_as_the_plain_table(tmp_path, make):
    times, od, issues = read_plate(_plain(tmp_path / "plain.csv"))
    got_times, got_od, got_issues = read_plate(make(tmp_path))
    np.testing.assert_allclose(got_times, times, atol=1e-9)
    assert list(got_od.columns) == list(RATES) and not got_issues and not issues
    np.testing.assert_allclose(got_od.to_numpy(), od.to_numpy(), atol=1e-12)


def test_a_folder_of_excel_exports_gives_the_rates_of_its_csv_tables(tmp_path):
    for name, data_file in (("csv", "P1_data.csv"), ("xlsx", "run 1.xlsx")):
        folder = tmp_path / name
        folder.mkdir()
        if name == "csv":
            _plain(folder / data_file)
        else:
            _excel(_rows_export(), folder / data_file)
        pd.DataFrame({"c": [1, 2]}, index=[1, 2]).to_csv(folder / "design.csv")
        entry = {"compositions_file": "design.csv", "rows": [0, 2], "layout": [["A1", "A2"], ["B1", "B2"]],
                 "data_file": data_file}
        (folder / "plates.json").write_text(json.dumps({"plates": {"P1": entry}}))
    csv_rates, xlsx_rates = (auto_growth_rates(tmp_path / name).table for name in ("csv", "xlsx"))
    pd.testing.assert_frame_equal(xlsx_rates, csv_rates)
    np.testing.assert_allclose(csv_rates["GR_AVG"], [0.4, 0.7], rtol=0.02)  # readings of 4 decimals


def test_an_export_without_a_table_of_curves_is_a_one_line_error(tmp_path):
    rows = [["Application:", "Tecan i-control"], [], ["Cycle Nr.", "1", "2"], ["Temp. [°C]", "30", "30"],
            ["A1", "0.1", "0.2"]]
    with pytest.raises(PlateReaderError, match="tecan.csv: needs one time column"):
        read_plate(_write(rows, tmp_path / "tecan.csv"))
    with pytest.raises(PlateReaderError, match="tecan.xlsx: needs one time column"):
        read_plate(_excel(rows, tmp_path / "tecan.xlsx"))
    (tmp_path / "broken.xlsx").write_text("not a zip")
    with pytest.raises(PlateReaderError, match="broken.xlsx: cannot read the plate"):
        read_plate(tmp_path / "broken.xlsx")
