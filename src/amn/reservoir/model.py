"""The uptake layer and the reservoir estimators (scikit-learn API): growth rates, and grows / does not grow."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from torch import nn

from amn.errors import DatasetMismatchError, NotFittedError, ParameterError, id_list
from amn.media.columns import check_composition_columns
from amn.network.knockouts import knockout_cells

#: What the composition cells of a reservoir's table may hold.
COMPOSITIONS = ("presence", "bounds", "concentration")

_LOADED: dict[tuple, object] = {}  # the last growth model read from disk: every fold of a CV reuses it


def load_growth_model(path):
    """``AMNRegressor.load(path)``, remembered while the directory's files are unchanged: a genome-scale
    network takes tens of seconds to read, and the frozen model is never modified."""
    from amn.models import AMNRegressor

    directory = Path(path).resolve()
    key = (str(directory), *((f.name, f.stat().st_mtime_ns, f.stat().st_size)
                             for f in sorted(directory.glob("*")) if f.is_file()))
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = AMNRegressor.load(path)
    return _LOADED[key]


class UptakeLayer(nn.Module):
    """Composition ``C`` (batch x n_c) -> uptake bounds (batch x n_in).

    Uptake ``j`` of a compound with cell ``c_j`` gets
    ``c_j * max_j * sigmoid(w_j . C + b_j)``: for a 0/1 composition a bound within
    ``max_j``; with ``scale_cells`` (bounds or concentrations) the layer reads the
    presence ``C > 0`` instead of ``C`` and learns a scale on the cell.  It depends
    on the whole composition (a carbon source can be taken up less when another
    is present) and is zero when the compound is absent.  With ``ceiling``, bounds are clipped there (the range the frozen
    model was trained on).  Medium uptakes with no composition column are fixed
    at ``fixed``.

    Parameters
    ----------
    composition_index : numpy.ndarray of int
        Per medium uptake, its composition column, or -1 for a fixed uptake.
    fixed, maximum : numpy.ndarray
        Per medium uptake, its fixed value and the cap of its learned bound.
    n_c : int
        Number of composition columns.
    ceiling : numpy.ndarray, optional
        Per medium uptake, the largest bound (default: none).
    scale_cells : bool, default False
        Cells are bounds or concentrations: the layer reads their presence and scales them.
    """

    def __init__(self, composition_index: np.ndarray, fixed: np.ndarray, maximum: np.ndarray, n_c: int,
                 ceiling: np.ndarray | None = None, scale_cells: bool = False) -> None:
        super().__init__()
        self.scale_cells = scale_cells
        n_in = len(maximum)
        self.linear = nn.Linear(n_c, n_in)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)  # start at half of the maximum
        self.register_buffer("composition_index", torch.as_tensor(composition_index, dtype=torch.long))
        self.register_buffer("fixed", torch.as_tensor(fixed, dtype=torch.float32))
        self.register_buffer("maximum", torch.as_tensor(maximum, dtype=torch.float32))
        self.register_buffer("ceiling", torch.as_tensor(np.full(n_in, np.inf) if ceiling is None else ceiling,
                                                        dtype=torch.float32))

    def forward(self, C: torch.Tensor) -> torch.Tensor:
        learned = self.maximum * torch.sigmoid(self.linear((C > 0).to(C.dtype) if self.scale_cells else C))
        has_column = self.composition_index >= 0
        present = torch.where(has_column, C[:, self.composition_index.clamp(min=0)], torch.ones_like(learned))
        return torch.minimum(torch.where(has_column, present * learned, self.fixed.expand_as(learned)), self.ceiling)


class _Reservoir(BaseEstimator):
    """What the reservoir estimators share: the frozen growth model, the uptake layer, full-batch L-BFGS."""

    def __init__(
        self,
        growth_model=None,
        max_bounds: dict[str, float] | None = None,
        alpha: float = 0.05,
        max_iter: int = 100,
        learn_base: bool = False,
        composition: str = "presence",
        max_scale: float = 2.0,
        knockout_ids: Sequence[str] = (),
    ) -> None:
        self.growth_model = growth_model
        self.max_bounds = max_bounds
        self.alpha = alpha
        self.max_iter = max_iter
        self.learn_base = learn_base
        self.composition = composition
        self.max_scale = max_scale
        self.knockout_ids = knockout_ids

    def _frozen(self):
        from amn.models import AMNRegressor

        model = self.growth_model
        if isinstance(model, (str, Path)):
            model = load_growth_model(model)
        if not isinstance(model, AMNRegressor):
            raise ParameterError(f"growth_model must be a fitted AMNRegressor or a saved model directory, "
                                 f"not {type(model).__name__}")
        if not model.__sklearn_is_fitted__():
            raise NotFittedError("growth_model must be a fitted AMNRegressor or a saved model directory")
        return model

    def __sklearn_is_fitted__(self) -> bool:
        return "layer_" in self.__dict__

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(f"this {type(self).__name__} is not fitted: call fit first")

    def _compositions(self, C) -> np.ndarray:
        if isinstance(C, pd.DataFrame):
            missing = [c for c in self.columns_ if c not in C.columns]
            if missing:
                raise DatasetMismatchError(f"compositions lack column(s) {id_list(missing)}")
            C = C[self.columns_]
        C = np.asarray(C, dtype=np.float32)
        if C.ndim != 2 or C.shape[1] != len(self.columns_):
            raise DatasetMismatchError(f"compositions must be {len(self.columns_)} columns")
        if self.composition == "presence" and not np.isin(C, (0.0, 1.0)).all():
            raise DatasetMismatchError(f"compositions must be {len(self.columns_)} columns of 0/1")
        if not (np.isfinite(C) & (C >= 0)).all():
            raise DatasetMismatchError(f"compositions ({self.composition}) must be finite and >= 0")
        return C

    def _knockout_sets(self, C) -> list[list[str]]:
        """Per row of ``C``, the ``knockout_ids`` whose cell is 1 (knocked out).

        Raises
        ------
        DatasetMismatchError
            ``C`` is no table, a knockout column is missing, or a cell is not 0 or 1.
        """
        if not self.knockout_ids:
            return [[] for _ in range(len(C))]
        if not isinstance(C, pd.DataFrame):
            raise DatasetMismatchError("compositions with knockouts must be a table (knockout columns by name)")
        K = knockout_cells(C, self.knockout_ids)
        return [[k for k, out in zip(self.knockout_ids, row) if out] for row in K]

    def _knockouts(self, C) -> torch.Tensor:
        """What the frozen growth model takes after the medium for each row of ``C``: its knockout
        indicators and the mask of the fluxes the row's knockouts remove (:meth:`_knockout_sets`;
        UnknownGeneError for an id that is neither a gene nor a reaction of its network)."""
        return self._knockout_inputs(self._knockout_sets(C))

    def _knockout_inputs(self, sets: Sequence[Sequence[str]]) -> torch.Tensor:
        """The growth model's inputs after the medium (rows x 0 for a wild-type model without knockouts)."""
        model = self.growth_model_
        medium = pd.DataFrame(np.zeros((len(sets), len(model.medium_))), columns=list(model.medium_))
        return torch.as_tensor(model.module_inputs(medium, knockouts=sets)[:, len(model.medium_):])

    def _prepare(self, C) -> tuple[torch.Tensor, torch.Tensor]:
        """Freeze the growth model, build the uptake layer for ``C``'s columns; ``C`` and its knockout
        inputs (:meth:`_knockouts`) as tensors."""
        if self.composition not in COMPOSITIONS:
            raise ParameterError(f"composition must be one of {', '.join(COMPOSITIONS)} (got {self.composition!r})")
        model = self._frozen()
        self.growth_model_ = model
        medium = list(model.medium_)
        source = C.attrs.get("source", "compositions") if isinstance(C, pd.DataFrame) else "compositions"
        name = f"growth model {self.growth_model}" if isinstance(self.growth_model, (str, Path)) else "the growth model"
        where = f"the medium of {name}"
        unseen = [k for k in self.knockout_ids if k not in model.knockout_genes_]
        if unseen and not model.architecture.mechanistic:  # a dense network reads knockouts as inputs only
            raise ParameterError(
                f"{name} is a dense network without a knockout input for {id_list(unseen)}: use an AMN (its "
                f"layer applies any knockout), or train it on a set made with `amn generate --knockouts`")
        compositions = [c for c in C.columns if c not in set(self.knockout_ids)] if isinstance(C, pd.DataFrame) \
            else None
        self.columns_ = [c for c in compositions if c in medium] if compositions is not None else medium
        if not self.columns_:
            raise DatasetMismatchError(f"{source}: no composition column names an uptake of {where}")
        if compositions is not None:  # a composition the growth model has no input for would be ignored
            check_composition_columns(compositions, medium, source, where, model.network_.reaction_ids)
        # by default a compound's bound is learned if it varies between media or the growth model
        # saw it vary in training; the rest stays where the growth model was trained (a frozen AMN
        # is only valid inside its training range)
        C_np = self._compositions(C)
        lowest, highest = model.input_range_
        seen_varying = {m for m, lo, hi in zip(medium, lowest, highest) if hi > lo}
        varying = {c for j, c in enumerate(self.columns_)
                   if self.learn_base or c in seen_varying or len(np.unique(C_np[:, j])) > 1}
        position = {c: i for i, c in enumerate(self.columns_) if c in varying}
        composition_index = np.array([position.get(m, -1) for m in medium])
        seen = dict(zip(medium, highest.tolist()))
        if self.composition == "presence":
            maximum = np.array([(self.max_bounds or {}).get(m, seen[m]) for m in medium], dtype=float)
            ceiling = None
        else:  # a scale on the cell, starting at max_scale / 2; bounds clipped to the caps
            maximum = np.full(len(medium), float(self.max_scale))
            ceiling = np.array([(self.max_bounds or {}).get(m, seen[m]) for m in medium], dtype=float)
        fixed = np.array([seen[m] for m in medium], dtype=float)
        self.layer_ = UptakeLayer(composition_index, fixed, maximum, len(self.columns_), ceiling,
                                  scale_cells=self.composition != "presence")
        for p in model.eval_module().parameters():  # frozen: only the uptake layer learns
            p.requires_grad_(False)
        self.growth_index_ = model.output_ids_.index(model.measured_[0])
        return torch.as_tensor(C_np), self._knockouts(C)

    def _minimise(self, error, parameters: list) -> None:
        """Full-batch L-BFGS on ``error() + alpha * ||W||^2`` over ``parameters``."""
        optimizer = torch.optim.LBFGS(parameters, max_iter=self.max_iter, line_search_fn="strong_wolfe")

        def objective() -> torch.Tensor:
            optimizer.zero_grad(set_to_none=True)
            loss = error() + self.alpha * torch.sum(self.layer_.linear.weight ** 2)
            loss.backward()
            return loss

        optimizer.step(objective)

    def model_outputs(self, C: torch.Tensor, knockouts: torch.Tensor | None = None) -> torch.Tensor:
        """Every output of the frozen growth model (its ``output_ids_``) for compositions ``C``
        (a batch x ``len(columns_)`` tensor), differentiable, on the CPU in the growth model's dtype.
        ``knockouts``: what the growth model takes after the medium (indicators, flux mask), the
        wild type's when None.

        Raises
        ------
        NotFittedError
            The reservoir is not fitted.
        """
        self._check_fitted()
        model = self.growth_model_
        bounds = self.layer_(C.to(torch.float32).to(self.layer_.maximum.device)).to(**model.tensor_options_)
        if knockouts is None:
            knockouts = self._knockout_inputs([()] * len(C))
        inputs = torch.cat([bounds, knockouts.to(**model.tensor_options_)], dim=1)
        return model.eval_module()(inputs).cpu()

    def _growth(self, Ct: torch.Tensor, Kt: torch.Tensor | None = None) -> torch.Tensor:
        return self.model_outputs(Ct, Kt)[:, self.growth_index_]

    def growth(self, C) -> np.ndarray:
        """The frozen growth model's growth rates with the learned bounds of compositions ``C`` (1-D),
        each row's knockouts applied."""
        self._check_fitted()
        with torch.no_grad():
            return self._growth(torch.as_tensor(self._compositions(C)), self._knockouts(C)).double().numpy()

    def uptake_bounds(self, C) -> pd.DataFrame:
        """The learned uptake bounds of each medium (columns = the growth model's medium uptakes)."""
        self._check_fitted()
        with torch.no_grad():
            bounds = self.layer_(torch.as_tensor(self._compositions(C))).double().numpy()
        index = C.index if isinstance(C, pd.DataFrame) else None
        return pd.DataFrame(bounds, columns=list(self.growth_model_.medium_), index=index)


