"""``FluxAMNRegressor``: an AMN that predicts every measured flux of a condition (13C-MFA tables).

A table row is a condition; its columns are, as the estimator is told:

- ``uptakes``: ``{column: uptake id}`` (unidirectional ``<exchange>_i``): the value is the uptake's upper
  bound (mmol/gDW/h), replacing the model's;
- ``measured``: ``{column: reaction id}``: measured fluxes given as inputs (growth, glucose uptake),
  fixed exactly to their value in the prediction;
- ``knockouts``: ``{column: ("gene" | "reaction", model id)}``: 1 = knocked out, 0 = present; a knocked-out
  gene removes the reactions its gene-reaction rules lose (:class:`~amn.network.Knockouts`), a reaction
  id all its directions (an original id) or one direction (a unidirectional id);
- ``extra``: any other inputs (regulators, transcripts, proteins): read by the prior only;
- ``targets``: ``{column: reaction id}``: the fluxes to predict, ``Y``'s columns.

Reaction ids are those of the unidirectional network: an original id means its net flux in the model's
orientation; a unidirectional id (``<id>_for``, ``<id>_rev``, ``<ex>_i``, ``<ex>_o``) the net flux in that
direction, i.e. ``+-`` the net flux (MFA fluxes are net fluxes: a value may be negative when the
reaction runs the other way).

The model: a prior maps the standardized inputs ``[uptakes, measured, knockouts, extra]`` to a first
estimate of the targets; a mechanistic layer (:class:`~amn.layers.projection.SteadyStateProjection`)
returns the net flux vector of the network whose read-out targets are closest to it (weighted least
squares) with ``S v = 0``, the model's bounds, the uptake bounds of the row, the measured inputs fixed,
and every knocked-out reaction at exactly 0 (a bound of the layer, not a learned tendency).  Weights,
all from the training rows: a target weighs the inverse of its prior's leave-one-out error (RidgeCV's
generalized CV); reactions without a target ``slack_weight`` times the median weight (least norm,
pFBA-like).  A target is read as ``a_t`` times its flux (``calibrate``: a measurement that the network's
mass balance cannot reproduce, e.g. gas exchange beside 13C internal fluxes, is a multiple of the
model's flux); with ``readout="auto"`` a target whose network bias exceeds the prior's error is taken
from the prior instead; with ``readout="stacked"`` (the default) each target is, on top of that, the blend
``w_t`` x projected + ``(1 - w_t)`` x prior whose share ``w_t`` in [0, 1] fits out-of-fold predictions of the
training rows best (stacking: the projection moves a target only as far as that helped on unseen rows).
Where the projection moves a target of a row by more than ``max_correction`` of the prior's leave-one-out
standard errors, that target keeps the prior's estimate: the gross-error test of data reconciliation (a
row the network cannot balance without an implausible change, e.g. one extrapolated beyond the training
rows, does not spread that change over the targets it is least sure of).

``prior="ridge"``: the prior is RidgeCV (an alpha per target by leave-one-out on the training rows), the layer only
projects.  ``prior="dense"``: the prior (the ridge solution plus a correction starting at 0: linear, or a
residual MLP with ``hidden``) is trained through the layer, loss ``1 -`` the variance-weighted R^2 of
the training rows, Adam, full batch, ``weight_decay`` on the correction.  ``predict`` returns the
targets, ``predict_fluxes`` every unidirectional flux, ``predict_net_fluxes`` every net flux, ``score``
the variance-weighted R^2 over targets; ``save`` / ``load`` write and read a model directory
(:mod:`amn.models.flux_saving`).  A row whose fixed values the network cannot balance (e.g. a
growth rate above what its uptake allows with the model's maintenance demand) gets a small imbalance
``S v != 0`` rather than no answer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold

from amn.errors import DatasetMismatchError, NotFittedError, ParameterError, UnknownReactionError, id_list
from amn.layers.projection import NetArrays, SteadyStateProjection
from amn.models.flux_saving import FluxSaveLoadMixin
from amn.models.runtime import cpu_threads
from amn.network import Knockouts, ensure_network
from amn.network.knockouts import knockout_cells

__all__ = ["FluxAMNRegressor"]

PRIORS = ("ridge", "dense")
READOUTS = ("stacked", "auto", "network")
BLEND_FOLDS = 10
ALPHAS = tuple(np.logspace(-3, 3, 13))
KINDS = ("gene", "reaction")


def _table(X, what: str, columns: Sequence[str]) -> pd.DataFrame:
    """``X`` as a DataFrame that has ``columns`` (numbers, no NaN)."""
    if not isinstance(X, pd.DataFrame):
        raise DatasetMismatchError(f"{what}: a DataFrame with named columns is needed")
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise DatasetMismatchError(f"{what}: missing column(s) {id_list(missing)}")
    values = X[list(columns)].apply(pd.to_numeric, errors="coerce")
    bad = [c for c in columns if values[c].isna().any()]
    if bad:
        raise DatasetMismatchError(f"{what}: non-numeric or missing values in column(s) {id_list(bad)}")
    return values


class FluxAMNRegressor(FluxSaveLoadMixin, RegressorMixin, BaseEstimator):
    """Prior network + exact steady-state projection, predicting many measured fluxes per condition.

    Parameters
    ----------
    network : UnidirectionalNetwork or str, default "textbook"
        The network, or what :func:`~amn.network.ensure_network` reads (a model file, a BiGG id).
    uptakes, measured, knockouts, targets : dict, optional
        Column roles (see the module docstring); ``targets`` default: every column of ``Y`` that is a
        reaction id of the network.
    extra : sequence of str, default ()
        Columns read by the prior only.
    prior : {"ridge", "dense"}, default "dense"
    hidden : sequence of int, default ()
        Hidden layers of the residual MLP of the dense prior (none: the linear prior is trained).
    epochs, lr, weight_decay : training of the dense prior (Adam, full batch).
    alphas : sequence of float
        RidgeCV's alphas (one chosen per target by leave-one-out on the training rows).
    slack_weight : float, default 1e-3
        Weight of the reactions without target, relative to the median target weight.
    calibrate : bool, default True
        Read each target as ``a_t`` times its flux, ``a_t`` fitted on the training rows (see ``_calibrate``).
    readout : {"stacked", "auto", "network"}, default "stacked"
        ``network``: every target is read from the projected fluxes.  ``auto``: a target is read from them
        where the network's bias on it (the change that projecting the measured training rows makes) is
        at most the prior's leave-one-out error (or 0.1% of its variance), else it is the prior's estimate (and
        leaves the projection).  ``stacked``: as ``auto``, then each target read from the projection is
        blended with the prior's estimate, its share fitted on out-of-fold predictions of the training rows
        (``min(n, 10)`` folds, the ridge prior at its chosen alphas).
    max_correction : float or None, default 3.0
        Largest change of a target by the projection, in the prior's leave-one-out standard errors; a
        larger one is taken as a gross error and the target keeps the prior's estimate (None: no test).
    random_state : int, default 0
    threads : int or None, default 1
        CPU threads (:func:`~amn.models.runtime.cpu_threads`).
    verbose : bool, default False

    Attributes
    ----------
    network_, arrays_ : the network and its net form (:class:`~amn.layers.projection.NetArrays`)
    features_ : list of str
        The prior's input columns, in order.
    targets_ : dict
        Target column -> reaction id.
    target_weight_, target_scale_ : numpy.ndarray
        Weight of each target in the projection, and its read-out scale ``a_t``.
    mechanistic_ : numpy.ndarray of bool
        Which targets are read from the projected fluxes (the others from the prior; see ``readout``).
    readout_weight_ : numpy.ndarray
        Share of the projected flux in each target's read-out (1 or 0 unless ``readout="stacked"``).
    prior_error_ : numpy.ndarray
        The ridge prior's leave-one-out standard error per target (the unit of ``max_correction``).
    ridge_ : RidgeCV
    module_ : torch.nn.Module or None
        The trained residual of the dense prior.
    history_ : list of float
        Training loss per epoch (dense prior).
    """

    def __init__(self, network="textbook", uptakes: Mapping[str, str] | None = None,
                 measured: Mapping[str, str] | None = None, knockouts: Mapping[str, tuple[str, str]] | None = None,
                 extra: Sequence[str] = (), targets: Mapping[str, str] | None = None, prior: str = "dense",
                 hidden: Sequence[int] = (), epochs: int = 150, lr: float = 1e-2, weight_decay: float = 1e-2,
                 alphas: Sequence[float] = ALPHAS, slack_weight: float = 1e-3, calibrate: bool = True,
                 readout: str = "stacked", max_correction: float | None = 3.0, random_state: int = 0,
                 threads: int | None = 1, verbose: bool = False) -> None:
        self.network = network
        self.uptakes = uptakes
        self.measured = measured
        self.knockouts = knockouts
        self.extra = extra
        self.targets = targets
        self.prior = prior
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.alphas = alphas
        self.slack_weight = slack_weight
        self.calibrate = calibrate
        self.readout = readout
        self.max_correction = max_correction
        self.random_state = random_state
        self.threads = threads
        self.verbose = verbose

    # -- columns -> reactions ------------------------------------------------------------
    def _signed(self, network, rid: str, what: str) -> tuple[int, float]:
        """(net reaction index, sign) of a reaction id: original id +1, unidirectional id its sign."""
        if rid in self._original_index:
            return self._original_index[rid], 1.0
        j = network.index([rid], what)[0]
        return int(self.arrays_.part_reaction[j]), float(self.arrays_.part_sign[j])

    def _resolve(self, network, Y, targets: Mapping[str, str] | None = None) -> None:
        """Column roles -> net reactions and signs; sets the fitted column attributes (``targets``: the fitted
        ones of a saved model, else from the parameter or ``Y``'s columns)."""
        self._original_index = {rid: i for i, rid in enumerate(network.original_ids)}
        self.uptakes_ = dict(self.uptakes or {})
        self.measured_ = dict(self.measured or {})
        self.knockouts_ = {c: (str(k), str(i)) for c, (k, i) in (self.knockouts or {}).items()}
        self.extra_ = list(self.extra)
        bad = [c for c, (k, _) in self.knockouts_.items() if k not in KINDS]
        if bad:
            raise ParameterError(f"knockout column(s) {id_list(bad)}: the kind must be 'gene' or 'reaction'")
        for column, (kind, rid) in self.knockouts_.items():
            known = self.ko_map_.genes if kind == "gene" else list(self._original_index) + network.reaction_ids
            if rid not in set(known):
                raise UnknownReactionError(f"knockout column {column}: {kind} {rid} is not in model {network.model_id}")
        if targets is not None or self.targets is not None:
            targets = dict(targets if targets is not None else self.targets)
        else:
            targets = {c: c for c in Y.columns if c in self._original_index or c in set(network.reaction_ids)}
        if not targets:
            raise DatasetMismatchError("no target: give targets={column: reaction id}")
        self.targets_ = targets
        self.uptake_ref_ = [self._signed(network, r, f"uptake (column {c})") for c, r in self.uptakes_.items()]
        self.measured_ref_ = [self._signed(network, r, f"measured (column {c})") for c, r in self.measured_.items()]
        self.target_ref_ = [self._signed(network, r, f"target (column {c})") for c, r in targets.items()]
        self.features_ = [*self.uptakes_, *self.measured_, *self.knockouts_, *self.extra_]

    def _bounds(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Per-row net bounds: the model's, the uptake bounds, the measured values fixed, knockouts at 0."""
        n = len(X)
        lower = np.tile(self.arrays_.lower, (n, 1))
        upper = np.tile(self.arrays_.upper, (n, 1))
        for column, (i, s) in zip(self.uptakes_, self.uptake_ref_):
            value = X[column].to_numpy(dtype=float)
            if s > 0:
                upper[:, i] = value
            else:
                lower[:, i] = -value
        for column, (i, s) in zip(self.measured_, self.measured_ref_):
            lower[:, i] = upper[:, i] = s * X[column].to_numpy(dtype=float)
        if self.knockouts_:
            flags = knockout_cells(X, list(self.knockouts_)) > 0
            ids = [rid for _, rid in self.knockouts_.values()]
            for row in range(n):
                removed = self.ko_map_.columns([ids[k] for k in np.flatnonzero(flags[row])])
                self.arrays_.removed_bounds(lower[row], upper[row], removed)
        return lower, upper

    def _features(self, X: pd.DataFrame) -> np.ndarray:
        return (X[self.features_].to_numpy(dtype=float) - self.feature_mean_) / self.feature_scale_

    # -- fit / predict ------------------------------------------------------------------
    def _project(self, estimate: torch.Tensor, lower, upper, warm=None, scale=None, frozen=None) -> torch.Tensor:
        """Net fluxes whose read-out targets are closest to ``estimate`` (batch x targets) within the polytope:
        ``min sum_t w_t (a_t s_t v_r(t) - estimate_t)^2`` (+ the slack term)."""
        a = self._scale_t if scale is None else scale
        T = a[:, None] * self._target_map_t
        q = (estimate * self._target_weight_t) @ T
        h = self._target_weight_t @ T**2 + self._slack
        return self.layer_(q, h, lower, upper, warm, frozen)

    def _readout(self, v: torch.Tensor, estimate: torch.Tensor) -> torch.Tensor:
        """Targets: ``a_t s_t v_r(t)`` from the net fluxes, blended with the prior's ``estimate`` by
        :attr:`readout_weight_` (0 for the targets that the network does not reproduce); a projected
        target beyond ``max_correction`` standard errors of the estimate keeps the estimate."""
        w = self._readout_weight_t
        projected = self._projected(v)
        keep = (w > 0) & self._within_correction(projected, estimate)
        return torch.where(keep, w * projected + (1.0 - w) * estimate, estimate)  # share 0: the estimate exactly

    def _projected(self, v: torch.Tensor) -> torch.Tensor:
        """The targets read from net fluxes ``v``: ``a_t s_t v_r(t)``."""
        return (v @ self._target_map_t.T) * self._scale_t

    def _within_correction(self, projected: torch.Tensor, estimate: torch.Tensor) -> torch.Tensor:
        """Where the projection changes a target by at most ``max_correction`` standard errors (everywhere
        without the test)."""
        if self.max_correction is None:
            return torch.ones_like(projected, dtype=torch.bool)
        return (projected - estimate).abs() <= float(self.max_correction) * self._prior_error_t

    def _setup_layer(self, scale: np.ndarray) -> None:
        n = len(self.arrays_.reaction_ids)
        T = np.zeros((len(self.target_ref_), n))
        for t, (i, s) in enumerate(self.target_ref_):
            T[t, i] = s
        self.layer_ = SteadyStateProjection(self.arrays_.S)
        self._target_map_t = torch.as_tensor(T)
        self._target_weight_t = torch.as_tensor(self.target_weight_)
        read = self.target_weight_[self.target_weight_ > 0]  # targets read from the prior weigh 0: not in the median
        self._slack = self.slack_weight * (float(np.median(read)) if len(read) else 1.0)
        self.target_scale_ = np.asarray(scale, dtype=float)
        self._scale_t = torch.as_tensor(self.target_scale_)
        self._set_readout(self.mechanistic_.astype(float))

    def _set_readout(self, weight: np.ndarray) -> None:
        """The share of the projected flux in each target's read-out (the layer is left as it is)."""
        self.readout_weight_ = np.asarray(weight, dtype=float)
        self._readout_weight_t = torch.as_tensor(self.readout_weight_)

    def _set_prior_error(self, error: np.ndarray) -> None:
        """The prior's leave-one-out standard error per target: the unit of ``max_correction``."""
        self.prior_error_ = np.asarray(error, dtype=float)
        self._prior_error_t = torch.as_tensor(self.prior_error_)

    def _network_bias(self, y, lower, upper) -> np.ndarray:
        """Per target, the mean squared change that projecting the measured training rows themselves makes:
        what the network's mass balance cannot reproduce (0 for data consistent with the network)."""
        with torch.no_grad():
            y_t = torch.as_tensor(y)
            v = self._project(y_t, torch.as_tensor(lower), torch.as_tensor(upper))
            return ((self._projected(v) - y_t) ** 2).mean(0).numpy()

    def _calibrate(self, Z, y, lower, upper) -> np.ndarray:
        """Per-target read-out scale ``a_t`` (least squares through 0 of the measured on the projected
        training fluxes, in [0.1, 10]): what a measurement that the network's mass balance cannot reproduce
        (e.g. gas exchange beside 13C internal fluxes) is, as a multiple of the model's flux; 1 when consistent."""
        with torch.no_grad():
            v = self._project(torch.as_tensor(self.ridge_.predict(Z).reshape(len(Z), -1)), torch.as_tensor(lower),
                              torch.as_tensor(upper))
        u = (v @ self._target_map_t.T).numpy()
        den = (u**2).sum(axis=0)
        level = np.maximum((y**2).sum(axis=0), 1e-12)
        scale = np.where(den > 1e-6 * level, (u * y).sum(axis=0) / np.maximum(den, 1e-300), 1.0)
        return np.clip(scale, 0.1, 10.0)

    def _blend(self, Z, y, lower, upper) -> np.ndarray:
        """Per target, the share ``w_t`` in [0, 1] of the projected read-out that fits out-of-fold predictions
        of the training rows best (least squares of ``y - prior`` on ``projected - prior``); 0 for the targets
        read from the prior, 1 where projecting changes nothing.  A change beyond ``max_correction`` counts as none,
        as in the read-out."""
        folds = KFold(min(len(Z), BLEND_FOLDS), shuffle=True, random_state=self.random_state)
        estimate = np.zeros_like(y)
        for train, held in folds.split(Z):
            ridge = Ridge(alpha=self.ridge_.alpha_).fit(Z[train], y[train])  # alpha_: one per target
            estimate[held] = ridge.predict(Z[held]).reshape(len(held), -1)
        with torch.no_grad():
            e = torch.as_tensor(estimate)
            u = self._projected(self._project(e, torch.as_tensor(lower), torch.as_tensor(upper)))
            u = torch.where(self._within_correction(u, e), u, e).numpy()
        d = u - estimate
        den = (d**2).sum(axis=0)
        share = np.where(den > 1e-12 * np.maximum((y**2).sum(axis=0), 1e-300),
                         ((y - estimate) * d).sum(axis=0) / np.maximum(den, 1e-300), 1.0)
        return np.where(self.mechanistic_, np.clip(share, 0.0, 1.0), 0.0)

    def _loo_errors(self, n_targets: int) -> np.ndarray:
        """The ridge prior's leave-one-out squared errors (rows x targets), each target at its chosen alpha."""
        errors = self.ridge_.cv_results_.reshape(len(self.ridge_.cv_results_), n_targets, -1)
        alphas = list(self.ridge_.alphas)
        chosen = [alphas.index(a) for a in np.broadcast_to(self.ridge_.alpha_, (n_targets,))]
        return errors[:, np.arange(n_targets), chosen]

    def fit(self, X: pd.DataFrame, Y: pd.DataFrame) -> FluxAMNRegressor:
        """Fit on conditions ``X`` (input columns) and measured fluxes ``Y`` (target columns).

        Raises
        ------
        ParameterError
            An unknown ``prior`` or knockout kind.
        DatasetMismatchError, UnknownReactionError
            Missing or non-numeric columns, ids that are not in the network.
        """
        if self.prior not in PRIORS:
            raise ParameterError(f"prior must be one of {', '.join(PRIORS)}, got {self.prior!r}")
        if self.readout not in READOUTS:
            raise ParameterError(f"readout must be one of {', '.join(READOUTS)}, got {self.readout!r}")
        if self.max_correction is not None and not float(self.max_correction) >= 0:
            raise ParameterError(f"max_correction must be >= 0 or None, got {self.max_correction!r}")
        started = time.perf_counter()
        network = ensure_network(self.network)
        self.network_ = network
        self.arrays_ = NetArrays.from_network(network)
        self.ko_map_ = Knockouts(network)
        self._resolve(network, Y)
        X = _table(X, "X", self.features_)
        y = _table(Y, "Y", list(self.targets_)).to_numpy(dtype=float)
        F = X.to_numpy(dtype=float)
        self.feature_mean_ = F.mean(axis=0)
        scale = F.std(axis=0)
        self.feature_scale_ = np.where(scale > 0, scale, 1.0)
        Z = self._features(X)
        self.ridge_ = RidgeCV(alphas=list(self.alphas), alpha_per_target=True, store_cv_results=True).fit(Z, y)
        loo = self._loo_errors(y.shape[1])
        variance = y.var(axis=0)
        level = float(np.mean(variance)) or float(np.mean(y**2)) or 1.0
        self.target_weight_ = 1.0 / (loo.mean(axis=0) + 1e-6 * level)
        self.target_var_ = np.where(variance > 1e-9 * level, variance, 1e-9 * level + variance)
        self._set_prior_error(np.sqrt(np.maximum(loo.mean(axis=0), 1e-6 * self.target_var_)))
        bounds = self._bounds(X)
        self.mechanistic_ = np.ones(y.shape[1], dtype=bool)
        self._setup_layer(np.ones(y.shape[1]))
        if self.calibrate:
            self._setup_layer(self._calibrate(Z, y, *bounds))
        if self.readout in ("auto", "stacked"):
            self.network_bias_ = self._network_bias(y, *bounds)
            self.mechanistic_ = self.network_bias_ <= np.maximum(loo.mean(axis=0), 1e-3 * self.target_var_)
            self.target_weight_ = np.where(self.mechanistic_, self.target_weight_, 0.0)
            self._setup_layer(self.target_scale_)
        if self.readout == "stacked" and len(Z) > 1:
            self._set_readout(self._blend(Z, y, *bounds))
        self.module_, self.history_ = None, []
        if self.prior == "dense":
            self._train(Z, y, *bounds)
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _residual_module(self, n_in: int, n_out: int) -> torch.nn.Module:
        """Linear correction of the ridge prior, or a residual MLP; both start at 0."""
        layers: list[torch.nn.Module] = []
        width = n_in
        for size in self.hidden:
            layers += [torch.nn.Linear(width, size), torch.nn.Tanh()]
            width = size
        last = torch.nn.Linear(width, n_out)
        torch.nn.init.zeros_(last.weight)
        torch.nn.init.zeros_(last.bias)
        return torch.nn.Sequential(*layers, last).double()

    def _train(self, Z, y, lower, upper) -> None:
        torch.manual_seed(self.random_state)
        module = self._residual_module(Z.shape[1], y.shape[1])
        Z_t, y_t = torch.as_tensor(Z), torch.as_tensor(y)
        base = torch.as_tensor(self.ridge_.predict(Z))
        lower_t, upper_t = torch.as_tensor(lower), torch.as_tensor(upper)
        total = float(self.target_var_.sum())  # the loss is 1 - the variance-weighted R^2 of the training rows
        optimizer = torch.optim.Adam(module.parameters(), lr=self.lr)
        warm = frozen = None
        with cpu_threads(self.threads):
            for _ in range(self.epochs):
                optimizer.zero_grad()
                estimate = base + module(Z_t)
                v = self._project(estimate, lower_t, upper_t, warm, frozen=frozen)
                warm, frozen = self.layer_.last_dual_, self.layer_.last_stalled_
                loss = ((self._readout(v, estimate) - y_t) ** 2).sum(1).mean() / total
                penalty = sum((p**2).sum() for p in module.parameters())
                (loss + self.weight_decay * penalty).backward()
                optimizer.step()
                self.history_.append(float(loss.detach()))
        self.module_ = module.eval()

    def _check_fitted(self) -> None:
        if "layer_" not in self.__dict__:
            raise NotFittedError(f"this {type(self).__name__} is not fitted: call fit first")

    def predict_net_fluxes(self, X: pd.DataFrame) -> pd.DataFrame:
        """Net flux of every original reaction of the network (model orientation), one row per condition."""
        return self._predict(X)[0]

    def _predict(self, X: pd.DataFrame) -> tuple[pd.DataFrame, torch.Tensor]:
        """Net fluxes (DataFrame) and the prior's estimate of the targets."""
        self._check_fitted()
        X = _table(X, "X", self.features_)
        Z = self._features(X)
        estimate = torch.as_tensor(self.ridge_.predict(Z).reshape(len(X), -1))
        lower, upper = (torch.as_tensor(b) for b in self._bounds(X))
        with torch.no_grad(), cpu_threads(self.threads):
            if self.module_ is not None:
                estimate = estimate + self.module_(torch.as_tensor(Z))
            v = self._project(estimate, lower, upper).numpy()
        return pd.DataFrame(v, index=X.index, columns=self.arrays_.reaction_ids), estimate

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The targets, shape (n_conditions, n_targets), in the order of :attr:`targets_`."""
        net, estimate = self._predict(X)
        return self._readout(torch.as_tensor(net.to_numpy()), estimate).numpy()

    def predict_fluxes(self, X: pd.DataFrame) -> pd.DataFrame:
        """Every unidirectional flux of the network (``max(+-v, 0)`` of each direction of each net flux ``v``)."""
        v = self.predict_net_fluxes(X).to_numpy()
        parts = np.maximum(v[:, self.arrays_.part_reaction] * self.arrays_.part_sign, 0.0)
        return pd.DataFrame(parts, index=X.index, columns=self.network_.reaction_ids)

    def score(self, X, y, sample_weight=None) -> float:
        """Variance-weighted R^2 over the targets (scikit-learn ``multioutput="variance_weighted"``)."""
        self._check_fitted()
        truth = _table(y, "Y", list(self.targets_)).to_numpy(dtype=float)
        return float(r2_score(truth, self.predict(X), sample_weight=sample_weight, multioutput="variance_weighted"))
