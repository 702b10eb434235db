"""DynamicAMN: fit recovers curves of a known model, held-out members, save / load, input errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from amn.dynamics import CurveSet, DynamicAMN
from amn.dynamics.evaluation import fold_labels
from amn.errors import ModelLoadError, NotFittedError, ParameterError, UnknownReactionError
from tests.dynamics.conftest import synthetic_curves, thinned

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(scope="module")
def fitted(core_surrogate):
    curves = synthetic_curves(core_surrogate)
    return curves, DynamicAMN(growth_model=core_surrogate, epochs=100, substeps=2).fit(curves)


def test_fit_learns_the_curves(fitted, core_surrogate):
    curves, model = fitted
    untrained = DynamicAMN(growth_model=core_surrogate, epochs=1, lr=1e-9, substeps=2).fit(curves)
    assert model.score(curves) > 0.85
    assert model.score(curves) > untrained.score(curves) + 0.2
    assert model.history_[-1]["loss"] < model.history_[0]["loss"]
    assert model.n_reactions_kept_ < 154


def test_curves_read_at_different_times_are_fitted_at_their_own_readings(fitted, core_surrogate):
    """Each medium read at 60 % of the times (its own): the fit learns the whole curves from the readings
    alone, and what a medium was not read at carries no weight (any value there fits the same)."""
    curves, full = fitted
    sparse = thinned(curves)
    model = DynamicAMN(growth_model=core_surrogate, epochs=100, substeps=2).fit(sparse)
    assert model.score(curves) > 0.85 and abs(model.score(curves) - full.score(curves)) < 0.05
    assert np.isfinite([h["loss"] for h in model.history_]).all()
    other, read = thinned(curves), sparse.read
    other.log_od = np.where(read, other.log_od, 0.0)  # values that were never read: weighed 0 ...
    other.sd = np.where(read, other.sd, 1e9)  # ... through their SD
    again = DynamicAMN(growth_model=core_surrogate, epochs=5, substeps=2).fit(sparse)
    np.testing.assert_allclose(DynamicAMN(growth_model=core_surrogate, epochs=5, substeps=2).fit(other).predict(curves),
                               again.predict(curves), atol=1e-6)


def test_a_loss_never_finite_is_a_one_line_error(core_surrogate, monkeypatch):
    from amn.dynamics.model import DynamicFBA

    def diverged(self, c0, times, log_od0, return_state=False, start=None):
        return self.log_km.sum() * float("nan") + torch.zeros(self.members, len(c0), len(times), dtype=torch.float64)

    curves = synthetic_curves(core_surrogate, n=4)
    monkeypatch.setattr(DynamicFBA, "forward", diverged)
    with pytest.raises(ParameterError, match=r"synthetic: the loss was not finite in any epoch \(last nan\)"):
        DynamicAMN(growth_model=core_surrogate, epochs=2, substeps=1).fit(curves)


def test_fit_is_deterministic_given_the_seed(core_surrogate):
    curves = synthetic_curves(core_surrogate, n=6)
    first, again, other = (DynamicAMN(growth_model=core_surrogate, epochs=5, substeps=1, seed=s).fit(curves)
                           for s in (0, 0, 1))
    np.testing.assert_array_equal(first.predict(curves), again.predict(curves))
    assert np.abs(first.predict(curves) - other.predict(curves)).max() > 0


def test_where_the_clock_starts_does_not_change_the_fit(core_surrogate):
    """Lags count from the first reading, the inoculum: curves read from 10 h on fit as those read from 0 h
    (before, time counted from 0 h: every starting lag lay before such curves' first reading)."""
    curves = synthetic_curves(core_surrogate, n=6)
    late = CurveSet(curves.media, curves.times + 10.0, curves.log_od, curves.sd, "late")
    first, shifted = (DynamicAMN(growth_model=core_surrogate, epochs=40, substeps=1).fit(c) for c in (curves, late))
    np.testing.assert_allclose(shifted.predict(late), first.predict(curves), atol=1e-9)
    np.testing.assert_allclose(shifted.kinetics(late.media).to_numpy(), first.kinetics(curves.media).to_numpy(),
                               atol=1e-9)
    assert first.score(curves) > 0.5


@pytest.mark.parametrize("ensemble", [1, 2])
def test_out_of_fold_members_never_see_their_fold(core_surrogate, ensemble):
    curves = synthetic_curves(core_surrogate)
    folds = fold_labels(len(curves.media), 3, 0)
    model = DynamicAMN(growth_model=core_surrogate, epochs=5, substeps=1, ensemble=ensemble).fit(curves, folds=folds)
    assert model.module_.members == 3 * ensemble
    changed = curves.subset(np.arange(len(curves.media)))
    changed.log_od = changed.log_od.copy()
    changed.log_od[folds == 0, 1:] += 1.0  # other targets on fold 0 must not change member 0
    other = DynamicAMN(growth_model=core_surrogate, epochs=5, substeps=1, ensemble=ensemble).fit(changed, folds=folds)
    p, q = model.predict_out_of_fold(curves), other.predict_out_of_fold(curves)
    np.testing.assert_allclose(p[folds == 0], q[folds == 0], atol=1e-12)
    assert np.abs(p[folds == 1] - q[folds == 1]).max() > 1e-6


def test_an_ensemble_predicts_the_mean_of_copies_started_apart(core_surrogate, tmp_path):
    curves = synthetic_curves(core_surrogate)
    folds = fold_labels(len(curves.media), 3, 0)
    model = DynamicAMN(growth_model=core_surrogate, epochs=20, substeps=1, ensemble=2).fit(curves, folds=folds)
    with torch.no_grad():
        times, y0 = torch.as_tensor(curves.times), torch.as_tensor(curves.log_od[:, 0])
        each = model.module_(torch.as_tensor(curves.media.to_numpy(float)), times, y0).numpy()  # members x media x T
    rows = np.arange(len(folds))
    first, second = each[folds, rows], each[3 + folds, rows]  # copy 0 and copy 1 of each medium's held-out fold
    assert np.abs(first - second).max() > 1e-3  # different starting weights, different fits
    np.testing.assert_allclose(model.predict_out_of_fold(curves), (first + second) / 2, atol=1e-12)
    np.testing.assert_allclose(model.predict_out_of_fold(curves, copies=True), [first, second], atol=1e-12)
    np.testing.assert_allclose(model.predict(curves), each.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(model.predict(curves, members=True), each, atol=1e-12)
    model.save(tmp_path / "m")
    loaded = DynamicAMN.load(tmp_path / "m")
    assert loaded.ensemble == 2
    np.testing.assert_array_equal(loaded.predict_out_of_fold(curves), model.predict_out_of_fold(curves))
    with pytest.raises(ParameterError, match="ensemble"):
        DynamicAMN(growth_model=core_surrogate, ensemble=0).fit(curves)


def test_a_presence_table_learns_the_amounts(core_surrogate):
    # curves grown on 3 mM of each present compound, given as a 0/1 table: with 1 mM per mark (availability
    # at most 1) the plateaus are out of reach; learned amounts reach them
    curves = synthetic_curves(core_surrogate)
    present = (curves.media > 0).astype(float)
    truth = CurveSet(present * 3.0, curves.times, curves.log_od[:, :1].repeat(len(curves.times), 1), curves.sd)
    from amn.dynamics.baselines import PlainDynamicFBA

    truth.log_od = PlainDynamicFBA(core_surrogate, vmax=5.0, km=0.1, substeps=2).fit(truth).predict(truth)
    table = CurveSet(present, truth.times, truth.log_od, truth.sd, "presence")
    learned = DynamicAMN(growth_model=core_surrogate, epochs=80, substeps=2, background=False).fit(table)
    given = DynamicAMN(growth_model=core_surrogate, epochs=80, substeps=2, background=False, amounts="given").fit(table)
    assert learned.learn_amounts_ and not given.learn_amounts_
    assert not DynamicAMN(growth_model=core_surrogate, epochs=1).fit(curves).learn_amounts_  # mM values: given
    assert learned.score(table) > 0.9
    assert learned.score(table) > given.score(table) + 0.1
    assert (learned.kinetics(table.media).filter(like="amount_") > 1.5).all().all()


def test_fit_learns_the_decline_of_starved_cultures(core_surrogate):
    # curves of plain dynamic FBA whose cultures die at 0.4 1/h after 1 h of starvation: a fit with the
    # decline follows them past the peak, and its learned death rate is of that order
    from amn.dynamics.baselines import PlainDynamicFBA

    media = synthetic_curves(core_surrogate).media
    times = np.linspace(0.0, 16.0, 17)
    blank = CurveSet(media, times, np.full((len(media), len(times)), -3.0))
    truth = PlainDynamicFBA(core_surrogate, vmax=5.0, km=0.1, substeps=2).fit(blank)
    n = truth.module_.n_compounds
    with torch.no_grad():
        truth.module_.net.biases[-1][..., 3 * n + 1] = float(np.log(np.expm1(0.4)))
        truth.module_.net.biases[-1][..., 3 * n + 2] = float(np.log(np.expm1(1.0)))
    y = truth.predict(blank)
    assert (y.max(axis=1) - y[:, -1] > 1.0).all()  # every culture has declined by the end
    curves = CurveSet(media, times, y, np.full(y.shape, 0.02), "declining")
    model = DynamicAMN(growth_model=core_surrogate, epochs=150, substeps=2, background=False).fit(curves)
    assert model.score(curves) > 0.9
    p = model.predict(curves)
    np.testing.assert_array_less(p[:, -1], p.max(axis=1) - 0.5)  # the fit declines too
    assert model.kinetics(media)["death_rate_per_h"].median() > 0.2


def test_save_load_round_trip(fitted, tmp_path):
    curves, model = fitted
    model.save(tmp_path / "m")
    loaded = DynamicAMN.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(curves), model.predict(curves))
    assert loaded.compounds_ == model.compounds_



@pytest.mark.parametrize("device", DEVICES)
def test_fit_predict_save_and_load_on_a_device(core_surrogate, device, tmp_path):
    curves = synthetic_curves(core_surrogate, n=6)
    model = DynamicAMN(growth_model=core_surrogate, epochs=5, substeps=1, device=device).fit(curves)
    assert model.device_.type == device
    assert next(model.module_.parameters()).device.type == device
    # the shared growth model stays where it was built (the next fold model, a baseline, use it there)
    assert next(core_surrogate.growth_map.parameters()).device.type == "cpu"
    on_cpu = DynamicAMN(growth_model=core_surrogate, epochs=5, substeps=1, device="cpu").fit(curves)
    np.testing.assert_allclose(model.predict(curves), on_cpu.predict(curves), atol=1e-6)
    model.save(tmp_path / "m")
    loaded = DynamicAMN.load(tmp_path / "m", device="cpu")
    assert loaded.device_.type == "cpu"
    np.testing.assert_allclose(loaded.predict(curves), model.predict(curves), atol=1e-9)
    np.testing.assert_allclose(loaded.kinetics(curves.media).to_numpy(), model.kinetics(curves.media).to_numpy(),
                               atol=1e-9)


def test_a_device_this_machine_lacks_stops_fit_at_once(core_surrogate):
    with pytest.raises(ParameterError, match="device 'cuda:99'"):
        DynamicAMN(model="textbook", device="cuda:99").fit(synthetic_curves(core_surrogate, n=2))


def test_a_device_this_machine_lacks_stops_load_before_any_file_is_read(tmp_path):
    with pytest.raises(ParameterError, match="device 'cuda:99'"):  # not ModelLoadError: nothing was read
        DynamicAMN.load(tmp_path / "no-such-model", device="cuda:99")


def test_load_rejects_corrupt_weights(fitted, tmp_path):
    _, model = fitted
    model.save(tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").write_bytes(b"junk")
    with pytest.raises(ModelLoadError, match="model.safetensors"):
        DynamicAMN.load(tmp_path / "m")


def test_unknown_compound_names_file_and_column(core_surrogate):
    curves = synthetic_curves(core_surrogate)
    curves.media = curves.media.rename(columns={"succ_e": "foo_e"})
    curves.media.attrs["source"] = "synthetic.csv"
    with pytest.raises(UnknownReactionError, match=r"synthetic\.csv: column foo_e: no uptake of model e_coli_core \(not an extracellular metabolite"):
        DynamicAMN(model="textbook", surrogate_samples=20, epochs=1).fit(curves)


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        DynamicAMN().predict(None)


def test_an_interrupted_fit_resumes_to_the_weights_of_an_uninterrupted_one(core_surrogate, tmp_path, monkeypatch):
    from amn.dynamics import estimator

    curves = synthetic_curves(core_surrogate, n=6)
    folds = fold_labels(len(curves.media), 3, 0)

    def make():
        return DynamicAMN(growth_model=core_surrogate, epochs=12, substeps=1)

    whole = make().fit(curves, folds=folds)
    monkeypatch.setattr(estimator, "CHECKPOINT_SECONDS", 0.0)  # save after every epoch
    saves, real_save = [], estimator.save_checkpoint

    def killed_after_five(*args, **kwargs):
        real_save(*args, **kwargs)
        saves.append(1)
        if len(saves) == 5:
            raise KeyboardInterrupt

    monkeypatch.setattr(estimator, "save_checkpoint", killed_after_five)
    with pytest.raises(KeyboardInterrupt):
        make().fit(curves, folds=folds, checkpoint_dir=tmp_path)
    monkeypatch.setattr(estimator, "save_checkpoint", real_save)
    resumed = make().fit(curves, folds=folds, checkpoint_dir=tmp_path)
    assert [h["epoch"] for h in resumed.history_] == list(range(1, 13))
    assert [h["loss"] for h in resumed.history_] == [h["loss"] for h in whole.history_]
    np.testing.assert_array_equal(resumed.predict_out_of_fold(curves), whole.predict_out_of_fold(curves))
    # the time per epoch is that of the 7 epochs run now, not of those read back
    assert resumed.resumed_epochs_ == 5 and whole.resumed_epochs_ == 0
    assert resumed.seconds_per_epoch_ == pytest.approx(np.mean([h["seconds"] for h in resumed.history_[5:]]))
    # a finished run is read back whole, without training
    again = make().fit(curves, folds=folds, checkpoint_dir=tmp_path)
    np.testing.assert_array_equal(again.predict_out_of_fold(curves), whole.predict_out_of_fold(curves))
    assert again.resumed_epochs_ == 12 and again.seconds_per_epoch_ is None


def test_a_checkpoint_of_another_run_is_refused(core_surrogate, tmp_path):
    from amn.errors import ParameterError

    curves = synthetic_curves(core_surrogate, n=6)
    DynamicAMN(growth_model=core_surrogate, epochs=3, substeps=1).fit(curves, checkpoint_dir=tmp_path)
    with pytest.raises(ParameterError, match="checkpoint of a run with other settings"):
        DynamicAMN(growth_model=core_surrogate, epochs=3, substeps=1, lr=0.01).fit(curves, checkpoint_dir=tmp_path)
    with pytest.raises(ParameterError, match=str(tmp_path)):
        DynamicAMN(growth_model=core_surrogate, epochs=3, substeps=1).fit(curves, until=2.0, checkpoint_dir=tmp_path)
