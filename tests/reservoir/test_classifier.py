"""Reservoir for growth / no-growth: a growth model that saw no-growth media, a logistic head, and
compositions given as bounds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import accuracy_score, roc_auc_score

from amn.dataset import generate
from amn.dataset.simulate import simulate_growth_screen
from amn.media import RandomMedia
from amn.models import AMNRegressor, save_model
from amn.reservoir import ReservoirClassifier, ReservoirRegressor, UptakeLayer


def screen_draws(network, n: int, path, **options):
    """``n`` pFBA-labelled draws of a screen medium, no-growth draws kept, and its variable compounds.

    Salts open; ammonium and every carbon source drawn (about a fifth each): media without carbon or
    without nitrogen do not grow.  ``options`` go to :func:`~amn.dataset.generate` (``knockouts``).
    """
    spec = simulate_growth_screen(network, flip=0.0).medium
    variable = (spec.level > 1) | (np.array(spec.reaction_ids) == "EX_nh4_e_i")
    spec = replace(spec, level=np.where(variable, 5.0, 1.0), max_value=np.where(variable, 10.0, 1000.0),
                   ratio_drawing=0.2)
    data = generate(network, RandomMedia(spec, n), path, seed=0, progress=False, keep_no_growth=True, **options)
    return data, [r for r, v in zip(spec.reaction_ids, variable) if v]


@pytest.fixture(scope="module")
def no_growth_model(tmp_path_factory, textbook_net):
    path = tmp_path_factory.mktemp("nogrowth")
    data, variable = screen_draws(textbook_net, 400, path / "core.npz")
    assert (data.growth < 1e-3).mean() > 0.3  # the negative class is in the growth model's data
    model = AMNRegressor(arch="ann-sv", network=textbook_net, epochs=60, batch_size=16, lr=3e-3).fit(data.X, data.Y)
    save_model(model, path / "model")
    return path / "model", variable


def _cobra_labels(network, C: pd.DataFrame, bound: float = 10.0, threshold: float = 0.01) -> np.ndarray:
    """COBRApy FBA: salts at 1000, the present variable compounds at ``bound``; infeasible LPs do not grow."""
    model = network.model
    salts = {"EX_h_e_i", "EX_h2o_e_i", "EX_o2_e_i", "EX_pi_e_i"}
    labels = []
    for _, row in C.iterrows():
        with model:
            for r in network.uptake_ids:
                model.reactions.get_by_id(r).upper_bound = 1000.0 if r in salts else bound * row.get(r, 0.0)
            value = model.slim_optimize(error_value=np.nan)
        labels.append(int(not np.isnan(value) and value > threshold))
    return np.array(labels)


def test_reservoir_classifier_learns_growth_no_growth_on_held_out_media(no_growth_model, textbook_net):
    directory, variable = no_growth_model
    rng = np.random.default_rng(1)
    C = pd.DataFrame(0.0, index=range(80), columns=variable)
    C["EX_nh4_e_i"] = (rng.random(80) < 0.7).astype(float)
    carbon = [v for v in variable if v != "EX_nh4_e_i"]
    for i in range(80):
        C.loc[i, rng.choice(carbon, size=rng.integers(0, 3), replace=False)] = 1.0
    y = _cobra_labels(textbook_net, C)
    train = np.arange(80) < 60
    reservoir = ReservoirClassifier(str(directory)).fit(C[train], y[train])
    proba = reservoir.predict_proba(C[~train])
    assert proba.shape == (20, 2) and np.allclose(proba.sum(axis=1), 1) and ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_array_equal(reservoir.predict(C[~train]), (proba[:, 1] > 0.5).astype(int))
    majority = max(y[~train].mean(), 1 - y[~train].mean())
    assert accuracy_score(y[~train], reservoir.predict(C[~train])) >= max(0.9, majority)
    assert roc_auc_score(y[~train], proba[:, 1]) > 0.95
    assert reservoir.slope_ > 0 and list(reservoir.classes_) == [0, 1]
    with pytest.raises(ValueError, match="0 or 1"):
        ReservoirClassifier(str(directory)).fit(C, np.full(80, 0.5))


def test_uptake_layer_scales_bounds_given_in_the_table():
    """Bounds tables: the layer learns a scale on each cell, starting at 1 (max_scale 2) and clipped at the ceiling."""
    layer = UptakeLayer(np.array([0, 1, -1]), fixed=np.array([0.0, 0.0, 7.0]), maximum=np.full(3, 2.0), n_c=2,
                        ceiling=np.array([5.0, 100.0, 100.0]), scale_cells=True)
    C = torch.tensor([[3.0, 0.0], [10.0, 0.63], [0.0, 2.5]])
    with torch.no_grad():
        V = layer(C)
    np.testing.assert_allclose(V[:, :2].numpy(), np.minimum(C.numpy(), [5.0, 100.0]), rtol=1e-6)
    assert torch.all(V[:, 2] == 7.0)


def test_reservoir_on_a_bounds_table_starts_from_the_given_bounds(no_growth_model):
    directory, variable = no_growth_model
    C = pd.DataFrame(0.0, index=range(4), columns=variable)
    C.loc[:, "EX_nh4_e_i"] = [10.0, 3.0, 0.63, 10.0]
    C.loc[:, "EX_glc__D_e_i"] = [5.0, 10.0, 2.0, 0.0]
    reservoir = ReservoirRegressor(str(directory), composition="bounds", max_iter=1).fit(C, [0.4, 0.6, 0.1, 0.0])
    with torch.no_grad():
        reservoir.layer_.linear.bias.zero_()
        reservoir.layer_.linear.weight.zero_()
    bounds = reservoir.uptake_bounds(C)
    np.testing.assert_allclose(bounds[["EX_nh4_e_i", "EX_glc__D_e_i"]].to_numpy(),
                               C[["EX_nh4_e_i", "EX_glc__D_e_i"]].to_numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="0/1"):
        ReservoirRegressor(str(directory), max_iter=1).fit(C, [0.4, 0.6, 0.1, 0.0])
