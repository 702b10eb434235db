"""``save`` and ``load`` of :class:`~amn.models.FluxAMNRegressor`: its fitted state to and from a model directory.

The same file format as an AMN's (:mod:`amn.models.persist`: ``model.safetensors``, ``model.json``,
``network.xml``, no pickle).  The weights file holds every fitted array (the ridge prior's coefficients,
the input standardization, the targets' projection weights, read-out scales and shares) and, for a dense
prior, the residual module's tensors under ``module.``; ``model.json`` holds the parameters as given, the
column roles and the target ids.  Loading rebuilds the projection layer from the network: nothing is refitted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import RidgeCV

from amn.errors import ModelLoadError
from amn.layers.projection import NetArrays
from amn.models.persist import read_model_dir, write_model_dir
from amn.network import Knockouts

KIND = "flux-amn"
REQUIRED = ("kind", "params", "targets", "alpha", "network_sha256")
ARRAYS = ("feature_mean_", "feature_scale_", "target_weight_", "target_var_", "target_scale_", "readout_weight_",
          "prior_error_")
MODULE = "module."
SEQUENCES = ("extra", "hidden", "alphas")


class FluxSaveLoadMixin:
    """``save(directory)`` and ``FluxAMNRegressor.load(directory)``."""

    def save(self, directory: str | Path, metrics: dict | None = None) -> Path:
        """Write the fitted estimator to ``directory`` (created if needed); returns ``directory``.

        Raises
        ------
        NotFittedError
            The estimator is not fitted.
        """
        self._check_fitted()
        params = {**self.get_params(), "network": "network.xml",
                  "knockouts": {c: list(v) for c, v in self.knockouts_.items()}}
        weights = {name.rstrip("_"): torch.as_tensor(np.asarray(getattr(self, name), dtype=float)) for name in ARRAYS}
        weights["mechanistic"] = torch.as_tensor(self.mechanistic_)
        weights["ridge.coef"] = torch.as_tensor(np.atleast_2d(self.ridge_.coef_))
        weights["ridge.intercept"] = torch.as_tensor(np.atleast_1d(self.ridge_.intercept_))
        if self.module_ is not None:
            weights.update({MODULE + k: v for k, v in self.module_.state_dict().items()})
        description = {"kind": KIND, "params": params, "targets": self.targets_, "alpha": np.atleast_1d(self.ridge_.alpha_).astype(float).tolist(),
                       "history": self.history_, "fit_seconds": self.fit_seconds_, "metrics": metrics or {}}
        return write_model_dir(directory, description, weights, self.network_)

    @classmethod
    def load(cls, directory: str | Path, network=None):
        """A fitted estimator from a directory written by :meth:`save`; ``network`` (optional) must be the one it
        was trained on (default: the directory's ``network.xml``).

        Raises
        ------
        ModelLoadError
            Missing or malformed files, another kind of model, parameters or arrays this version cannot use.
        DatasetMismatchError
            ``network`` is another network than the model's.
        """
        saved = read_model_dir(directory, network, required=REQUIRED, kind=KIND)
        d, w, source = saved.description, saved.weights, saved.directory / "model.json"
        params = dict(d["params"])
        unknown = sorted(set(params) - set(cls().get_params()))
        if unknown:
            raise ModelLoadError(f"{source}: parameter(s) {', '.join(unknown)} unknown to this version of amn")
        params["knockouts"] = {c: tuple(v) for c, v in params["knockouts"].items()}
        params.update({k: tuple(params[k]) for k in SEQUENCES if k in params})  # JSON has made them lists
        estimator = cls(**{**params, "network": saved.network})
        missing = [k for k in (*(n.rstrip("_") for n in ARRAYS), "mechanistic", "ridge.coef", "ridge.intercept")
                   if k not in w]
        if missing:
            raise ModelLoadError(f"{saved.directory}: model.safetensors lacks {', '.join(missing)}")
        estimator._restore(saved.network, d, w, str(source))
        return estimator

    def _restore(self, network, description: dict, weights: dict, source: str) -> None:
        """Set the fitted state from saved arrays (the parts of ``fit`` that need no data)."""
        self.network_ = network
        self.arrays_ = NetArrays.from_network(network)
        self.ko_map_ = Knockouts(network)
        self._resolve(network, None, description["targets"])
        for name in ARRAYS:
            setattr(self, name, weights[name.rstrip("_")].numpy())
        self.mechanistic_ = weights["mechanistic"].numpy().astype(bool)
        n_in, n_out = len(self.features_), len(self.targets_)
        coef = weights["ridge.coef"].numpy()
        if coef.shape != (n_out, n_in) or len(self.feature_mean_) != n_in or len(self.target_weight_) != n_out:
            raise ModelLoadError(f"{source}: the saved arrays do not match {n_in} inputs and {n_out} targets")
        self.ridge_ = RidgeCV(alphas=list(self.alphas))
        self.ridge_.coef_, self.ridge_.intercept_ = coef, weights["ridge.intercept"].numpy()
        self.ridge_.alpha_, self.ridge_.n_features_in_ = np.asarray(description["alpha"], dtype=float), n_in
        weight = self.readout_weight_
        self._setup_layer(self.target_scale_)
        self._set_readout(weight)
        self._set_prior_error(self.prior_error_)
        module_state = {k[len(MODULE):]: v for k, v in weights.items() if k.startswith(MODULE)}
        self.module_ = None
        if module_state:
            self.module_ = self._residual_module(n_in, n_out)
            try:
                self.module_.load_state_dict(module_state)
            except RuntimeError as exc:
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[-1].strip()
                raise ModelLoadError(f"{source}: the prior's weights do not fit hidden={list(self.hidden)} ({reason})") from None
            self.module_.eval()
        self.history_ = list(description.get("history", []))
        self.fit_seconds_ = description.get("fit_seconds")
