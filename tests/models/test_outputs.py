"""A NaN prediction is an error, never a result: one line naming the model (and its directory)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from amn.dataset import generate
from amn.errors import DatasetMismatchError, ModelLoadError
from amn.media import RandomMedia
from amn.media.spec import core_medium
from amn.models import AMNRegressor, load_model_dir
from amn.models.inputs import check_outputs


@pytest.fixture(scope="module")
def small(tmp_path_factory, textbook_net):
    data = generate(textbook_net, RandomMedia(core_medium(textbook_net), 20),
                    tmp_path_factory.mktemp("outputs") / "core.npz", seed=0, progress=False)
    return data


def _fitted(small, arch="ann-sv"):
    return AMNRegressor(arch=arch, epochs=1, val_fraction=0, hidden=(8,)).fit(small.X, small.Y)


def test_finite_outputs_pass_unchanged():
    out = np.arange(6.0).reshape(3, 2)
    assert check_outputs(out, torch.nn.Linear(2, 2), "ann-sv") is out


def test_non_finite_outputs_name_the_model_its_row_and_the_cause():
    module = torch.nn.Linear(1, 1)
    out = np.array([[1.0, 2.0], [np.inf, 0.0], [np.nan, 1.0]])
    with pytest.raises(DatasetMismatchError, match=r"^model runs/m \(amn-qp\): the prediction of row 2 \(2 of 3 "):
        check_outputs(out, module, "amn-qp", "runs/m")
    with pytest.raises(DatasetMismatchError, match=r"^amn-qp model: "):
        check_outputs(out, module, "amn-qp")
    with torch.no_grad():
        module.bias.fill_(float("nan"))
    with pytest.raises(ModelLoadError, match=r"^amn-qp model: weights contain NaN or infinite values"):
        check_outputs(out, module, "amn-qp")


@pytest.mark.parametrize("arch", ["ann-dense", "ann-sv"])
def test_predict_refuses_to_return_nan(small, arch):
    model = _fitted(small, arch)
    assert np.isfinite(model.predict(small.X)).all()
    with torch.no_grad():
        for p in model.module_.parameters():
            p.fill_(float("nan"))
    with pytest.raises(ModelLoadError, match=f"{arch} model: weights contain NaN") as info:
        model.predict(small.X)
    assert "\n" not in str(info.value)
    if model.predicts_fluxes:
        with pytest.raises(ModelLoadError, match="weights contain NaN"):
            model.predict_fluxes(small.X)


def test_a_loaded_model_with_huge_weights_names_its_directory(small, tmp_path):
    """Weights saved before their sha256 was recorded are checked for finite values only: 1.7e38 passes
    the load, but its predictions overflow, and predict says so instead of returning NaN."""
    directory = _fitted(small).save(tmp_path / "m")
    description = json.loads((directory / "model.json").read_text())
    del description["weights_sha256"]
    (directory / "model.json").write_text(json.dumps(description))
    state = {k: v.fill_(1.7e38) if v.is_floating_point() else v
             for k, v in load_file(directory / "model.safetensors").items()}
    save_file(state, str(directory / "model.safetensors"))
    model = load_model_dir(directory)
    with pytest.raises(DatasetMismatchError, match=rf"model {directory} \(ann-sv\): the prediction of row 1 "):
        model.predict_fluxes(small.X)


def test_a_loaded_model_with_non_finite_weights_fails_to_load(small, tmp_path):
    directory = _fitted(small).save(tmp_path / "m")
    state = {k: v.fill_(float("inf")) if v.is_floating_point() else v
             for k, v in load_file(directory / "model.safetensors").items()}
    save_file(state, str(directory / "model.safetensors"))
    with pytest.raises(ModelLoadError, match=r"model\.safetensors: not the file that was saved"):
        load_model_dir(directory)  # the recorded sha256 sees it first
    description = json.loads((directory / "model.json").read_text())
    del description["weights_sha256"]
    (directory / "model.json").write_text(json.dumps(description))
    with pytest.raises(ModelLoadError, match=r"model\.safetensors: weights contain NaN or infinite values"):
        load_model_dir(directory)
