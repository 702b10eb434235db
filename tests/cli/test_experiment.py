"""``amn experiment``: growth-rate tables, figures and media design from the command line."""

from __future__ import annotations

import json
from math import comb

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from amn.cli.experiment import experiment
from amn.errors import MediumError, ParameterError

PLATE = "20220504"


def _one_plate_dir(raw_dir, tmp_path, edit_data=None):
    """A raw directory with plate PLATE only (files linked, or the data rewritten by ``edit_data``)."""
    doc = json.loads((raw_dir / "plates.json").read_text())
    doc["plates"] = {PLATE: doc["plates"][PLATE]}
    tmp_path.mkdir()
    (tmp_path / "plates.json").write_text(json.dumps(doc))
    for name in (f"{PLATE}_start_stop.csv", doc["plates"][PLATE]["compositions_file"]):
        (tmp_path / name).symlink_to(raw_dir / name)
    data = pd.read_csv(raw_dir / f"{PLATE}_data.csv")
    (edit_data(data) if edit_data else data).to_csv(tmp_path / f"{PLATE}_data.csv", index=False)
    return tmp_path


def test_growth_rates_command_with_figures_and_auto(raw_dir, tmp_path):
    plate_dir = _one_plate_dir(raw_dir, tmp_path / "raw")
    out = tmp_path / "growth.csv"
    runner = CliRunner()
    result = runner.invoke(experiment, ["growth-rates", str(plate_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    published = pd.read_csv(raw_dir / f"{PLATE}_results.csv", index_col=0)
    written = pd.read_csv(out, index_col=0)
    np.testing.assert_allclose(written["GR_AVG"], published["GR_AVG"], rtol=0, atol=1e-9)

    figures = tmp_path / "figures"
    result = runner.invoke(
        experiment, ["growth-rates", str(plate_dir), "--out", str(out), "--auto", "--figures", str(figures)]
    )
    assert result.exit_code == 0, result.output
    png = figures / f"{PLATE}_curves.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "R^2 (auto vs curated)" in result.stdout and "rejected automatically" in result.stdout


def test_bad_wells_warned_and_rest_processed(raw_dir, tmp_path):
    def damage(data):
        data = data.drop(columns=["A2"]).astype({"B3": object})
        data.loc[5, "B3"] = "x"
        data.loc[9, "C4"] = -0.2
        return data

    plate_dir = _one_plate_dir(raw_dir, tmp_path / "raw", damage)
    out = tmp_path / "growth.csv"
    result = CliRunner().invoke(experiment, ["growth-rates", str(plate_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    data_file = f"{PLATE}_data.csv"
    assert f"{data_file}: well A2: missing from the plate file" in result.stderr
    assert f"{data_file}: well B3: non-numeric OD 'x'" in result.stderr
    assert f"{data_file}: well C4: non-positive OD -0.2" in result.stderr
    written = pd.read_csv(out, index_col=0)
    published = pd.read_csv(raw_dir / f"{PLATE}_results.csv", index_col=0)
    assert np.isnan(written.loc[0, "GR_1"]) and np.isnan(written.loc[1, "GR_2"]) and np.isnan(written.loc[2, "GR_3"])
    untouched = ["GR_4", "GR_5", "GR_6", "GR_7", "GR_8"]
    np.testing.assert_allclose(written[untouched], published[untouched], rtol=0, atol=1e-9)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_design_matches_published_design_files(raw_dir, tmp_path, k):
    published = pd.read_csv(raw_dir / f"compositions_{k}comps.csv", index_col=0)
    compounds = list(published.columns)
    out = tmp_path / "design.csv"
    args = ["design", "--compounds", ",".join(compounds), "--on", str(k), "--seed", "7", "--out", str(out)]
    result = CliRunner().invoke(experiment, args)
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[0] == (raw_dir / f"compositions_{k}comps.csv").read_text().splitlines()[0]
    design = pd.read_csv(out, index_col=0)
    assert len(design) == comb(len(compounds), k) and list(design.index) == list(range(1, len(design) + 1))
    assert (design.sum(axis=1) == k).all() and design.isin([0, 1]).all().all()
    # the published files list all combinations too: same set of media, in another order
    assert set(map(tuple, design.to_numpy())) == set(map(tuple, published.to_numpy()))


def test_design_reproducible_by_seed():
    def run(seed):
        result = CliRunner().invoke(experiment, ["design", "--compounds", "a,b,c,d,e,f", "--on", "3", "--seed", seed])
        assert result.exit_code == 0, result.output
        return result.stdout

    assert run("1") == run("1")
    assert run("1") != run("2")
    assert len(run("1").splitlines()) == 1 + comb(6, 3)


@pytest.mark.parametrize(
    "args, message, error",
    [
        (["--compounds", "a,b,a", "--on", "2"], "repeated compound(s) a", MediumError),
        (["--compounds", "a,b", "--on", "3"], "--on 3: must be between 1 and the number of compounds (2)", ParameterError),
        (["--compounds", "a,,b", "--on", "1"], "non-empty compound ids", MediumError),
    ],
)
def test_design_bad_input(args, message, error):
    result = CliRunner().invoke(experiment, ["design", *args, "--seed", "0"])
    assert isinstance(result.exception, error)  # the root `amn` group prints it as one line, exit 2
    assert message in str(result.exception)


def test_bad_input_is_one_line_exit_2_under_the_root_group(tmp_path):
    import click

    from amn.cli import AMNGroup

    @click.group(cls=AMNGroup)
    def root() -> None:
        """Stand-in for the `amn` root group."""

    root.add_command(experiment)
    result = CliRunner().invoke(root, ["experiment", "growth-rates", str(tmp_path), "--out", str(tmp_path / "g.csv")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"amn: error: {tmp_path / 'plates.json'}: cannot read the plate curation")
    assert len(result.stderr.splitlines()) == 1
