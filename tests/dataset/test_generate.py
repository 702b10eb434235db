"""Training-set generation: published medium semantics, exactness against COBRApy's pfba,
determinism across workers, resumption after kill -9, and the dataset file."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from amn.cli import main
from amn.data import locate
from amn.dataset import generate, load_dataset
from amn.dataset.generate import LabelTask, label_chunk
from amn.dataset.lock import check_not_busy, lock_partial
from amn.errors import (
    DataError,
    DatasetMismatchError,
    MediumError,
    UnknownReactionError,
)
from amn.media import GuidedMedia, RandomMedia, read_medium, sample_rng
from amn.solve.pfba import CobraLabeler, FluxProblem, HighsLabeler


def _data(relpath):
    try:
        return locate(relpath)
    except DataError:
        pytest.skip(f"{relpath} not in the data directory")


@pytest.fixture(scope="module")
def core_spec():
    return read_medium(_data("media/e_coli_core.csv"))


def test_random_media_follow_the_published_rule(core_spec):
    media = RandomMedia(core_spec, 2000)
    draws = np.array([media.draw(sample_rng(0, i), i) for i in range(2000)])
    minimal = core_spec.level <= 1
    assert np.all(draws[:, minimal] == core_spec.max_value[minimal])
    variable = draws[:, ~minimal]
    allowed = {k * 10.0 / 4 for k in range(1, 5)} | {0.0}  # level 5, max 10: k*max/(level-1)
    assert set(np.unique(variable)) <= allowed
    active = (variable > 0).sum(axis=1)
    assert active.min() >= 1
    # Binomial(13, 0.5) with at least one: mean 6.5 (the floor at 1 changes it by < 1e-3)
    assert active.mean() == pytest.approx(6.5, abs=0.15)
    # a sample's medium depends on (seed, index) only
    assert np.array_equal(media.draw(sample_rng(0, 7), 7), draws[7])


def test_fast_labels_equal_cobrapy_pfba(textbook_net, core_spec):
    media = RandomMedia(core_spec, 30)
    fast = HighsLabeler(FluxProblem.from_network(textbook_net, core_spec.reaction_ids))
    reference = CobraLabeler(textbook_net, core_spec.reaction_ids)
    growths = []
    for i in range(30):
        bounds = media.draw(sample_rng(1, i), i)
        got, want = fast.label(bounds), reference.label(bounds)
        assert got.growth == pytest.approx(want.growth, rel=1e-6)
        assert got.fluxes.sum() == pytest.approx(want.fluxes.sum(), rel=1e-6)
        growths.append(want.growth)
    assert np.std(growths) > 0.05  # the media differ


@pytest.mark.slow
def test_fast_labels_equal_cobrapy_pfba_iml1515(iml1515):
    _, network = iml1515
    spec = read_medium(_data("media/iML1515_EXP_guided.csv"))
    spec = replace(spec, ratio_drawing=0.5)
    media = RandomMedia(spec, 5)
    fast = HighsLabeler(FluxProblem.from_network(network, spec.reaction_ids))
    reference = CobraLabeler(network, spec.reaction_ids)
    for i in range(5):
        bounds = media.draw(sample_rng(2, i), i)
        got, want = fast.label(bounds), reference.label(bounds)
        assert got.growth == pytest.approx(want.growth, rel=1e-6)
        assert got.fluxes.sum() == pytest.approx(want.fluxes.sum(), rel=1e-6)


def _without(spec, ids):
    keep = [j for j, r in enumerate(spec.reaction_ids) if r not in ids]
    return replace(spec, reaction_ids=tuple(spec.reaction_ids[j] for j in keep), level=spec.level[keep], max_value=spec.max_value[keep])


def test_uptakes_outside_the_medium_are_closed_and_eb_inputs_are_the_used_fluxes(tmp_path, textbook_net, core_spec):
    others = ["EX_fru_e_i", "EX_succ_e_i", "EX_pyr_e_i"]
    spec = _without(core_spec, others)
    ds = generate(textbook_net, RandomMedia(spec, 50), tmp_path / "eb.npz", bound="EB", progress=False)
    assert (ds.Y[others] == 0).all().all()
    assert np.array_equal(ds.X.to_numpy(), ds.Y[list(spec.reaction_ids)].to_numpy())
    objective = textbook_net.objective_id
    assert np.allclose(ds.Y[objective], ds.growth)


def _without_phosphate(spec):
    return replace(spec, max_value=np.where(np.array(spec.reaction_ids) == "EX_pi_e_i", 0.0, spec.max_value),
                   source="nop.csv")


def test_infeasible_draws_are_reported_not_dropped_silently(textbook_net, core_spec):
    media = RandomMedia(_without_phosphate(core_spec), 20)
    problem = FluxProblem.from_network(textbook_net, core_spec.reaction_ids)
    task = LabelTask(media, output_columns=tuple(range(len(textbook_net.reaction_ids))))
    arrays, infeasible = label_chunk(problem, task, 3, 10)
    assert len(arrays["X"]) == 0 and [d["sample"] for d in infeasible] == list(range(3, 10))
    assert all(d["tries"] == 5 and len(d["last_bounds"]) == len(core_spec.reaction_ids) for d in infeasible)


def test_a_medium_on_which_nothing_grows_is_refused_before_any_sample(tmp_path, textbook_net, core_spec):
    with pytest.raises(MediumError, match=r"^nop\.csv: no medium can grow: with every uptake at its max_value"):
        generate(textbook_net, RandomMedia(_without_phosphate(core_spec), 20), tmp_path / "nop.npz", progress=False)
    assert not list(tmp_path.iterdir())


def test_every_draw_infeasible_is_an_error_and_writes_no_dataset(tmp_path, textbook_net, core_spec, monkeypatch):
    module = importlib.import_module("amn.dataset.generate")  # the module, not the function amn.dataset exports
    monkeypatch.setattr(module, "check_growth_possible", lambda *args: None)  # as if the bound did not tell
    with pytest.raises(MediumError, match=r"^nop\.csv: no medium drawn could grow: all 20 samples infeasible"):
        generate(textbook_net, RandomMedia(_without_phosphate(core_spec), 20), tmp_path / "nop.npz", progress=False,
                 chunk_size=7)
    assert not list(tmp_path.iterdir())


def test_guided_media(tmp_path, textbook_net, core_spec):
    table = pd.DataFrame(
        {"EX_fru_e_i": [1, 0, 1], "EX_succ_e_i": [0, 1, 1], "EX_glc__D_e_i": [1, 1, 1], "GR": [0.1, 0.2, 0.3]}
    )
    media = GuidedMedia(core_spec, table, per_medium=4)
    ds = generate(textbook_net, media, tmp_path / "g.npz", progress=False)
    assert len(ds.X) == 12
    row = ds.X.index.to_numpy() // 4
    assert ((ds.X["EX_fru_e_i"] > 0) == (table["EX_fru_e_i"].to_numpy()[row] == 1)).all()
    assert ((ds.X["EX_succ_e_i"] > 0) == (table["EX_succ_e_i"].to_numpy()[row] == 1)).all()
    assert (ds.X["EX_pi_e_i"] == 10).all()  # minimal medium, not a column of the table: open at max
    assert (ds.X["EX_mal__L_e_i"] == 0).all()  # variable, not a column of the table: closed
    # a table of bounds (or concentrations) guides as its presence: the same draws, value > 0 = present
    bounds = table.assign(EX_fru_e_i=[7.5, 0.0, 0.3], EX_succ_e_i=[0, 1e6, 2], EX_glc__D_e_i=[10, 5, 1])
    again = generate(textbook_net, GuidedMedia(core_spec, bounds, per_medium=4), tmp_path / "b.npz", progress=False)
    pd.testing.assert_frame_equal(again.X, ds.X)
    for value in (-1.0, np.nan):
        with pytest.raises(MediumError, match=r"^t.csv: row 2, column EX_fru_e_i: .* is not a number >= 0"):
            GuidedMedia(core_spec, table.assign(EX_fru_e_i=[1, value, 0]), per_medium=2, source="t.csv")


def test_dataset_file_is_self_describing(tmp_path, textbook_net, core_spec):
    ds = generate(textbook_net, RandomMedia(core_spec, 30), tmp_path / "d.npz", seed=5, progress=False, outputs=["Biomass_Ecoli_core", "PGI_for"])
    back = load_dataset(tmp_path / "d.npz")
    assert list(back.X.columns) == list(core_spec.reaction_ids)
    assert list(back.Y.columns) == ["Biomass_Ecoli_core", "PGI_for"]
    meta = back.metadata
    assert meta["seed"] == 5 and meta["method"] == "pfba" and meta["bound"] == "UB"
    assert meta["model_sha256"] == textbook_net.sha256() and meta["package_version"]
    assert meta["medium"]["reaction_ids"] == list(core_spec.reaction_ids) and meta["infeasible"] == []
    x_path, _ = back.to_csv(tmp_path / "d")
    assert np.allclose(pd.read_csv(x_path, index_col=0).to_numpy(), ds.X.to_numpy())
    assert not (tmp_path / "d.npz.partial").exists()


def test_rerun_with_other_parameters_is_refused(tmp_path, textbook_net, core_spec):
    out = tmp_path / "x.npz"
    (tmp_path / "x.npz.partial").mkdir()
    (tmp_path / "x.npz.partial" / "manifest.json").write_text('{"seed": 99}')  # left by another run
    with pytest.raises(DatasetMismatchError, match="other parameters"):
        generate(textbook_net, RandomMedia(core_spec, 10), out, progress=False)


def test_same_dataset_whatever_the_number_of_dask_workers(tmp_path, textbook_net, core_spec):
    from dask.distributed import LocalCluster

    media = RandomMedia(core_spec, 300)
    serial = generate(textbook_net, media, tmp_path / "s.npz", seed=9, chunk_size=40, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        distributed = generate(
            textbook_net, media, tmp_path / "d.npz", seed=9, chunk_size=40, progress=False,
            dask_address=cluster.scheduler_address,
        )
    assert np.array_equal(serial.X.to_numpy(), distributed.X.to_numpy())
    assert np.array_equal(serial.Y.to_numpy(), distributed.Y.to_numpy())


def test_kill_9_then_rerun_gives_the_uninterrupted_dataset(tmp_path):
    medium = _data("media/e_coli_core.csv")
    args = [sys.executable, "-m", "amn", "generate", "--medium", str(medium), "--size", "300",
            "--chunk-size", "25", "--backend", "cobra", "--seed", "4", "--quiet"]
    out = tmp_path / "k.npz"
    proc = subprocess.Popen([*args, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = tmp_path / "k.npz.partial"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(partial.glob("chunk_*.npz"))) < 2:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists() and 2 <= len(list(partial.glob("chunk_*.npz"))) < 12
    subprocess.run([*args, "--out", str(out)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([*args, "--out", str(tmp_path / "ref.npz")], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    resumed, reference = load_dataset(out), load_dataset(tmp_path / "ref.npz")
    assert np.array_equal(resumed.X.to_numpy(), reference.X.to_numpy())
    assert np.array_equal(resumed.Y.to_numpy(), reference.Y.to_numpy())
    assert len(resumed.X) == 300


def test_cli_generate_and_bad_input(tmp_path):
    medium = _data("media/e_coli_core.csv")
    runner = CliRunner()
    ok = runner.invoke(main, ["generate", "--medium", str(medium), "--size", "20", "--out", str(tmp_path / "a.npz"), "--quiet"])
    assert ok.exit_code == 0 and "20 samples, 0 infeasible" in ok.output
    shown = runner.invoke(main, ["dataset", str(tmp_path / "a.npz"), "--csv", str(tmp_path / "a")])
    assert shown.exit_code == 0 and (tmp_path / "a_X.csv").exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("name,EX_glc__D_e_i,EX_nope_e_i\nlevel,1,3\nmax_value,10,10\nratio_drawing,0.5,\n")
    result = runner.invoke(main, ["generate", "--medium", str(bad), "--size", "5", "--out", str(tmp_path / "b.npz")])
    assert result.exit_code == 2 and "bad.csv" in result.output and "EX_nope_e_i" in result.output
    result = runner.invoke(main, ["dataset", str(bad)])
    assert result.exit_code == 2 and "not an amn dataset" in result.output
    with pytest.raises(UnknownReactionError):
        FluxProblem.from_network(__import__("amn").make_unidirectional("textbook"), ["EX_nope_e_i"])


def test_a_second_run_on_the_same_file_is_refused_while_the_first_holds_it(tmp_path, textbook_net, core_spec):
    out = tmp_path / "busy.npz"
    media = RandomMedia(core_spec, 6)
    with lock_partial(out):
        with pytest.raises(DatasetMismatchError, match=rf"busy\.npz: another run is writing it \(pid {os.getpid()}\)"):
            generate(textbook_net, media, out, progress=False)
        with pytest.raises(DatasetMismatchError, match="another run is writing it"):
            check_not_busy(out)
    assert not (tmp_path / "busy.npz.partial").exists()  # created by the lock, no chunk written: removed
    check_not_busy(out)
    assert len(generate(textbook_net, media, out, progress=False).X) == 6


def test_the_lock_of_a_killed_run_does_not_block_a_resume(tmp_path, textbook_net, core_spec):
    out = tmp_path / "stale.npz"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from amn.dataset.lock import lock_partial\n"
        f"with lock_partial({str(out)!r}):\n    print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(DatasetMismatchError, match=f"pid {holder.pid}"):
        check_not_busy(out)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert (tmp_path / "stale.npz.partial" / "lock").read_text().strip() == str(holder.pid)  # left behind
    check_not_busy(out)
    assert len(generate(textbook_net, RandomMedia(core_spec, 6), out, progress=False).X) == 6


def test_metadata_of_a_resumed_run_counts_the_samples_labelled_in_it(tmp_path, textbook_net, core_spec):
    media, out = RandomMedia(core_spec, 30), tmp_path / "r.npz"

    def stop_after_first(index):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate(textbook_net, media, out, chunk_size=10, progress=False, on_chunk=stop_after_first)
    assert len(list((tmp_path / "r.npz.partial").glob("chunk_*.npz"))) == 1  # kept for the resume
    meta = generate(textbook_net, media, out, chunk_size=10, progress=False).metadata
    assert meta["labelled_this_run"] == 20 and meta["samples_resumed"] == 10 and meta["samples"] == 30
    fresh = generate(textbook_net, media, tmp_path / "f.npz", chunk_size=10, progress=False).metadata
    assert fresh["labelled_this_run"] == 30 and fresh["samples_resumed"] == 0


def test_cli_reports_the_rate_of_this_run_only():
    from amn.cli.generate import _timing

    assert _timing({"elapsed_s": 2.0, "labelled_this_run": 100, "samples_resumed": 0}) == "2.0 s (50.0 samples/s)"
    resumed = _timing({"elapsed_s": 2.0, "labelled_this_run": 20, "samples_resumed": 80})
    assert resumed == "20 samples labelled in this run (10.0 samples/s), 80 kept from an earlier run; 2.0 s this run"
    assert "no sample labelled" in _timing({"elapsed_s": 0.1, "labelled_this_run": 0, "samples_resumed": 100})


def test_cli_generate_options_are_checked_before_any_work(tmp_path):
    medium = _data("media/e_coli_core.csv")
    runner = CliRunner()
    for args, needle in [(["--workers", "0"], "--workers: 0 is not in the range x>=1"),
                         (["--chunk-size", "0"], "--chunk-size: 0 is not in the range x>=1"),
                         (["--size", "0"], "--size: 0 is not in the range x>=1"),
                         (["--knockouts", str(tmp_path / "genes.txt")], "genes.txt: no such file (--knockouts)")]:
        size = [] if "--size" in args else ["--size", "5"]
        result = runner.invoke(main, ["generate", "--medium", str(medium), *size, *args, "--out", str(tmp_path / "x.npz")])
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1 and needle in lines[0], result.output
    assert not list(tmp_path.iterdir())


def _screen_medium(network):
    """Salts always open; ammonium and the carbon sources variable: a medium without carbon cannot meet the
    ATP maintenance (infeasible LP), one with carbon but no nitrogen can, without growth (feasible, growth 0)."""
    from amn.dataset.simulate import simulate_growth_screen

    spec = simulate_growth_screen(network, flip=0.0).medium
    variable = (spec.level > 1) | (np.array(spec.reaction_ids) == "EX_nh4_e_i")
    return replace(spec, level=np.where(variable, 5.0, 1.0), max_value=np.where(variable, 10.0, 1000.0),
                   ratio_drawing=0.2)


def test_keep_no_growth_keeps_zeros_and_still_reports_infeasible_lps(tmp_path, textbook_net):
    """Every draw is a row; COBRApy says which LPs are infeasible (kept with growth 0, fluxes 0, and
    listed) and which grow (or not: formate alone is feasible at growth 0)."""
    spec = _screen_medium(textbook_net)
    media = RandomMedia(spec, 80)
    kept = generate(textbook_net, media, tmp_path / "k.npz", method="fba", seed=0, progress=False,
                    keep_no_growth=True)
    assert len(kept.X) == 80 and kept.metadata["keep_no_growth"] is True
    model = textbook_net.model
    infeasible = {d["sample"] for d in kept.infeasible}
    assert all(d["kept"] for d in kept.infeasible)
    feasible_zero = 0
    for i, (_, row) in enumerate(kept.X.iterrows()):
        with model:
            for r in textbook_net.uptake_ids:
                model.reactions.get_by_id(r).upper_bound = row.get(r, 0.0)
            value = model.slim_optimize(error_value=np.nan)
        if np.isnan(value):
            assert i in infeasible and kept.growth.iloc[i] == 0 and (kept.Y.iloc[i] == 0).all()
        else:
            assert i not in infeasible and kept.growth.iloc[i] == pytest.approx(value, abs=1e-7)
            feasible_zero += value < 1e-3
    assert infeasible and feasible_zero  # both kinds of no growth occur
    dropped = generate(textbook_net, media, tmp_path / "d.npz", method="fba", seed=0, progress=False)
    assert (dropped.growth >= 1e-3).all() and len(dropped.X) + len(dropped.infeasible) == 80


def test_cli_generate_keep_no_growth(tmp_path, textbook_net):
    spec = _screen_medium(textbook_net)
    spec.write(tmp_path / "screen.csv")
    result = CliRunner().invoke(main, ["generate", "--model", "textbook", "--medium", str(tmp_path / "screen.csv"),
                                       "--size", "40", "--method", "fba", "--keep-no-growth", "--quiet",
                                       "--out", str(tmp_path / "k.npz")])
    assert result.exit_code == 0, result.output
    data = load_dataset(tmp_path / "k.npz")
    assert len(data.X) == 40
    below = int((data.growth < 1e-3).sum())
    assert f"40 samples, {below} no-growth kept as labelled zeros" in result.output
    assert f"{len(data.infeasible)} of them infeasible LPs" in result.output
