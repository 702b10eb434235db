"""``AMNRegressor(reduce=True)`` and ``amn train --reduce``: train on the network without the reactions
that carry no flux, predict full-width fluxes, save and load the reduction."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from amn.cli import main
from amn.dataset import generate, load_dataset
from amn.errors import DatasetMismatchError, ModelLoadError, ParameterError
from amn.media import RandomMedia
from amn.media.spec import core_medium
from amn.models import AMNRegressor, load_model_dir
from amn.models.reduction import expand_fluxes
from amn.network import RandomKnockouts
from amn.network.reduce import restrict_network
from amn.training import AMNLoss

SETTINGS = {"arch": "amn-qp", "epochs": 40, "batch_size": 16, "lr": 3e-3, "seed": 0}


@pytest.fixture(scope="module")
def core_file(tmp_path_factory, textbook_net):
    path = tmp_path_factory.mktemp("reduce") / "core.npz"
    generate(textbook_net, RandomMedia(core_medium(textbook_net), 200), path, seed=0, progress=False,
             extra_metadata={"model_source": "textbook"})
    return path


@pytest.fixture(scope="module")
def core_data(core_file):
    return load_dataset(core_file)


@pytest.fixture(scope="module")
def split(core_data):
    X, Y = core_data.X, core_data.Y
    return X.iloc[:150], Y.iloc[:150], X.iloc[150:], Y.iloc[150:]


@pytest.fixture(scope="module")
def reduced_model(split):
    X, Y, _, _ = split
    return AMNRegressor(**SETTINGS, reduce=True).fit(X, Y)


def test_reduced_model_keeps_fewer_reactions_and_predicts_full_width(reduced_model, split, textbook_net):
    _, Y, X_test, _ = split
    model = reduced_model
    n = len(textbook_net.reaction_ids)
    assert model.reduce is True and model.get_params()["reduce"] is True
    assert 20 < model.n_reactions_kept_ < n
    assert model.n_reactions_kept_ == len(model.reduced_reaction_ids_) == len(model.output_ids_)
    assert model.network_.sha256() == textbook_net.sha256()  # the full network, for the dataset checks
    dropped = [r for r in textbook_net.reaction_ids if r not in set(model.reduced_reaction_ids_)]
    assert dropped and (Y[dropped].abs().to_numpy() <= 1e-9 * Y.abs().to_numpy().max()).all()
    kept = set(model.reduced_reaction_ids_)
    assert set(model.medium_) <= kept and set(model.measured_) <= kept and textbook_net.objective_id in kept
    fluxes = model.predict_fluxes(X_test)
    assert list(fluxes.columns) == textbook_net.reaction_ids and list(fluxes.index) == list(X_test.index)
    assert (fluxes[dropped].to_numpy() == 0.0).all()  # exact zeros where reduced away
    assert np.abs(fluxes[model.reduced_reaction_ids_].to_numpy()).sum() > 0
    np.testing.assert_array_equal(model.predict(X_test), fluxes[textbook_net.objective_id].to_numpy())


def test_reduced_loss_terms_are_the_full_networks(reduced_model, split, textbook_net):
    """The loss of a reduced model is the full network's loss of its full-width fluxes."""
    X, Y, _, _ = split
    model = reduced_model
    mats = textbook_net.matrices(model.medium_, model.measured_)
    full = AMNLoss(torch.as_tensor(mats.S.toarray(), dtype=torch.float64), torch.as_tensor(mats.medium_index),
                   torch.as_tensor(mats.measured_index), bound=model.bound,
                   target_var=torch.as_tensor(model.loss_scales_["target_var"], dtype=torch.float64),
                   flux_scale=model.loss_scales_["flux_scale"])
    V = torch.as_tensor(model.predict_fluxes(X).to_numpy())
    expected = {k: float(v) for k, v in full.terms(V, torch.as_tensor(X[model.medium_].to_numpy()),
                                                   torch.as_tensor(Y[model.measured_].to_numpy())).items()}
    terms = model.loss_terms(X, Y)
    assert terms == pytest.approx(expected, rel=1e-4, abs=1e-9)
    assert terms["sv"] > 0 and terms["neg"] > 0  # a comparison of real values
    assert 0 < model.loss_scales_["term_factors"]["sv"] < 1 and 0 < model.loss_scales_["term_factors"]["neg"] < 1


def test_reduced_model_scores_like_the_full_one(reduced_model, split):
    X, Y, X_test, Y_test = split
    full = AMNRegressor(**SETTINGS).fit(X, Y)
    assert full.reduced_network_ is None and full.n_reactions_kept_ == len(full.network_.reaction_ids)
    q2_full, q2_reduced = full.score(X_test, Y_test), reduced_model.score(X_test, Y_test)
    # measured once (40 epochs, 150 samples, 50 held out): full 0.983, reduced 0.980
    assert q2_full > 0.8 and q2_reduced > 0.8
    assert abs(q2_full - q2_reduced) < 0.1


