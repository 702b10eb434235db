"""The mechanistic part of a dynamic AMN: the network reduced on the media's compounds and its growth map.

A :class:`GrowthModel` is built once (the network reduced on the compounds,
then the frozen surrogate of pFBA learned from HiGHS solutions, or a
mechanistic layer in the loop) and shared by every fold of a
cross-validation; a surrogate is saved and reloaded (safetensors + JSON +
``network.xml``) so that a rerun skips the pFBA labelling.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from amn.dynamics.model import LayerGrowth, SurrogateGrowth, fit_surrogate
from amn.dynamics.network import DynamicNetwork, dynamic_network, label, sample_bounds
from amn.errors import ModelLoadError, ParameterError
from amn.evaluation.metrics import r2
from amn.network import make_unidirectional

LAYERS = ("surrogate", "exact", "ipm")


class GrowthModel:
    """The mechanistic part shared by the folds of a cross-validation: the network and its growth map.

    Built once (:meth:`build`); copies (``clone`` of the estimator) share it, it is not re-fitted.

    Attributes
    ----------
    dynamic_network : DynamicNetwork
    growth_map : nn.Module
        Frozen.
    layer : str
    u_max : float
    surrogate_r2 : dict or None
        Held-out R² of the surrogate's growth and uptakes against pFBA (None for a layer).
    seconds : float
    """

    def __init__(self, dynamic_network: DynamicNetwork, growth_map, layer: str, u_max: float,
                 surrogate_r2: dict | None = None, seconds: float = 0.0) -> None:
        self.dynamic_network, self.growth_map, self.layer = dynamic_network, growth_map, layer
        self.u_max, self.surrogate_r2, self.seconds = float(u_max), surrogate_r2, seconds

    def __deepcopy__(self, memo) -> GrowthModel:
        return self

    def save(self, directory: str | Path) -> Path:
        """Write a surrogate growth model (``growth.json``, ``growth.safetensors``, ``network.xml``), to reuse it."""
        if not isinstance(self.growth_map, SurrogateGrowth):
            raise ParameterError("only a surrogate growth model is saved; a layer is rebuilt from the network")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        dn = self.dynamic_network
        save_file({k: v.contiguous() for k, v in self.growth_map.state_dict().items()}, str(directory / "growth.safetensors"))
        dn.network.write_sbml(directory / "network.xml")
        (directory / "growth.json").write_text(json.dumps({
            "base": dn.base, "compounds": dn.compounds, "uptakes": dn.uptakes, "base_bounds": dn.base_bounds.tolist(),
            "products": dn.products, "secreted": dn.secreted, "outflows": dn.outflows,
            "full_reactions": dn.full_reactions, "u_max": self.u_max, "surrogate_r2": self.surrogate_r2,
            "shape": surrogate_shape(self.growth_map), "seconds": self.seconds}, indent=1))
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> GrowthModel:
        """A growth model written by :meth:`save`.

        Raises
        ------
        ModelLoadError
            Missing or malformed files.
        """
        directory = Path(directory)
        try:
            d = json.loads((directory / "growth.json").read_text())
            network = make_unidirectional(directory / "network.xml")
            dn = DynamicNetwork(network, d["full_reactions"], d["base"], d["compounds"], d["uptakes"],
                                np.asarray(d["base_bounds"]), 0.0, d.get("products", []), d.get("secreted", []),
                                d.get("outflows", []))
            growth_map = SurrogateGrowth(len(dn.state), d["u_max"], d["shape"]["pieces"], d["shape"]["hidden"],
                                         dn.secreted_index)
            growth_map = growth_map.double()
            growth_map.load_state_dict(load_file(str(directory / "growth.safetensors")))
        except (OSError, KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"{directory}: not a saved growth model ({type(exc).__name__})") from None
        growth_map.requires_grad_(False)
        return cls(dn, growth_map.eval(), "surrogate", d["u_max"], d.get("surrogate_r2"), d.get("seconds", 0.0))

    @classmethod
    def build(cls, model, compounds: Sequence[str], *, layer: str = "surrogate", base: str | Sequence[str] = "m9",
              oxygen: float = 20.0, u_max: float = 10.0, reduce: bool = True, samples: int = 3000, seed: int = 0,
              source: str = "media", surrogate_epochs: int = 1000, secretions: Sequence[str] = (),
              log=None) -> GrowthModel:
        """Reduce the network on the compounds and build its growth map.

        Parameters
        ----------
        model : str, Path or network
        compounds : sequence of str
        layer : {"surrogate", "exact", "ipm"}
            The frozen surrogate of pFBA, :class:`~amn.layers.ExactFBA` (HiGHS, exact gradients) or
            :class:`~amn.layers.InteriorPoint` in the loop.
        base, oxygen, u_max, reduce, seed, source
            See :func:`~amn.dynamics.network.dynamic_network`.
        samples : int
            pFBA solutions the surrogate learns from (a fifth more are solved to measure it).
        surrogate_epochs : int
            Adam steps of the surrogate's fit.
        secretions : sequence of str
            Compounds whose secretion feeds back as a substrate (acetate: ``ac_e``); those the media
            lack are tracked from 0 mM (:func:`~amn.dynamics.network.secretion_outflows`).
        log : callable, optional
            Called with a line per stage.

        Returns
        -------
        GrowthModel
        """
        if layer not in LAYERS:
            raise ParameterError(f"layer must be one of {', '.join(LAYERS)}, got {layer!r}")
        say = log or (lambda line: None)
        start = time.perf_counter()
        dn = dynamic_network(model, compounds, base=base, oxygen=oxygen, u_max=u_max, reduce=reduce, seed=seed,
                             source=source, secretions=secretions)
        say(f"network: {dn.full_reactions} -> {len(dn.network.reaction_ids)} reactions kept ({dn.seconds:.0f} s)")
        if layer == "surrogate":
            n_test = max(samples // 5, 10)
            bounds = sample_bounds(samples + n_test, len(dn.uptakes), u_max, seed + 1)
            fluxes, growth = label(dn.network, dn.medium, dn.base_bounds, bounds)
            uptakes = net_uptakes(dn, fluxes)
            growth_map = fit_surrogate(bounds[:samples], growth[:samples], uptakes[:samples], u_max, seed=seed,
                                       epochs=surrogate_epochs, secreted=dn.secreted_index)
            r2 = surrogate_scores(growth_map, bounds[samples:], growth[samples:], uptakes[samples:], dn.secreted_index)
            secreted = f", secreted {r2['secreted']:.4f}" if "secreted" in r2 else ""
            say(f"surrogate: {samples} pFBA solutions; held-out R2 growth {r2['growth']:.4f}, uptakes "
                f"{r2['uptakes']:.4f}{secreted}")
        else:
            growth_map, r2 = layer_growth(dn, layer), None
            growth_map.requires_grad_(False)
        return cls(dn, growth_map, layer, u_max, r2, time.perf_counter() - start)


def net_uptakes(dn: DynamicNetwork, fluxes: np.ndarray) -> np.ndarray:
    """Net uptake of each tracked compound (samples x state) in fluxes of the network: uptake minus
    secretion for the secreted ones."""
    net = fluxes[:, dn.network.index(dn.uptakes)]
    if dn.secreted:
        net[:, dn.secreted_index] -= fluxes[:, dn.network.index(dn.outflows)]
    return net


def layer_growth(dn: DynamicNetwork, layer: str) -> LayerGrowth:
    """The growth map of the mechanistic layer ``"exact"`` (:class:`~amn.layers.ExactFBA`, pFBA) or ``"ipm"``
    (:class:`~amn.layers.InteriorPoint`) on the network's medium, secretions subtracted."""
    from amn.layers import ExactFBA, InteriorPoint

    matrices = dn.network.matrices(medium=dn.medium)
    inner = ExactFBA(matrices, method="pfba") if layer == "exact" else InteriorPoint(matrices)
    return LayerGrowth(inner, matrices.objective, len(dn.base), dn.base_bounds, dn.network.index(dn.outflows),
                       dn.secreted_index)


def surrogate_scores(surrogate: SurrogateGrowth, bounds, growth, uptakes, secreted: Sequence[int] = ()) -> dict:
    """R² of the surrogate against pFBA on samples it did not learn from: growth, net uptakes pooled, and
    the net uptakes of the secreted compounds pooled (when there are)."""
    ok = np.isfinite(growth)
    with torch.no_grad():
        mu, v = surrogate(torch.as_tensor(bounds[ok], dtype=torch.float64))
    scores = {"growth": r2(growth[ok], mu.numpy()), "uptakes": r2(uptakes[ok].ravel(), v.numpy().ravel())}
    if len(secreted):
        scores["secreted"] = r2(uptakes[ok][:, secreted].ravel(), v.numpy()[:, secreted].ravel())
    return scores


def surrogate_shape(growth_map) -> dict | None:
    """The sizes a saved surrogate is rebuilt with (None for a layer)."""
    if not isinstance(growth_map, SurrogateGrowth):
        return None
    return {"pieces": int(growth_map.w.shape[0]), "hidden": int(growth_map.uptake[0].out_features)}