class ReservoirRegressor(RegressorMixin, _Reservoir):
    """Growth from medium composition through a frozen growth model (AMN or exact FBA).

    ``growth_model`` is a fitted :class:`~amn.models.AMNRegressor` (or a saved
    model directory), whose medium inputs are uptake bounds; only the
    :class:`UptakeLayer` is trained, on measured growth rates.  ``max_bounds``
    (uptake id -> bound) caps the learned uptakes; by default each is capped at
    the largest value the growth model saw in training, where it is valid.
    Pass a saved model directory rather than a fitted object when the reservoir
    is cloned (cross-validation): cloning would reset a fitted estimator.

    Training minimises ``mean((growth - y)^2) / var(y) + alpha * ||W||^2`` (the
    layer's weights; biases free, so every uptake starts at half its maximum)
    with full-batch L-BFGS: the objective of the exact-FBA route
    (:class:`~amn.baselines.fba.FBACompositionBounds`), so the two differ
    only in the growth model.  Deterministic; experimental tables are small.

    A bound is learned for each compound that varies between media or whose
    input varied in the growth model's training data; the others stay at the
    value the growth model was trained with.  ``learn_base=True`` learns every
    present compound: where the growth model never saw a bound vary, that
    extrapolates, and FBA with the learned bounds stops reproducing the
    reservoir's growth (measured on the E. coli data, see the README).

    Parameters
    ----------
    growth_model : AMNRegressor or path
        The fitted growth model, or its saved model directory.
    max_bounds : dict of str to float, optional
        Uptake id -> cap of its learned bound (default: the largest value the growth model saw).
    alpha : float, default 0.05
        Weight of ``||W||^2``.
    max_iter : int, default 100
        L-BFGS iterations.
    learn_base : bool, default False
        Learn the bound of every present compound, not only of those that vary.
    composition : {"presence", "bounds", "concentration"}, default "presence"
        What ``C``'s cells hold.  For bounds and concentrations the layer learns a scale on each
        cell (``max_scale * sigmoid(...)``, starting at ``max_scale / 2``: the table's own bounds
        for bounds with the default), and the bounds are clipped at ``max_bounds``.
    max_scale : float, default 2.0
        Largest scale on a cell (bounds, concentration).
    knockout_ids : sequence of str, default ()
        The columns of ``C`` that are knockouts (genes or reactions of the growth model's network,
        0/1, 1 = knocked out); every other column is a composition.  The growth model applies each
        row's knockouts as it was trained to: an AMN's layer holds the fluxes they remove at 0, and
        a model trained with knockouts (``amn generate --knockouts``) also reads its indicators.  A
        dense network applies only the genes it has an indicator for; others are refused.

    Attributes
    ----------
    growth_model_ : AMNRegressor
        The frozen growth model (its parameters no longer require gradients).
    columns_ : list of str
        The composition columns, uptake ids of the growth model's medium.
    layer_ : UptakeLayer
        The trained uptake layer.
    growth_index_ : int
        Position of the growth rate among the growth model's ``output_ids_``.
    """

    def fit(self, C, y) -> ReservoirRegressor:
        """Train the uptake layer on compositions ``C`` (DataFrame of uptake ids) and growth rates ``y``.

        Returns
        -------
        ReservoirRegressor
            ``self``, fitted.

        Raises
        ------
        ModelLoadError, ParameterError, NotFittedError
            ``growth_model`` cannot be read, is no AMNRegressor, is not fitted.
        DatasetMismatchError
            No column of ``C`` names an uptake of the growth model's medium, or ``C`` is not 0/1
            (presence) or has negative cells, or a knockout column is missing or not 0/1.
        UnknownGeneError
            A knockout id is neither a gene nor a reaction of the growth model's network.
        UnknownReactionError
            A column of ``C`` looks like a reaction id (``EX_...``, ``..._i``, a reaction of the
            growth model's network) but is not in its medium; the message names the table
            (``C.attrs["source"]``, set by :func:`~amn.dataset.reading.read_table`) and the column.
        """
        Ct, Kt = self._prepare(C)
        yt = torch.as_tensor(np.asarray(y, dtype=np.float32).reshape(-1))
        scale = torch.clamp(yt.var(unbiased=False), min=1e-12)
        self._minimise(lambda: torch.mean((self._growth(Ct, Kt) - yt) ** 2) / scale, list(self.layer_.parameters()))
        return self

    def predict(self, C) -> np.ndarray:
        """Predicted growth rates of compositions ``C`` (1-D).

        Raises
        ------
        NotFittedError
        DatasetMismatchError
            ``C`` lacks a composition column or does not fit ``composition``.
        """
        return self.growth(C)