def test_reduced_model_round_trips(reduced_model, split, tmp_path):
    _, _, X_test, _ = split
    directory = reduced_model.save(tmp_path / "m")
    description = json.loads((directory / "model.json").read_text())
    assert description["reduced_reaction_ids"] == reduced_model.reduced_reaction_ids_
    assert description["network_sha256"] == reduced_model.network_.sha256()  # network.xml is the full network
    assert len(description["reaction_ids"]) == len(reduced_model.network_.reaction_ids)
    back = load_model_dir(directory)
    assert back.reduce and back.reduced_reaction_ids_ == reduced_model.reduced_reaction_ids_
    assert back.reduced_network_.sha256() == reduced_model.reduced_network_.sha256()
    np.testing.assert_array_equal(back.predict_fluxes(X_test).to_numpy(), reduced_model.predict_fluxes(X_test).to_numpy())
    description["reduced_reaction_ids"] = [*description["reduced_reaction_ids"], "not_a_reaction"]
    (directory / "model.json").write_text(json.dumps(description))
    with pytest.raises(ModelLoadError, match="not reactions of the network"):
        load_model_dir(directory)
    del description["reduced_reaction_ids"]
    (directory / "model.json").write_text(json.dumps(description))
    with pytest.raises(ModelLoadError, match="without reduced_reaction_ids"):
        load_model_dir(directory)


def test_unreduced_model_directory_has_no_reduction(split, tmp_path):
    X, Y, _, _ = split
    model = AMNRegressor(arch="ann-sv", epochs=1).fit(X, Y)
    description = json.loads((model.save(tmp_path / "m") / "model.json").read_text())
    assert "reduced_reaction_ids" not in description and description["params"]["reduce"] is False
    del description["params"]["reduce"]  # a directory saved before the parameter existed
    (tmp_path / "m" / "model.json").write_text(json.dumps(description))
    back = load_model_dir(tmp_path / "m")
    assert back.reduce is False and back.reduced_network_ is None
    np.testing.assert_array_equal(back.predict_fluxes(X).to_numpy(), model.predict_fluxes(X).to_numpy())


def test_reduce_refuses_what_it_cannot_reduce(split):
    X, Y, _, _ = split
    with pytest.raises(ParameterError, match="ann-dense"):
        AMNRegressor(arch="ann-dense", reduce=True, epochs=1).fit(X, Y)
    with pytest.raises(DatasetMismatchError, match="full flux table"):
        AMNRegressor(arch="ann-sv", reduce=True, epochs=1).fit(X, Y["Biomass_Ecoli_core"].to_numpy())
    with pytest.raises(DatasetMismatchError, match="no flux for 1"):
        AMNRegressor(arch="ann-sv", reduce=True, epochs=1).fit(X, Y.drop(columns=["PGI_for"]))


def test_reduced_model_with_knockouts_masks_kept_reactions(textbook_net, tmp_path):
    spec = core_medium(textbook_net)
    knockouts = RandomKnockouts.from_network(textbook_net, wild_type=0.2)
    data = generate(textbook_net, RandomMedia(spec, 80), tmp_path / "ko.npz", seed=3, progress=False,
                    knockouts=knockouts)
    model = AMNRegressor(arch="amn-qp", epochs=2, val_fraction=0, reduce=True).fit(data.X, data.Y)
    assert model.knockout_genes_ and model.n_reactions_kept_ < len(textbook_net.reaction_ids)
    inputs = model.module_inputs(data.X)
    n_in = len(model.medium_) + len(model.knockout_genes_)
    assert inputs.shape[1] == n_in + model.n_reactions_kept_  # the mask covers the reduced network only
    gene = model.knockout_genes_[0]
    full_mask = model.knockouts_.mask([{gene}])[0]
    np.testing.assert_array_equal(model.module_inputs(data.X.iloc[:1], knockouts=[gene])[0, n_in:],
                                  np.maximum(inputs[0, n_in:], full_mask[model.reduced_index_]))
    fluxes = model.predict_fluxes(data.X.iloc[:4], knockouts=[gene] * 4)  # any gene of the full network
    assert fluxes.shape == (4, len(textbook_net.reaction_ids))


def test_restrict_network_and_expand_fluxes(textbook_net):
    ids = textbook_net.reaction_ids
    sub = restrict_network(textbook_net, reversed(ids[:40]))
    assert sub.reaction_ids == ids[:40]  # the network's order
    assert restrict_network(textbook_net, ids[:40]).sha256() == sub.sha256()  # deterministic
    out = expand_fluxes(np.ones((2, 40)), textbook_net.index(sub.reaction_ids), len(ids))
    assert out.shape == (2, len(ids)) and out[:, 40:].sum() == 0 and out[:, :40].sum() == 80


def test_train_reduce_evaluate_predict_commands(core_file, tmp_path):
    dataset = core_file
    runner = CliRunner()
    out = tmp_path / "model"
    result = runner.invoke(main, ["train", "--dataset", str(dataset), "--arch", "amn-qp", "--epochs", "3", "--folds", "2",
                                  "--reduce", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    kept = len(load_model_dir(out).reduced_reaction_ids_)
    assert f"reduced network: 154 -> {kept} reactions kept" in result.output and kept < 154
    result = runner.invoke(main, ["evaluate", str(out), "--dataset", str(dataset)])
    assert result.exit_code == 0, result.output
    assert "q2_measured" in result.output and "q2_fluxes" in result.output
    media = tmp_path / "media.csv"
    load_dataset(dataset).X.to_csv(media, index=False)
    result = runner.invoke(main, ["predict", str(out), "--media", str(media), "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 0, result.output
    predicted = pd.read_csv(tmp_path / "f.csv")
    assert predicted.shape == (200, 154)
    assert (predicted.drop(columns=load_model_dir(out).reduced_reaction_ids_, errors="ignore").to_numpy() == 0).all()
    result = runner.invoke(main, ["train", "--dataset", str(dataset), "--arch", "ann-dense", "--reduce", "--out",
                                  str(tmp_path / "dense")])
    assert result.exit_code != 0 and "--reduce" in result.output and not (tmp_path / "dense").exists()
