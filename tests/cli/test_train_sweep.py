"""`amn train --grid` (a sweep) and `--workers` (folds on a local Dask cluster): same numbers either way."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from amn.cli import main
from amn.dataset import generate
from amn.media import RandomMedia
from amn.media.spec import core_medium


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, textbook_net):
    path = tmp_path_factory.mktemp("sweep") / "d.npz"
    generate(textbook_net, RandomMedia(core_medium(textbook_net), 30), path, progress=False,
             extra_metadata={"model_source": "textbook"})
    return path


TRAIN = ["train", "--arch", "amn-qp", "--epochs", 2, "--folds", 2, "--quiet", "--grid", "lr=1e-3,1e-2", "--hidden", 8,
         "--dataset"]


def train(dataset, out, *extra):
    """``amn train`` in a subprocess, as a user runs it (a local cluster's worker processes need real streams)."""
    args = [*TRAIN, dataset, "--out", out, *extra]
    return subprocess.run([sys.executable, "-m", "amn", *map(str, args)], capture_output=True, text=True,
                          timeout=600, check=False)


def test_a_sweep_writes_one_table_and_trains_the_best_point(dataset, tmp_path):
    serial = CliRunner().invoke(main, [str(a) for a in TRAIN + [dataset, "--out", tmp_path / "serial"]])
    assert serial.exit_code == 0, serial.output
    table = pd.read_csv(tmp_path / "serial" / "sweep.csv")
    assert len(table) == 2 and {"lr", "q2_val_measured_mean"} <= set(table.columns)
    best = table.loc[table["q2_val_measured_mean"].idxmax()]
    assert f"lr={best['lr']}" in serial.output and (tmp_path / "serial" / "model.safetensors").exists()
    parallel = train(dataset, tmp_path / "parallel", "--workers", 2)
    assert parallel.returncode == 0, parallel.stderr
    timing = [c for c in table.columns if "seconds" in c]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "parallel" / "sweep.csv").drop(columns=timing),
                                  table.drop(columns=timing))


def test_a_grid_needs_folds(dataset, tmp_path):
    result = CliRunner().invoke(main, ["train", "--dataset", str(dataset), "--folds", "1", "--grid", "lr=1e-3,1e-2",
                                       "--out", str(tmp_path / "m")])
    assert result.exit_code == 2 and "--grid" in result.output and "--folds" in result.output
