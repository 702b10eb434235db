"""Shared fixtures: the bundled E. coli core model, and the BiGG models of the data directory."""

from __future__ import annotations

import cobra
import numpy as np
import pytest
import torch

from amn.data import locate, model_path
from amn.errors import DataError
from amn.network import load_model, make_unidirectional

# Small tensor loops: one intra-op thread is fastest (and the tests share two cores).
torch.set_num_threads(1)


def shared_model_path(name: str):
    try:
        return model_path(name)
    except DataError:
        pytest.skip(f"{name} not in the data directory (set AMN_DATA_DIR)")


@pytest.fixture(scope="session")
def textbook() -> cobra.Model:
    return load_model("textbook")


@pytest.fixture(scope="session")
def textbook_net(textbook):
    return make_unidirectional(textbook)


def _loaded(name: str):
    original = cobra.io.read_sbml_model(str(shared_model_path(name)))
    return original, make_unidirectional(original.copy())


@pytest.fixture(scope="session")
def iml1515():
    return _loaded("iML1515")


@pytest.fixture(scope="session")
def recon3d():
    return _loaded("Recon3D")


def random_media(model: cobra.Model, n: int, seed: int, max_bound: float = 20.0):
    """``n`` random media: a random subset of exchanges gets a random uptake bound in [0, max_bound]."""
    rng = np.random.default_rng(seed)
    exchanges = [r.id for r in model.exchanges]
    media = []
    for _ in range(n):
        k = rng.integers(1, max(2, len(exchanges) // 3))
        chosen = rng.choice(exchanges, size=k, replace=False)
        media.append(dict(zip(chosen, rng.uniform(0.0, max_bound, size=k))))
    return media


@pytest.fixture(scope="module")
def raw_dir():
    """The directory of the published plate-reader runs."""
    try:
        return locate("experimental/ecoli_dh5a_growth/raw/plates.json").parent
    except DataError:
        pytest.skip("plate-reader data not available (set AMN_DATA_DIR)")
