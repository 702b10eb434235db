"""Medium design: gradient ascent through a trained AMN (or reservoir), validated by FBA.

The design variables are the model's *variable* medium inputs, those it saw
vary in training (lowest < highest in its ``input_range_``); the base medium (inputs that
were the same in every sample) stays at its trained value.  Each variable
stays inside the range the model was trained on, its ``input_range_``:
an AMN is only valid there, so the design never extrapolates.  A compound is
*present* when its input is above its minimum; the budget is at most
``max_compounds`` present compounds and/or a total uptake bound
``sum(x) <= max_total`` over the variable compounds.

Search, all restarts in one batch (deterministic given ``seed``):

1. Start: restart 0 from a random point with every variable compound; the
   others from random subsets of ``2K`` compounds at random values.
2. Stages: ``steps`` steps of gradient ascent on the predicted objective
   (autograd through the whole module in eval mode), each followed by the exact
   Euclidean projection onto the budget (box and total, on the current support).  Then the support
   shrinks to ``max(K, ceil(m / 2))`` compounds, keeping those whose removal
   the model predicts to cost most (hard thresholding scored by the model
   itself rather than by magnitude: with a saturating objective every present
   compound sits at its maximum).  Repeat until at most ``K`` remain.
3. Round to the medium's levels (never above the total budget), deduplicate,
   rank by the model's prediction.

Validation solves pFBA (HiGHS) on the model's network with each proposed
medium (uptakes outside the model's medium closed): the growth is the FBA
optimum, and a product's flux is its flux in the pFBA solution, the quantity
the AMN was trained on.  A medium on which the network has no steady state
(infeasible LP) gets growth and objective 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from amn.design.surrogate import surrogate
from amn.errors import MediumError, UnknownReactionError, id_list
from amn.media.spec import MediumSpec
from amn.models.runtime import cpu_threads
from amn.solve.pfba import FluxProblem, HighsLabeler

#: Objective names that mean the network's growth reaction (unless a reaction has that id).
GROWTH_ALIASES = ("growth", "biomass")


def project_budget(y: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor, max_total: float | None = None,
                   iterations: int = 100) -> torch.Tensor:
    """Euclidean projection of each row of ``y`` onto ``{lower <= x <= upper, sum(x) <= max_total}``.

    By the KKT conditions the projection is ``clip(y - tau, lower, upper)``
    with the smallest ``tau >= 0`` that meets the total; the total decreases
    with ``tau``, so ``tau`` is found by bisection (``sum(lower) <= max_total``
    is assumed).

    Parameters
    ----------
    y : torch.Tensor
        Points, rows x n.
    lower, upper : torch.Tensor
        The box, broadcast against ``y``.
    max_total : float, optional
        The total budget (None: the box only).
    iterations : int, default 100
        Bisection steps.

    Returns
    -------
    torch.Tensor
        The projections, shaped as ``y``.

    Examples
    --------
    >>> project_budget(torch.tensor([[3.0, 3.0]]), torch.zeros(2), torch.full((2,), 10.0), 4.0)
    tensor([[2., 2.]])
    """
    clipped = torch.minimum(torch.maximum(y, lower), upper)
    if max_total is None:
        return clipped
    over = clipped.sum(-1) > max_total
    if not over.any():
        return clipped
    low = torch.zeros(y.shape[:-1], dtype=y.dtype, device=y.device)
    high = (y - lower).amax(-1).clamp(min=0.0)  # at tau = high every entry is at its lower bound
    for _ in range(iterations):
        middle = (low + high) / 2
        feasible = torch.minimum(torch.maximum(y - middle[..., None], lower), upper).sum(-1) <= max_total
        high = torch.where(feasible, middle, high)
        low = torch.where(feasible, low, middle)
    projected = torch.minimum(torch.maximum(y - high[..., None], lower), upper)
    return torch.where(over[..., None], projected, clipped)


def _objective_weights(network, outputs: list[str], objective: str | None) -> tuple[str, np.ndarray, np.ndarray]:
    """The objective's id and its weights over the model outputs and over the network's reactions.

    ``objective`` is a unidirectional reaction id, an original reaction id
    (its flux ``for - rev`` or ``o - i``), or None/``growth``/``biomass`` for
    the growth reaction.
    """
    reaction_ids = network.reaction_ids
    if objective is None or (objective.lower() in GROWTH_ALIASES and objective not in reaction_ids):
        objective = network.objective_id
    weights = np.zeros(len(reaction_ids))
    if objective in reaction_ids:
        weights[reaction_ids.index(objective)] = 1.0
    elif objective in network.original_ids:
        weights = network.recombination[network.original_ids.index(objective)].toarray().ravel()
    else:
        raise UnknownReactionError(f"objective {objective}: no such reaction in model {network.model_id}")
    position = {rid: i for i, rid in enumerate(outputs)}
    needed = [reaction_ids[j] for j in np.flatnonzero(weights)]
    missing = [rid for rid in needed if rid not in position]
    if missing:
        raise UnknownReactionError(f"objective {objective}: the model does not predict {id_list(missing)} "
                                   f"(it predicts {id_list(outputs)})")
    on_outputs = np.zeros(len(outputs))
    for rid in needed:
        on_outputs[position[rid]] = weights[reaction_ids.index(rid)]
    return objective, on_outputs, weights


def _grids(ids: list[str], lower: np.ndarray, upper: np.ndarray, levels: int | MediumSpec | None,
           binary: bool) -> list[np.ndarray] | None:
    """The values each variable may take after rounding (None: continuous).

    ``levels`` is a number of levels ``L`` (``lower + k (upper - lower) / (L - 1)``)
    or a medium specification (``k * max_value / (level - 1)``, as media are
    drawn), restricted to the trained range.
    """
    if binary:
        return [np.array([0.0, 1.0]) for _ in ids]
    if levels is None:
        return None
    if isinstance(levels, MediumSpec):
        spec = {rid: (lv, mx) for rid, lv, mx in zip(levels.reaction_ids, levels.level, levels.max_value)}
        grids = []
        for rid, lo, hi in zip(ids, lower, upper):
            level, max_value = spec.get(rid, (1.0, hi))
            points = max_value * np.arange(int(level)) / (level - 1) if level > 1 else np.array([hi])
            inside = points[(points >= lo - 1e-12) & (points <= hi + 1e-12)]
            grids.append(np.unique(np.r_[lo, np.clip(inside, lo, hi)]))
        return grids
    if int(levels) < 2:
        raise MediumError(f"levels must be >= 2 (got {levels})")
    return [np.linspace(lo, hi, int(levels)) for lo, hi in zip(lower, upper)]


def _round(x: np.ndarray, grids: list[np.ndarray], max_total: float | None) -> np.ndarray:
    """Each entry to its nearest allowed value; over the total budget, the entries rounded up
    most go one value down until the medium fits."""
    rounded = np.array([[grid[np.abs(grid - v).argmin()] for v, grid in zip(row, grids)] for row in x])
    if max_total is None:
        return rounded
    for row, target in zip(rounded, x):
        while row.sum() > max_total * (1 + 1e-12):
            lowerable = [j for j, grid in enumerate(grids) if row[j] > grid[0]]
            j = max(lowerable, key=lambda k: row[k] - target[k])
            row[j] = grids[j][np.searchsorted(grids[j], row[j]) - 1]
    return rounded


class MediumDesigner:
    """Media that maximise a trained model's predicted objective under a budget; see the module docstring.

    Parameters
    ----------
    model : AMNRegressor, ReservoirRegressor or path
        A fitted AMN, a saved model directory, or a fitted reservoir (its compositions
        are 0/1; ``max_total`` does not apply).
    objective : str, optional
        A reaction id (unidirectional or original); None, ``growth`` or ``biomass``: growth.
        ``ann-dense`` models only predict their measured fluxes.
    max_compounds, max_total : optional
        The budget (at least one): present variable compounds, total uptake of them.
    levels : int, MediumSpec or None, default 5
        Rounding grid: a number of levels over the trained range, a medium's levels, or None (continuous).
    restarts, steps : int
        Restarts of the search (one batch) and gradient steps per stage.
    lr : float, default 0.05
        Step, in units of each variable's range.
    seed : int, default 0
    tolerance : float, default 0.1
        Relative difference above which AMN and FBA disagree.

    Attributes
    ----------
    objective : str
        The resolved reaction id.
    weights : numpy.ndarray
        Its weights over the network's reactions.
    surrogate : Surrogate
        The model's design variables and prediction (:mod:`amn.design.surrogate`).

    Raises
    ------
    MediumError
        No variable compound, no or a bad budget, bad search settings.
    UnknownReactionError
        The objective is no reaction, or one the model does not predict.
    ModelLoadError, TypeError
        ``model`` is not a fitted model or a readable model directory.
    """

    def __init__(self, model, objective: str | None = None, max_compounds: int | None = None,
                 max_total: float | None = None, levels: int | MediumSpec | None = 5, restarts: int = 16,
                 steps: int = 100, lr: float = 0.05, seed: int = 0, tolerance: float = 0.1) -> None:
        self.surrogate = surrogate(model)
        s = self.surrogate
        if not s.ids:
            raise MediumError("the model saw no medium input vary in training: there is nothing to design")
        if max_compounds is None and max_total is None:
            raise MediumError("give a budget: a maximal number of compounds and/or a maximal total uptake")
        if max_compounds is not None and max_compounds < 1:
            raise MediumError(f"the compound budget must be >= 1 (got {max_compounds})")
        if max_total is not None:
            if s.binary:
                raise MediumError("max_total does not apply to a reservoir (its compositions are 0/1)")
            if max_total < s.lower.sum() or max_total <= 0:
                raise MediumError(f"max_total {max_total} is below the smallest total uptake of the variable "
                                  f"compounds ({s.lower.sum():g})")
        if restarts < 1 or steps < 1:
            raise MediumError(f"restarts and steps must be >= 1 (got {restarts}, {steps})")
        self.objective, self._weights_out, self.weights = _objective_weights(s.network, s.outputs, objective)
        self.max_compounds = min(max_compounds or len(s.ids), len(s.ids))
        self.max_total = max_total
        self.grids = _grids(s.ids, s.lower, s.upper, levels, s.binary)
        self.restarts, self.steps, self.lr, self.seed, self.tolerance = restarts, steps, lr, seed, tolerance
        self._lower, self._upper = torch.as_tensor(s.lower), torch.as_tensor(s.upper)
        growth = s.network.objective_id
        self._growth_out = s.outputs.index(growth) if growth in s.outputs else None

    def predict(self, x: np.ndarray | torch.Tensor) -> torch.Tensor:
        """The model's objective for variables ``x`` (rows x variable compounds)."""
        outputs = self.surrogate.predict(torch.as_tensor(x, dtype=torch.float64))
        return outputs @ torch.as_tensor(self._weights_out)

    def _ascend(self, x: torch.Tensor, support: np.ndarray) -> torch.Tensor:
        """Projected gradient ascent on the given supports, in units of each variable's range.

        Each step moves the steepest variable by ``lr`` (decaying linearly to 0
        over the stage) along the gradient, then projects.  The gradient is scaled
        per restart, not per variable (as Adam would): on the total budget only the
        differences between the variables' gradients move the medium.
        """
        lower, span = self._lower, self._upper - self._lower
        upper = torch.where(torch.as_tensor(support), self._upper, lower)  # absent compounds pinned at lower
        z = ((x - lower) / span).requires_grad_(True)
        for step in range(self.steps):
            # autograd.grad, not backward: the model's parameters get no gradient
            (gradient,) = torch.autograd.grad(self.predict(lower + z * span).sum(), z)
            scale = gradient.abs().amax(-1, keepdim=True).clamp(min=1e-12)
            with torch.no_grad():
                moved = lower + (z + self.lr * (1 - step / self.steps) * gradient / scale) * span
                z.copy_((project_budget(moved, lower, upper, self.max_total) - lower) / span)
        return (lower + z * span).detach()

    def _shrink(self, x: torch.Tensor, support: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
        """Keep ``max(K, ceil(m / 2))`` compounds per restart: those whose removal costs most."""
        rows, n = x.shape
        with torch.no_grad():
            trial = x[:, None, :].repeat(1, n, 1)
            trial[:, torch.arange(n), torch.arange(n)] = self._lower
            cost = (self.predict(x)[:, None] - self.predict(trial.reshape(rows * n, n)).reshape(rows, n)).numpy()
        cost[~support] = -np.inf
        kept = np.zeros_like(support)
        for r, m in enumerate(support.sum(1)):
            size = max(self.max_compounds, math.ceil(m / 2)) if m > self.max_compounds else m
            kept[r, np.argsort(-cost[r], kind="stable")[:size]] = True
        return torch.where(torch.as_tensor(kept), x, self._lower), kept

    def search(self) -> np.ndarray:
        """The designed variables of every restart, rounded (restarts x variable compounds)."""
        s, K = self.surrogate, self.max_compounds
        n = len(s.ids)
        rng = np.random.default_rng(self.seed)
        support = np.zeros((self.restarts, n), dtype=bool)
        support[0] = True
        for r in range(1, self.restarts):
            support[r, rng.choice(n, size=min(n, 2 * K), replace=False)] = True
        start = self._lower + torch.as_tensor(rng.uniform(size=(self.restarts, n))) * (self._upper - self._lower)
        x = project_budget(torch.where(torch.as_tensor(support), start, self._lower), self._lower, self._upper,
                           self.max_total)
        with cpu_threads(s.threads):
            x = self._ascend(x, support)
            while (support.sum(1) > K).any():
                x, support = self._shrink(x, support)
                x = self._ascend(x, support)
        x = x.numpy()
        return x if self.grids is None else _round(x, self.grids, self.max_total)

    def propose(self, top: int = 10) -> pd.DataFrame:
        """The ``top`` distinct designed media, best predicted first (columns: see :meth:`design`)."""
        candidates = np.unique(np.round(self.search(), 12), axis=0)
        with torch.no_grad(), cpu_threads(self.surrogate.threads):
            outputs = self.surrogate.predict(torch.as_tensor(candidates))
        predicted = (outputs @ torch.as_tensor(self._weights_out)).numpy()
        order = np.argsort(-predicted, kind="stable")[:top]
        chosen = candidates[order]
        s = self.surrogate
        present = chosen > s.lower + 1e-9 * (s.upper - s.lower)
        table = pd.DataFrame({
            "compounds": [" + ".join(np.array(s.ids)[row]) for row in present],
            "n_compounds": present.sum(1),
            "amn_objective": predicted[order],
            "amn_growth": outputs[order, self._growth_out].numpy() if self._growth_out is not None else np.nan,
        })
        return pd.concat([table, s.medium(chosen)], axis=1)

    def validate(self, media: pd.DataFrame) -> pd.DataFrame:
        """Add to a :meth:`propose` table pFBA's growth and objective for each medium and the
        AMN - FBA difference; ``disagree`` flags a difference above ``tolerance`` relative to
        the larger of the two values (at least 1e-3)."""
        network = self.surrogate.network
        uptakes = set(network.uptake_ids)
        medium_ids = [c for c in media.columns if c in uptakes]
        labeler = HighsLabeler(FluxProblem.from_network(network, medium_ids), "pfba")
        growth, objective, status = [], [], []
        for bounds in media[medium_ids].to_numpy(dtype=float):
            labeler.restart()  # each medium's solution independent of the others
            label = labeler.label(bounds)
            feasible = label.fluxes is not None
            growth.append(label.growth if feasible else 0.0)
            objective.append(float(self.weights @ label.fluxes) if feasible else 0.0)
            status.append(label.status)
        out = media.copy()
        out.insert(out.columns.get_loc("amn_objective") + 1, "fba_objective", objective)
        difference = out["amn_objective"] - out["fba_objective"]
        scale = np.maximum(np.maximum(out["amn_objective"].abs(), out["fba_objective"].abs()), 1e-3)
        out.insert(out.columns.get_loc("fba_objective") + 1, "difference", difference)
        out.insert(out.columns.get_loc("difference") + 1, "disagree", difference.abs() > self.tolerance * scale)
        out.insert(out.columns.get_loc("amn_growth") + 1, "fba_growth", growth)
        out.insert(out.columns.get_loc("fba_growth") + 1, "fba_status", status)
        return out

    def design(self, top: int = 10) -> pd.DataFrame:
        """Proposed media validated by FBA, one row each, best predicted first.

        Columns: ``rank``, ``compounds`` (present variable compounds),
        ``n_compounds``, ``amn_objective``, ``fba_objective``, ``difference``
        (AMN - FBA), ``disagree``, ``amn_growth``, ``fba_growth``,
        ``fba_status``, then one column per medium uptake of the model (the
        uptake bounds, the table ``amn predict --media`` reads).
        """
        table = self.validate(self.propose(top))
        table.insert(0, "rank", np.arange(1, len(table) + 1))
        return table


def design_media(model, objective: str | None = None, max_compounds: int | None = None,
                 max_total: float | None = None, top: int = 10, **options) -> pd.DataFrame:
    """Design and validate media in one call: ``MediumDesigner(...).design(top)``.

    Parameters
    ----------
    model, objective, max_compounds, max_total, **options
        As for :class:`MediumDesigner`.
    top : int, default 10
        Media to return.

    Returns
    -------
    pandas.DataFrame
        One row per medium, best predicted first (see :meth:`MediumDesigner.design`).
    """
    return MediumDesigner(model, objective, max_compounds, max_total, **options).design(top)