class ReservoirFBA(ReservoirRegressor):
    """The reservoir's learned uptake bounds given to plain FBA (HiGHS) on ``network``.

    ``fit`` trains the reservoir; ``predict`` returns the FBA growth with each
    medium's learned bounds (other uptakes of the network closed), so its score
    says how well the learned bounds work for a modeller using COBRApy.  A
    medium whose bounds cannot sustain the network (infeasible LP, e.g. below
    the maintenance demand) gets growth 0, which is what FBA predicts for it.

    Parameters
    ----------
    growth_model, max_bounds, alpha, max_iter, learn_base, composition, max_scale, knockout_ids
        As for :class:`ReservoirRegressor`; FBA closes the reactions each row's knockouts remove.
    network : UnidirectionalNetwork or str, optional
        The network FBA solves (default: the growth model's).
    """

    def __init__(self, growth_model=None, max_bounds=None, alpha: float = 0.05, max_iter: int = 100,
                 learn_base: bool = False, composition: str = "presence", max_scale: float = 2.0,
                 knockout_ids: Sequence[str] = (), network=None) -> None:
        super().__init__(growth_model, max_bounds, alpha, max_iter, learn_base, composition, max_scale, knockout_ids)
        self.network = network

    def predict(self, C) -> np.ndarray:
        """FBA growth rates with the learned bounds of compositions ``C`` (1-D; 0 where infeasible)."""
        from amn.network import Knockouts, ensure_network
        from amn.solve.pfba import FluxProblem, HighsLabeler

        self._check_fitted()
        network = ensure_network(self.network if self.network is not None else self.growth_model_.network_)
        bounds = self.uptake_bounds(C)
        labeler = HighsLabeler(FluxProblem.from_network(network, list(bounds.columns)), "fba")
        knockouts = Knockouts(network)
        removed = [knockouts.columns(knocked) for knocked in self._knockout_sets(C)]
        growth = np.array([labeler.label(row, knocked).growth for row, knocked in zip(bounds.to_numpy(), removed)])
        return np.nan_to_num(growth, nan=0.0)
