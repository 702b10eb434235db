"""``save`` and ``load`` of :class:`~amn.models.AMNRegressor`: its fitted state to and from a model directory.

The file format (and its validation) is :mod:`amn.models.persist`'s; this
mixin decides what of the estimator goes in it and restores the estimator
through the same private method ``fit`` uses.  A model fitted with ``reduce=True`` keeps
the full network as ``network.xml`` and the kept reaction ids in ``model.json``
(:mod:`amn.models.reduction`); ``save_model`` and ``load_model_dir`` are the functional forms.
"""

from __future__ import annotations

from pathlib import Path

from amn.errors import ModelLoadError
from amn.models.architectures import get_architecture
from amn.models.persist import WEIGHTS, read_model_dir, write_model_dir
from amn.models.reduction import reduction_description, restore_reduction
from amn.models.runtime import resolve_device


class SaveLoadMixin:
    """``save(directory)`` and ``AMNRegressor.load(directory)`` for the estimator."""

    def save(self, directory: str | Path, metrics: dict | None = None) -> Path:
        """Write the fitted model to ``directory`` (created if needed; see :mod:`amn.models.persist`).

        Parameters
        ----------
        directory : str or Path
        metrics : dict, optional
            Recorded in ``model.json`` (e.g. cross-validation scores).

        Returns
        -------
        Path
            ``directory``.

        Raises
        ------
        NotFittedError
            The estimator is not fitted.
        """
        self._check_fitted()
        description = {
            "arch": self.arch,
            "params": {**self.get_params(), "network": "network.xml"},
            "medium": self.medium_,
            "measured": self.measured_,
            "knockout_genes": self.knockout_genes_,
            "reaction_ids": self.network_.reaction_ids,
            "network_sha256": self.network_.sha256(),
            "n_params": self.n_params_,
            "loss_scales": self.loss_scales_,
            "input_min": self.input_min_,
            "input_max": self.input_max_,
            "prior_scale": self.prior_scale_,
            "best_epoch": self.best_epoch_,
            "seconds_per_epoch": self.seconds_per_epoch_,
            "history": self.history_,
            "metrics": metrics or {},
            **reduction_description(self),
        }
        return write_model_dir(directory, description, self.module_.state_dict(), self.network_)

    @classmethod
    def load(cls, directory: str | Path, network=None):
        """A fitted estimator from a model directory written by :meth:`save`.

        Parameters
        ----------
        directory : str or Path
        network : UnidirectionalNetwork or str, optional
            The network it was trained on (default: the directory's ``network.xml``).

        Returns
        -------
        AMNRegressor

        Raises
        ------
        ModelLoadError
            Missing or malformed files, parameters or weights this version cannot use.
        DatasetMismatchError
            ``network`` is another network than the model's.
        ParameterError
            An architecture this version does not know.

        Examples
        --------
        >>> model = AMNRegressor.load("runs/core_qp")  # doctest: +SKIP
        """
        saved = read_model_dir(directory, network)
        d, source = saved.description, saved.directory / "model.json"
        params = dict(d["params"])
        get_architecture(params.get("arch", d.get("arch")), source=str(source))
        unknown = sorted(set(params) - set(cls().get_params()))
        if unknown:
            raise ModelLoadError(f"{source}: parameter(s) {', '.join(unknown)} unknown to this version of amn")
        estimator = cls(**{**params, "network": saved.network})
        reduced = restore_reduction(saved.network, d, str(source))
        device = resolve_device(estimator.device)
        genes = d.get("knockout_genes", [])
        prior = d.get("prior_scale", [1.0] * (len(d["medium"]) + len(genes)))  # saved before the scale: none
        try:
            module, loss = estimator._build(reduced or saved.network, d["medium"], d["measured"], genes, d["loss_scales"],
                                            device, weights=saved.weights, prior_scale=prior)
        except RuntimeError as exc:  # load_state_dict: missing, unexpected or mis-shaped tensors
            lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
            reason = (lines[1:] or lines or [type(exc).__name__])[0]
            raise ModelLoadError(f"{source}: does not describe the weights in {WEIGHTS} "
                                 f"({estimator.arch}: {reason})") from None
        estimator._set_fitted_state(
            device=device, network=saved.network, medium=d["medium"], measured=d["measured"], knockout_genes=genes,
            module=module, loss=loss, input_min=d["input_min"], input_max=d["input_max"],
            loss_scales=d["loss_scales"], prior_scale=prior, history=d["history"], best_epoch=d["best_epoch"],
            seconds_per_epoch=d["seconds_per_epoch"], n_params=d["n_params"], metrics=d["metrics"],
            source=str(saved.directory), reduced=reduced)
        return estimator


def save_model(estimator, directory: str | Path, metrics: dict | None = None) -> Path:
    """Functional form of :meth:`AMNRegressor.save`: write a fitted estimator to ``directory``."""
    return estimator.save(directory, metrics=metrics)


def load_model_dir(directory: str | Path, network=None):
    """Functional form of :meth:`AMNRegressor.load`: a fitted estimator from ``directory``; ``network``
    (optional) must be the one it was trained on."""
    from amn.models.estimator import AMNRegressor  # the estimator imports this module

    return AMNRegressor.load(directory, network)
