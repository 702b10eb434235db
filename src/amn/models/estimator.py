"""``AMNRegressor``: AMN and ANN architectures as a scikit-learn estimator.

Parameters are stored as given (scikit-learn convention).  The estimator owns its fitted
state: ``fit`` and ``load`` set it through one private method, the methods that need it raise
:class:`~amn.errors.NotFittedError` before, and other code reads the documented accessors
(``output_ids_``, ``input_range_``, ``tensor_options_``, ``eval_module()``).

Knockouts: the ``KO:<gene>`` indicator columns of a training table (see
:mod:`amn.network.knockouts`) become inputs of the dense network; AMNs also
give their mechanistic layer the mask of the fluxes the knocked-out genes
remove (through the gene-reaction rules).  ``predict(X, knockouts=...)`` takes
per-sample knockouts of any gene or reaction of the network: genes without an
indicator column (never seen in training) act through the mask only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split

from amn.errors import NotFittedError
from amn.media.spec import unlimited_scale
from amn.models.architectures import Architecture, get_architecture
from amn.models.inputs import check_outputs, encode_inputs, encode_targets
from amn.models.reduction import expand_fluxes, fit_reduction, loss_class, reduced_index, reduction_state, term_factors
from amn.models.runtime import cpu_threads, resolve_device
from amn.models.saving import SaveLoadMixin, load_model_dir, save_model
from amn.network import Knockouts, UnidirectionalNetwork, ensure_network
from amn.network.knockouts import KO_PREFIX, indicator_genes
from amn.training.checkpoint import load_weights
from amn.training.loss import LossWeights
from amn.training.trainer import TrainConfig, train

__all__ = ["AMNRegressor", "cpu_threads", "load_model_dir", "resolve_device", "save_model"]


class AMNRegressor(SaveLoadMixin, RegressorMixin, BaseEstimator):
    """An AMN (or ANN baseline) trained on a flux dataset.

    Architectures (``arch``, see :mod:`amn.models.architectures`):

    - ``ann-dense``: dense network, medium -> measured fluxes only (the baseline);
    - ``ann-sv``: dense network, medium -> every flux, ``||S V||^2``, bound and sign terms in the loss;
    - ``amn-w``: dense prior, then RNN-W (propagation with learned branching ratios, AMN-Wt);
    - ``amn-eb``: dense prior, then RNN-EB (the primal-dual LP network, exact uptakes);
    - ``amn-ub``: dense prior, then RNN-UB (the LP network with uptake upper bounds);
    - ``amn-qp``: dense prior, then QP (momentum descent on the constraint violations, AMN-QP);
    - ``amn-pdhg``: dense prior, then restarted Halpern PDHG on the pFBA-like problem;
    - ``amn-ipm``: dense prior, then an interior-point method on the pFBA-like problem;
    - ``amn-exact``: a learned scale per medium input, then pFBA solved exactly by HiGHS.

    ``predict`` returns the measured fluxes (the growth rate by default),
    ``predict_fluxes`` every flux of the network (all but ``ann-dense``);
    ``save(directory)`` and ``AMNRegressor.load(directory)`` write and read a
    model directory (:mod:`amn.models.persist`).

    Parameters
    ----------
    arch : str, default "amn-qp"
        One of :data:`~amn.models.ARCHITECTURES`.
    network : UnidirectionalNetwork or str, default "textbook"
        The network, or what :func:`~amn.network.ensure_network` reads.
    medium, measured : sequence of str, optional
        Medium uptake ids (default: the non-``KO:`` columns of ``X``, else every uptake) and
        measured reaction ids (default: the growth reaction).
    bound : {"UB", "EB"}, default "UB"
        Medium inputs as uptake upper bounds or exact uptakes.
    hidden : sequence of int, default (50,)
        Hidden layer sizes of the dense network.
    dropout : float, default 0.0
    epochs, batch_size, lr, weight_decay, patience : training settings
        Adam over ``epochs`` passes, early stopping after ``patience`` epochs without progress.
    val_fraction : float, default 0.1
        Share of the samples held out for early stopping.
    w_mse, w_sv, w_bound, w_neg : float, default 1.0
        Weights of the loss terms (:class:`~amn.training.AMNLoss`).
    layer_params : dict, optional
        Settings of the mechanistic layer (:data:`~amn.models.architectures.LAYER_DEFAULTS`).
    seed : int, default 0
    device : str, default "auto"
        A torch device; ``auto`` takes the GPU when there is one.
    dtype : {"float32", "float64"}, default "float32"
    threads : int or None, default 1
        CPU threads while training (:func:`~amn.models.runtime.cpu_threads`).
    compile : bool, default False
        ``torch.compile`` the training step.
    verbose : bool, default False
        Show a progress bar.
    reduce : bool, default False
        Drop the reactions with zero flux in every training sample (keeping the medium, measured
        and objective reactions); the module runs on the reduced network, predictions are full width.

    Attributes
    ----------
    network_ : UnidirectionalNetwork
    medium_, measured_, knockout_genes_ : list of str
        The ids of the inputs, of the measured fluxes, of the genes with an indicator input.
    knockouts_ : Knockouts
        The network's knockouts (masks of removed fluxes).
    output_ids_, input_range_, tensor_options_
        The documented accessors of the fitted module (see each).
    history_ : list of dict
        Per-epoch losses; ``best_epoch_``, ``seconds_per_epoch_``, ``fit_seconds_`` (None once loaded),
        ``n_params_`` (trainable parameters) and ``metrics_`` (saved with the model) go with it.
    reduced_network_, reduced_reaction_ids_, n_reactions_kept_, layer_network_
        With ``reduce``, the reduced network and its ids (else None); reactions of ``layer_network_`` (the module's).
    prior_scale_ : list of float
        What each input of the dense network is divided by: its training maximum where that exceeds
        100 (a medium's "unlimited" 1000), else 1 (:func:`~amn.media.spec.unlimited_scale`).
    module_, loss_, input_min_, input_max_, loss_scales_, device_
        The torch module, its loss and what they were built from; prefer the accessors.

    Examples
    --------
    >>> model = AMNRegressor(arch="ann-sv", epochs=20).fit(X, Y)  # doctest: +SKIP
    >>> model.predict_fluxes(X)                                    # doctest: +SKIP
    """

    def __init__(
        self,
        arch: str = "amn-qp",
        network: UnidirectionalNetwork | str | None = "textbook",
        medium: Sequence[str] | None = None,
        measured: Sequence[str] | None = None,
        bound: str = "UB",
        hidden: Sequence[int] = (50,),
        dropout: float = 0.0,
        epochs: int = 100,
        batch_size: int = 32,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        patience: int = 20,
        val_fraction: float = 0.1,
        w_mse: float = 1.0,
        w_sv: float = 1.0,
        w_bound: float = 1.0,
        w_neg: float = 1.0,
        layer_params: dict | None = None,
        seed: int = 0,
        device: str = "auto",
        dtype: str = "float32",
        threads: int | None = 1,
        compile: bool = False,
        verbose: bool = False,
        reduce: bool = False,
    ) -> None:
        self.arch = arch
        self.network = network
        self.medium = medium
        self.measured = measured
        self.bound = bound
        self.hidden = hidden
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.patience = patience
        self.val_fraction = val_fraction
        self.w_mse = w_mse
        self.w_sv = w_sv
        self.w_bound = w_bound
        self.w_neg = w_neg
        self.layer_params = layer_params
        self.seed = seed
        self.device = device
        self.dtype = dtype
        self.threads = threads
        self.compile = compile
        self.verbose = verbose
        self.reduce = reduce

    # -- architecture (no fitting needed) ------------------------------------------------
    @property
    def architecture(self) -> Architecture:
        """The :class:`~amn.models.architectures.Architecture` of ``arch`` (ParameterError if unknown)."""
        return get_architecture(self.arch)

    @property
    def predicts_fluxes(self) -> bool:
        """Whether the architecture outputs every flux of the network (all but ``ann-dense``)."""
        return self.architecture.all_fluxes

    # -- fitted state ---------------------------------------------------------------------
    def __sklearn_is_fitted__(self) -> bool:
        return "module_" in self.__dict__

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(f"this {type(self).__name__} ({self.arch}) is not fitted: call fit or load first")

    def _build(self, network, medium, measured, knockout_genes, loss_scales, device, weights=None, prior_scale=None):
        """The module (with ``weights`` if given) and its loss on ``device``; sets nothing."""
        module, mats = self.architecture.build(network, medium, measured, self.bound, self.hidden, self.dropout,
                                               self.layer_params or {}, len(knockout_genes), prior_scale)
        if weights is not None:
            load_weights(module, weights)
        dtype = getattr(torch, self.dtype)
        module.to(device=device, dtype=dtype)
        loss = loss_class(loss_scales)(
            mats.S,
            torch.as_tensor(mats.medium_index, dtype=torch.long),
            torch.as_tensor(mats.measured_index, dtype=torch.long),
            bound=self.bound, weights=LossWeights(self.w_mse, self.w_sv, self.w_bound, self.w_neg),
            all_fluxes=self.architecture.all_fluxes,
            target_var=torch.as_tensor(loss_scales["target_var"], dtype=dtype),
            flux_scale=loss_scales["flux_scale"],
        ).to(device=device, dtype=dtype)
        return module, loss

    def _set_fitted_state(self, *, device, network, medium, measured, knockout_genes, module, loss, input_min,
                          input_max, loss_scales, prior_scale, history, best_epoch, seconds_per_epoch, n_params=None,
                          fit_seconds=None, metrics=None, knockouts=None, source=None, reduced=None) -> None:
        """The one place that sets the fitted attributes (used by ``fit`` and ``load``)."""
        self.device_ = device
        self.source_ = source  # the model directory it was loaded from, for messages
        self.network_ = network  # the full network (output width, sha256)
        self.__dict__.update(reduction_state(network, reduced))  # reduced_network_, layer_network_ & co.
        self.medium_ = list(medium)
        self.measured_ = list(measured)
        self.knockout_genes_ = list(knockout_genes)
        self.knockouts_ = knockouts if knockouts is not None else Knockouts(network)
        self.input_min_ = [float(v) for v in input_min]  # the range the model has seen, per medium input
        self.input_max_ = [float(v) for v in input_max]
        self.loss_scales_ = loss_scales
        self.prior_scale_ = list(prior_scale)  # of the dense network's inputs (Dense's input_scale)
        self.loss_ = loss
        self.history_ = history
        self.best_epoch_ = best_epoch
        self.seconds_per_epoch_ = seconds_per_epoch
        self.fit_seconds_ = fit_seconds
        trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
        self.n_params_ = trainable if n_params is None else n_params
        self.metrics_ = dict(metrics or {})
        self.module_ = module  # last: what __sklearn_is_fitted__ looks at

    @property
    def output_ids_(self) -> list[str]:
        """The reaction ids of the module's outputs, in order: every flux of ``layer_network_``, or the measured."""
        self._check_fitted()
        return list(self.layer_network_.reaction_ids) if self.architecture.all_fluxes else list(self.measured_)

    @property
    def input_range_(self) -> tuple[np.ndarray, np.ndarray]:
        """(lowest, highest) value of each medium input in training, where the model is valid."""
        self._check_fitted()
        return np.asarray(self.input_min_, dtype=float), np.asarray(self.input_max_, dtype=float)

    @property
    def tensor_options_(self) -> dict:
        """``{"device": ..., "dtype": ...}`` of the module: ``x.to(**model.tensor_options_)``."""
        self._check_fitted()
        return {"device": self.device_, "dtype": getattr(torch, self.dtype)}

    def eval_module(self) -> torch.nn.Module:
        """The fitted torch module in eval mode: module inputs (:meth:`module_inputs`) -> outputs
        (:attr:`output_ids_`).  The estimator's own module, not a copy."""
        self._check_fitted()
        return self.module_.eval()

    # -- data -----------------------------------------------------------------
    def _tensor(self, values) -> torch.Tensor:
        return torch.as_tensor(np.asarray(values, dtype=float), **self.tensor_options_)

    def module_inputs(self, X, knockouts=None) -> np.ndarray:
        """What the module takes for media ``X``: the medium, then with knockouts the indicators and
        (AMNs) the mask of removed fluxes; for users who call the torch module directly.

        Parameters
        ----------
        X : DataFrame or array-like
            Media; knocked-out ids of a sample are its non-zero ``KO:<gene>`` columns (DataFrame,
            or the columns after the medium of an array) ...
        knockouts : sequence, optional
            ... plus ``knockouts[i]`` (ids or a ``;``-separated string).

        Returns
        -------
        numpy.ndarray

        Raises
        ------
        NotFittedError, DatasetMismatchError
        """
        self._check_fitted()
        return encode_inputs(X, self.medium_, self.knockout_genes_, self.knockouts_, self.architecture.mechanistic,
                             knockouts, self.reduced_index_)

    # -- estimator API ----------------------------------------------------------
    def fit(self, X, y, checkpoint_dir=None) -> AMNRegressor:
        """Train on media ``X`` (samples x medium uptakes) and measured fluxes ``y``.

        Parameters
        ----------
        X : DataFrame or array-like
            Media, with ``KO:<gene>`` indicator columns for knockout data.
        y : DataFrame or array-like
            The measured fluxes, or the full flux table (a DataFrame): the measured columns are taken.
        checkpoint_dir : path, optional
            Makes the run resumable.

        Returns
        -------
        AMNRegressor
            ``self``, fitted.

        Raises
        ------
        ParameterError
            ``arch`` is no architecture.
        DatasetMismatchError
            ``X`` or ``y`` do not fit the network (ids, shapes, NaNs).
        """
        architecture = self.architecture
        device = resolve_device(self.device)
        network = ensure_network(self.network)
        columns = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else []
        medium = list(self.medium) if self.medium is not None else (
            [c for c in columns if not c.startswith(KO_PREFIX)] if columns else list(network.uptake_ids))
        measured = list(self.measured) if self.measured is not None else [network.objective_id]
        genes = indicator_genes(columns)
        knockouts = Knockouts(network)
        reduced = fit_reduction(network, y, medium, measured, architecture.all_fluxes) if self.reduce else None
        X_np = encode_inputs(X, medium, genes, knockouts, architecture.mechanistic, None, reduced_index(network, reduced))
        y_np = encode_targets(y, measured)
        uptakes = X_np[:, : len(medium)]
        variance = y_np.var(axis=0)
        input_max = uptakes.max(axis=0, initial=0.0)
        prior = unlimited_scale([*input_max, *[1.0] * len(genes)])
        rates = uptakes[:, np.asarray(prior[: len(medium)]) == 1.0]  # an "unlimited" bound is no flux scale
        flux_scale = float(np.mean(rates**2)) if rates.size else 0.0
        loss_scales = {"target_var": np.where(variance > 0, variance, 1.0).tolist(), "flux_scale": flux_scale or 1.0,
                       **term_factors(network, reduced)}
        torch.manual_seed(self.seed)
        module, loss = self._build(reduced or network, medium, measured, genes, loss_scales, device, prior_scale=prior)
        if self.val_fraction and len(X_np) * self.val_fraction >= 1:
            X_tr, X_va, y_tr, y_va = train_test_split(X_np, y_np, test_size=self.val_fraction, random_state=self.seed)
        else:
            X_tr, y_tr, X_va, y_va = X_np, y_np, X_np[:0], y_np[:0]
        config = TrainConfig(self.epochs, self.batch_size, self.lr, self.weight_decay, self.patience, self.seed, self.compile)
        tensor = partial(torch.as_tensor, device=device, dtype=getattr(torch, self.dtype))
        started = time.perf_counter()
        with cpu_threads(self.threads if device.type == "cpu" else None):
            result = train(module, loss, tensor(X_tr), tensor(y_tr), config, tensor(X_va), tensor(y_va),
                           checkpoint_dir=checkpoint_dir, progress=self.verbose, description=self.arch)
        self._set_fitted_state(
            device=device, network=network, medium=medium, measured=measured, knockout_genes=genes, module=module,
            loss=loss, input_min=uptakes.min(axis=0), input_max=input_max, loss_scales=loss_scales, prior_scale=prior,
            history=result.history, best_epoch=result.best_epoch, seconds_per_epoch=result.seconds_per_epoch,
            fit_seconds=time.perf_counter() - started, knockouts=knockouts, reduced=reduced)
        return self

    def _forward(self, X, knockouts=None) -> np.ndarray:
        inputs = self._tensor(self.module_inputs(X, knockouts))
        with torch.no_grad():
            out = self.eval_module()(inputs).cpu().double().numpy()
        out = check_outputs(out, self.module_, self.arch, self.source_)
        return expand_fluxes(out, self.reduced_index_, len(self.network_.reaction_ids)) if self.predicts_fluxes else out

    def predict(self, X, knockouts=None) -> np.ndarray:
        """Measured fluxes (1-D when one flux is measured, as scikit-learn expects).

        ``knockouts``: per-sample knocked-out gene or reaction ids (iterables or ``;``-separated
        strings), added to the ``KO:`` columns of ``X``; a NaN or infinite prediction raises.
        """
        out = self._forward(X, knockouts)
        if self.architecture.all_fluxes:
            out = out[:, self.network_.index(self.measured_)]
        return out[:, 0] if out.shape[1] == 1 else out

    def score(self, X, y, sample_weight=None) -> float:
        """R^2 (Q^2 on held-out data) of the measured fluxes; ``y`` may be the full flux table."""
        self._check_fitted()
        y_true = encode_targets(y, self.measured_)
        return float(r2_score(y_true[:, 0] if y_true.shape[1] == 1 else y_true, self.predict(X), sample_weight=sample_weight))

    def predict_fluxes(self, X, knockouts=None) -> pd.DataFrame:
        """Every flux of the network (architectures with all fluxes as output); ``knockouts`` as in :meth:`predict`.

        Raises
        ------
        NotFittedError
        ValueError
            ``ann-dense``, which predicts the measured fluxes only.
        DatasetMismatchError, ModelLoadError
            A NaN or infinite prediction (:func:`~amn.models.inputs.check_outputs`).
        """
        self._check_fitted()
        if not self.architecture.all_fluxes:
            raise ValueError(f"{self.arch} predicts the measured fluxes only; use ann-sv or an AMN for all fluxes")
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(self._forward(X, knockouts), columns=self.network_.reaction_ids, index=index)

    def loss_terms(self, X, y) -> dict[str, float]:
        """The loss terms (mse, sv, bound, neg) on data, unweighted."""
        X_t = self._tensor(self.module_inputs(X))
        y_t = self._tensor(encode_targets(y, self.measured_))
        with torch.no_grad():
            _, terms = self.loss_(self.eval_module()(X_t), X_t, y_t)
        return {k: float(v) for k, v in terms.items()}

