"""Models and training: loss terms, estimator API, resumable training, persistence, commands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from sklearn.model_selection import KFold, cross_val_score

from amn.cli import main
from amn.dataset import generate, load_dataset
from amn.errors import DatasetMismatchError, ModelLoadError, NotFittedError, ParameterError
from amn.evaluation import AMNFoldScorer, cross_validate
from amn.media import RandomMedia
from amn.media.spec import core_medium
from amn.models import ARCHITECTURES, AMNRegressor, get_architecture, load_model_dir, save_model
from amn.training import AMNLoss, LossWeights, TrainConfig, train


@pytest.fixture(scope="module")
def core_data(tmp_path_factory, textbook_net):
    spec = core_medium(textbook_net)  # the published core medium, built in code: no data file needed
    path = tmp_path_factory.mktemp("data") / "core.npz"
    return generate(textbook_net, RandomMedia(spec, 300), path, seed=0, progress=False)


def test_loss_terms_closed_form():
    S = torch.tensor([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]])
    loss = AMNLoss(S, torch.tensor([0]), torch.tensor([2]), bound="UB", weights=LossWeights(1, 2, 3, 4),
                   target_var=torch.tensor([0.5]), flux_scale=2.0)
    V = torch.tensor([[2.0, 1.0, -1.0]])
    x, y = torch.tensor([[1.5]]), torch.tensor([[0.5]])
    total, terms = loss(V, x, y)
    expected = {"mse": 1.5**2 / 0.5, "sv": (1.0**2 + 2.0**2) / 2 / 2, "bound": 0.5**2 / 2, "neg": 1.0 / 3 / 2}
    assert {k: float(v) for k, v in terms.items()} == pytest.approx(expected)
    assert float(total) == pytest.approx(expected["mse"] + 2 * expected["sv"] + 3 * expected["bound"] + 4 * expected["neg"])
    eb = AMNLoss(S, torch.tensor([0]), torch.tensor([2]), bound="EB")
    assert float(eb.terms(V, torch.tensor([[3.0]]), y)["bound"]) == pytest.approx(1.0)  # EB penalises both sides


def test_interrupted_training_resumes_to_the_same_weights(tmp_path):
    torch.manual_seed(0)
    X, Y = torch.rand(64, 3), torch.rand(64, 1)
    loss = AMNLoss(torch.zeros(1, 1), torch.tensor([0]), torch.tensor([0]), all_fluxes=False)
    config = TrainConfig(epochs=8, batch_size=8, lr=1e-2, patience=100, seed=3)

    def model():
        torch.manual_seed(1)
        return torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(8, 1))

    reference = model()
    train(reference, loss, X, Y, config, X[:16], Y[:16])

    class Stop(Exception):
        pass

    def stop_at_3(epoch):
        if epoch == 3:
            raise Stop

    interrupted = model()
    with pytest.raises(Stop):
        train(interrupted, loss, X, Y, config, X[:16], Y[:16], checkpoint_dir=tmp_path, on_epoch=stop_at_3)
    resumed = model()
    result = train(resumed, loss, X, Y, config, X[:16], Y[:16], checkpoint_dir=tmp_path)
    assert len(result.history) == 8
    for a, b in zip(reference.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="other settings"):
        train(model(), loss, X, Y, TrainConfig(epochs=9), checkpoint_dir=tmp_path)


def test_estimator_follows_scikit_learn(core_data):
    est = AMNRegressor(arch="ann-dense", epochs=60, batch_size=16, lr=3e-3)
    assert est.get_params()["arch"] == "ann-dense"
    scores = cross_val_score(est, core_data.X, core_data.growth, cv=3)
    assert len(scores) == 3 and np.all(scores > 0.8)


def test_ann_sv_predicts_every_flux_and_scores(core_data):
    est = AMNRegressor(arch="ann-sv", epochs=30, batch_size=16, lr=3e-3).fit(core_data.X, core_data.Y)
    fluxes = est.predict_fluxes(core_data.X)
    assert list(fluxes.columns) == list(core_data.Y.columns)
    assert np.allclose(est.predict(core_data.X), fluxes["Biomass_Ecoli_core"].to_numpy(), atol=1e-6)
    terms = est.loss_terms(core_data.X, core_data.Y)
    assert set(terms) == {"mse", "sv", "bound", "neg"}
    assert est.n_params_ == 20 * 50 + 50 + 50 * 154 + 154  # the published 8,904


def test_cross_validation_reports_every_metric(core_data, tmp_path):
    est = AMNRegressor(arch="ann-sv", epochs=5, batch_size=32)
    result = cross_validate(est, core_data.X, core_data.Y, cv=KFold(3, shuffle=True), seeds=(0,),
                            scorer=AMNFoldScorer(), X_test=core_data.X.iloc[:20], y_test=core_data.Y.iloc[:20],
                            workdir=tmp_path)
    assert len(result.fold_scores) == 3
    for column in ("r2_train_measured", "q2_val_measured", "q2_val_fluxes", "val_sv", "seconds_per_epoch", "n_params", "q2_test_measured"):
        assert column in result.fold_scores
    assert result.test_q2_mean_prediction is not None
    again = cross_validate(est, core_data.X, core_data.Y, cv=KFold(3, shuffle=True), seeds=(0,),
                           scorer=AMNFoldScorer(), workdir=tmp_path)  # finished folds are reused
    pd.testing.assert_frame_equal(again.fold_scores[["q2_val_measured"]], result.fold_scores[["q2_val_measured"]])


def test_save_load_round_trip_and_mismatches(core_data, tmp_path):
    est = AMNRegressor(arch="ann-sv", epochs=3).fit(core_data.X, core_data.Y)
    save_model(est, tmp_path / "m")
    back = load_model_dir(tmp_path / "m")
    assert np.array_equal(back.predict_fluxes(core_data.X).to_numpy(), est.predict_fluxes(core_data.X).to_numpy())
    assert not list((tmp_path / "m").glob("*.pkl"))
    other = est.network_.model.copy()
    other.reactions.PGI_for.upper_bound = 1.0
    from amn.network import make_unidirectional

    with pytest.raises(DatasetMismatchError, match="another network"):
        load_model_dir(tmp_path / "m", network=make_unidirectional(other))
    (tmp_path / "m" / "model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="missing model.safetensors"):
        load_model_dir(tmp_path / "m")


@pytest.mark.parametrize("arch", [a for a in ARCHITECTURES if a.startswith("amn-") and a != "amn-exact"])
def test_every_amn_trains_and_round_trips(arch, core_data, tmp_path):
    bound = "EB" if arch in ("amn-w", "amn-eb") else "UB"
    X, Y = core_data.X.iloc[:160], core_data.Y.iloc[:160]
    est = AMNRegressor(arch=arch, bound=bound, epochs=4, batch_size=32, lr=3e-3, val_fraction=0).fit(X, Y)
    losses = [row["train_loss"] for row in est.history_]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    save_model(est, tmp_path / arch)
    back = load_model_dir(tmp_path / arch)
    np.testing.assert_allclose(back.predict_fluxes(X).to_numpy(), est.predict_fluxes(X).to_numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("arch", ["amn-qp", "amn-ub", "amn-w"])
def test_sparse_layer_matrices_checkpoint_save_and_load(arch, core_data, tmp_path, monkeypatch):
    """Genome-scale networks keep S & co. as sparse buffers, which safetensors cannot store: they
    are rebuilt from the network, so checkpoints and saved models hold the learned weights only."""
    import amn.layers.base

    monkeypatch.setattr(amn.layers.base, "DENSE_LIMIT", 0)  # what iML1515 gets
    bound = "EB" if arch == "amn-w" else "UB"
    X, Y = core_data.X.iloc[:64], core_data.Y.iloc[:64]
    est = AMNRegressor(arch=arch, bound=bound, epochs=2, batch_size=32, val_fraction=0)
    est.fit(X, Y, checkpoint_dir=tmp_path / "checkpoints")
    assert any(isinstance(m, amn.layers.SparseMatrix) for m in est.module_.modules())
    save_model(est, tmp_path / "m")
    back = load_model_dir(tmp_path / "m")
    np.testing.assert_allclose(back.predict_fluxes(X).to_numpy(), est.predict_fluxes(X).to_numpy(), rtol=1e-5, atol=1e-6)
    again = AMNRegressor(arch=arch, bound=bound, epochs=2, batch_size=32, val_fraction=0)
    again.fit(X, Y, checkpoint_dir=tmp_path / "checkpoints")  # resumes from the finished checkpoint
    np.testing.assert_allclose(again.predict(X), est.predict(X), rtol=1e-6)


def test_estimator_rejects_bad_inputs(core_data):
    est = AMNRegressor(arch="ann-dense", epochs=1).fit(core_data.X, core_data.Y)
    with pytest.raises(DatasetMismatchError, match="lack medium"):
        est.predict(core_data.X.drop(columns=["EX_glc__D_e_i"]))
    with pytest.raises(DatasetMismatchError, match="NaN"):
        est.predict(core_data.X.assign(EX_glc__D_e_i=np.nan))


def test_train_evaluate_predict_commands(textbook_net, tmp_path):
    dataset = tmp_path / "core.npz"
    generate(textbook_net, RandomMedia(core_medium(textbook_net), 60), dataset, progress=False,
             extra_metadata={"model_source": "textbook"})
    runner = CliRunner()
    out = tmp_path / "model"
    result = runner.invoke(main, ["train", "--dataset", str(dataset), "--arch", "ann-sv", "--epochs", "3", "--folds", "2", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "q2_val_measured" in result.output and (out / "model.json").exists()
    result = runner.invoke(main, ["evaluate", str(out), "--dataset", str(dataset)])
    assert result.exit_code == 0 and "q2_fluxes" in result.output
    media = tmp_path / "media.csv"
    load_dataset(dataset).X.to_csv(media, index=False)
    result = runner.invoke(main, ["predict", str(out), "--media", str(media), "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 0
    assert pd.read_csv(tmp_path / "f.csv").shape == (60, 154)
    bad = tmp_path / "bad.csv"
    bad.write_text("EX_glc__D_e_i\n1\n")
    result = runner.invoke(main, ["predict", str(out), "--media", str(bad), "--out", str(tmp_path / "g.csv")])
    assert result.exit_code == 2 and "missing medium column" in result.output
    result = runner.invoke(main, ["dynamic", "predict", str(out), "--media", str(media), "--times", "0,1",
                                  "--out", str(tmp_path / "c.csv")])
    assert result.exit_code == 2 and "model.json: saved by AMNRegressor, not by DynamicAMN; load it with " \
                                     "AMNRegressor.load or `amn predict`" in result.output


def test_amn_exact_untrained_is_pfba(core_data):
    est = AMNRegressor(arch="amn-exact", epochs=0, val_fraction=0).fit(core_data.X.iloc[:20], core_data.Y.iloc[:20])
    assert est.score(core_data.X, core_data.Y) == pytest.approx(1.0, abs=1e-9)
    fluxes = est.predict_fluxes(core_data.X.iloc[:30]).to_numpy()
    assert np.allclose(fluxes.sum(axis=1), core_data.Y.iloc[:30].to_numpy().sum(axis=1), rtol=1e-6)  # total flux is unique


# -- fitted state ---------------------------------------------------------------------------

def test_unfitted_estimator_says_call_fit_or_load(core_data, tmp_path):
    from sklearn.exceptions import NotFittedError as SklearnNotFitted
    from sklearn.utils.validation import check_is_fitted

    est = AMNRegressor(arch="ann-sv")
    X, Y = core_data.X.iloc[:5], core_data.Y.iloc[:5]
    calls = {
        "predict": lambda: est.predict(X), "predict_fluxes": lambda: est.predict_fluxes(X),
        "score": lambda: est.score(X, Y), "loss_terms": lambda: est.loss_terms(X, Y),
        "module_inputs": lambda: est.module_inputs(X), "save": lambda: est.save(tmp_path / "m"),
        "eval_module": est.eval_module, "output_ids_": lambda: est.output_ids_,
    }
    for call in calls.values():
        with pytest.raises(NotFittedError, match="AMNRegressor .*call fit or load first"):
            call()
    assert not (tmp_path / "m").exists()
    assert isinstance(NotFittedError("x"), (ValueError, AttributeError))
    assert not hasattr(est, "input_range_")  # a NotFittedError is an AttributeError
    with pytest.raises(SklearnNotFitted):
        check_is_fitted(est)
    assert est.predicts_fluxes  # the architecture's, known before fitting
    est.set_params(epochs=1).fit(X, Y)
    check_is_fitted(est)


def test_architecture_records_and_accessors(core_data, tmp_path):
    assert [get_architecture(a).name for a in ARCHITECTURES] == list(ARCHITECTURES)
    assert len(ARCHITECTURES) == 9 and "amn-exact" in ARCHITECTURES
    assert not get_architecture("ann-dense").all_fluxes and not get_architecture("ann-sv").mechanistic
    assert all(get_architecture(a).all_fluxes and get_architecture(a).mechanistic for a in ARCHITECTURES if a.startswith("amn-"))
    assert all(f"``{a}``" in AMNRegressor.__doc__ for a in ARCHITECTURES)  # the docstring lists every one
    with pytest.raises(ParameterError, match=r"unknown architecture 'amn-xyz'; choose from ann-dense, .*amn-exact"):
        AMNRegressor(arch="amn-xyz").fit(core_data.X.iloc[:20], core_data.Y.iloc[:20])
    X, Y = core_data.X.iloc[:40], core_data.Y.iloc[:40]
    dense = AMNRegressor(arch="ann-dense", epochs=1, val_fraction=0).fit(X, Y)
    assert dense.output_ids_ == ["Biomass_Ecoli_core"] and not dense.predicts_fluxes
    lower, upper = dense.input_range_
    np.testing.assert_array_equal(lower, X[dense.medium_].min().to_numpy())
    np.testing.assert_array_equal(upper, X[dense.medium_].max().to_numpy())
    module = dense.eval_module()
    assert not module.training and dense.tensor_options_ == {"device": dense.device_, "dtype": torch.float32}
    inputs = torch.as_tensor(dense.module_inputs(X)).to(**dense.tensor_options_)
    np.testing.assert_allclose(module(inputs).detach().numpy()[:, 0], dense.predict(X), rtol=1e-6)
    back = AMNRegressor.load(dense.save(tmp_path / "m", metrics={"q2": 0.5}))
    assert back.metrics_ == {"q2": 0.5} and back.output_ids_ == dense.output_ids_
    np.testing.assert_array_equal(back.predict(X), dense.predict(X))
    description = (tmp_path / "m" / "model.json").read_text().replace('"ann-dense"', '"ann-nope"')
    (tmp_path / "m" / "model.json").write_text(description)
    with pytest.raises(ParameterError, match="model.json: unknown architecture 'ann-nope'; choose from"):
        load_model_dir(tmp_path / "m")


def test_load_refuses_corrupt_or_edited_weights(core_data, tmp_path):
    import json

    from safetensors.torch import load_file, save_file

    est = AMNRegressor(arch="ann-dense", epochs=1, val_fraction=0).fit(core_data.X.iloc[:20], core_data.Y.iloc[:20])
    weights = est.save(tmp_path / "m") / "model.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[-8] ^= 0x01  # one bit of one weight
    weights.write_bytes(bytes(raw))
    with pytest.raises(ModelLoadError, match="model.safetensors: not the file that was saved"):
        AMNRegressor.load(tmp_path / "m")
    # a directory saved before the weights' sha256 was recorded: checked for finite values
    description = json.loads((tmp_path / "m" / "model.json").read_text())
    del description["weights_sha256"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(description))
    state = load_file(str(weights))
    state = {k: v.fill_(float("nan")) if k.endswith("bias") else v for k, v in state.items()}
    save_file(state, str(weights))
    with pytest.raises(ModelLoadError, match="model.safetensors: weights contain NaN"):
        AMNRegressor.load(tmp_path / "m")
    weights.write_bytes(b"not safetensors")
    with pytest.raises(ModelLoadError, match="model.safetensors: not a readable safetensors file"):
        AMNRegressor.load(tmp_path / "m")


def test_inputs_open_at_1000_are_scaled_for_the_dense_network(tmp_path, textbook_net):
    """A medium whose salts are open at 1000 (COBRA's 'unlimited'): unscaled, the dense prior of
    AMN-QP scores Q² 0.18 here (ANN-Dense -8.4); each such input divided by its training maximum,
    0.95 (0.98 on the published medium, salts at 10)."""
    spec = core_medium(textbook_net)
    salts = [j for j, r in enumerate(spec.reaction_ids) if r in ("EX_h2o_e_i", "EX_h_e_i", "EX_pi_e_i", "EX_co2_e_i")]
    max_value = spec.max_value.astype(float)
    max_value[salts] = 1000.0
    spec = type(spec)(spec.reaction_ids, spec.level, max_value, spec.ratio_drawing)
    data = generate(textbook_net, RandomMedia(spec, 300), tmp_path / "d.npz", seed=0, progress=False)
    assert data.X.iloc[:, salts].eq(1000.0).all().all()
    model = AMNRegressor(arch="amn-qp", network=textbook_net, medium=list(data.X.columns), epochs=60,
                         patience=1000, seed=0).fit(data.X.iloc[:240], data.Y.iloc[:240])
    assert model.prior_scale_ == [1000.0 if j in salts else 1.0 for j in range(data.X.shape[1])]
    rates = data.X.iloc[:240].drop(columns=data.X.columns[salts]).to_numpy()  # the constraint terms' scale: no 1000s
    assert model.loss_scales_["flux_scale"] == pytest.approx(np.mean(rates**2), rel=1e-12)
    assert model.score(data.X.iloc[240:], data.Y.iloc[240:]) > 0.9
    model.save(tmp_path / "m")
    loaded = AMNRegressor.load(tmp_path / "m")
    assert loaded.prior_scale_ == model.prior_scale_
    np.testing.assert_array_equal(loaded.predict(data.X.iloc[240:]), model.predict(data.X.iloc[240:]))


def test_dense_input_scale_divides_the_inputs():
    from amn.models.dense import Dense
    torch.manual_seed(0)
    plain = Dense(3, 2, hidden=(4,))
    scaled = Dense(3, 2, hidden=(4,), input_scale=[1.0, 1000.0, 4.0])
    scaled.load_state_dict(plain.state_dict())  # the scale is not a weight: the same state dict
    x = torch.rand(5, 3, dtype=torch.float64) * torch.tensor([1.0, 1000.0, 4.0], dtype=torch.float64)
    torch.testing.assert_close(scaled.double()(x), plain.double()(x / torch.tensor([1.0, 1000.0, 4.0],
                                                                                  dtype=torch.float64)))
    assert Dense(3, 2, input_scale=[1.0, 1.0, 1.0]).input_scale is None  # no scale: the published network


def test_build_module_passes_the_input_scale_to_the_dense_network(textbook_net):
    from amn.models import build_module

    medium = textbook_net.uptake_ids[:3]
    scale = [1.0, 1000.0, 4.0]
    for arch in ("ann-dense", "amn-qp"):
        module, _ = build_module(arch, textbook_net, medium, [textbook_net.objective_id], "UB", (4,), 0.0, {},
                                 input_scale=scale)
        dense = module if arch == "ann-dense" else module.prior
        torch.testing.assert_close(dense.input_scale, torch.tensor(scale, dtype=dense.input_scale.dtype))
