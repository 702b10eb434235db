"""The AMN loss: fit to the measured fluxes plus the mechanistic constraints, term by term."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import scipy.sparse as sp
import torch
from torch import nn

from amn.layers.base import sparse_buffer, spmm
from amn.layers.inputs import check_bound

TERMS = ("mse", "sv", "bound", "neg")


@dataclass(frozen=True)
class LossWeights:
    """Weights of the loss terms (published defaults: all 1).

    Parameters
    ----------
    mse : float
        Fit to the measured fluxes.
    sv : float
        Steady state, ``||S V||^2``.
    bound : float
        Medium inputs, ``||ReLU(Pin V - x)||^2`` (``UB``) or ``||Pin V - x||^2`` (``EB``).
    neg : float
        Non-negative fluxes, ``||ReLU(-V)||^2``.
    """

    mse: float = 1.0
    sv: float = 1.0
    bound: float = 1.0
    neg: float = 1.0

    def as_dict(self) -> dict[str, float]:
        """``{"mse": ..., "sv": ..., "bound": ..., "neg": ...}``."""
        return asdict(self)


class AMNLoss(nn.Module):
    """``mse`` on measured fluxes ``Pout V`` + ``sv`` ``||S V||^2`` + ``bound`` + ``neg`` ``||ReLU(-V)||^2``.

    The bound term is ``||ReLU(Pin V - x)||^2`` for upper-bound inputs (``UB``)
    and ``||Pin V - x||^2`` for exact-bound inputs (``EB``).  Each term is a mean
    over the batch and its entries, made dimensionless: ``mse`` is divided by
    the variance of each measured flux (``target_var``; the term is then about
    1 - R^2), the constraint terms by ``flux_scale`` (the mean squared medium
    input, which sets the size of the fluxes; :class:`~amn.models.AMNRegressor`
    leaves out inputs at "unlimited" bounds above 100), so that default weights of 1
    balance the terms on any network and any units.

    Parameters
    ----------
    S : Tensor, SparseMatrix or scipy sparse matrix
        Stoichiometric matrix, m x n (a scipy matrix becomes dense when small, else a SparseMatrix).
    Pin_index : Tensor
        Flux index of each medium input (long).
    Pout_index : Tensor
        Flux index of each measured flux (long).
    bound : {"UB", "EB"}
        Inputs are uptake upper bounds or exact uptakes.
    weights : LossWeights
        Weights of the terms.
    all_fluxes : bool
        False (ANN-Dense): the prediction is already the measured fluxes and only ``mse`` is used.
    target_var : Tensor, optional
        Variance of each measured flux (default 1).
    flux_scale : float
        Divides the constraint terms.

    Raises
    ------
    ParameterError
        If ``bound`` is neither ``"UB"`` nor ``"EB"``.

    Examples
    --------
    One metabolite made by flux 0 (the uptake) and used by flux 1 (measured):

    >>> import torch
    >>> from amn.training import AMNLoss
    >>> loss = AMNLoss(torch.tensor([[1.0, -1.0]]), Pin_index=torch.tensor([0]), Pout_index=torch.tensor([1]))
    >>> V = torch.tensor([[2.0, 2.0]])  # a steady state, uptake 2 within its bound 3
    >>> total, terms = loss(V, torch.tensor([[3.0]]), torch.tensor([[2.5]]))
    >>> float(total), {name: float(value) for name, value in terms.items()}
    (0.25, {'mse': 0.25, 'sv': 0.0, 'bound': 0.0, 'neg': 0.0})
    """

    def __init__(self, S, Pin_index: torch.Tensor, Pout_index: torch.Tensor,
                 bound: str = "UB", weights: LossWeights = LossWeights(), all_fluxes: bool = True,
                 target_var: torch.Tensor | None = None, flux_scale: float = 1.0) -> None:
        super().__init__()
        self.register_buffer("target_var", torch.ones(len(Pout_index)) if target_var is None else target_var)
        self.flux_scale = float(flux_scale)
        self.bound = check_bound(bound)
        if sp.issparse(S):  # dense when small, a SparseMatrix at genome scale
            S = sparse_buffer(S)
        if isinstance(S, nn.Module):
            self.S = S
        else:
            self.register_buffer("S", S)
        self.register_buffer("Pin_index", Pin_index)
        self.register_buffer("Pout_index", Pout_index)
        self.weights = weights
        self.all_fluxes = all_fluxes

    @property
    def terms_reported(self) -> tuple[str, ...]:
        """The terms this loss computes (only ``mse`` for a measured-flux-only model)."""
        return TERMS if self.all_fluxes else ("mse",)

    def terms(self, V: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """The unweighted terms.

        Parameters
        ----------
        V : Tensor
            batch x n predicted fluxes (batch x n_out measured fluxes with ``all_fluxes=False``).
        x : Tensor
            batch x n_in medium inputs (then knockout inputs, if any).
        y : Tensor
            batch x n_out measured fluxes.

        Returns
        -------
        dict of str to Tensor
            One scalar per name of :attr:`terms_reported`.
        """
        if not self.all_fluxes:
            return {"mse": torch.mean((V - y) ** 2 / self.target_var)}
        gap = V[:, self.Pin_index] - x[:, : len(self.Pin_index)]  # x: medium, then knockout inputs if any
        scale = self.flux_scale
        return {
            "mse": torch.mean((V[:, self.Pout_index] - y) ** 2 / self.target_var),
            "sv": torch.mean(spmm(self.S, V) ** 2) / scale,
            "bound": torch.mean(torch.relu(gap) ** 2 if self.bound == "UB" else gap**2) / scale,
            "neg": torch.mean(torch.relu(-V) ** 2) / scale,
        }

    def forward(self, V: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The weighted total and the unweighted terms.

        The arguments are those of :meth:`terms`.

        Returns
        -------
        total : Tensor
            Scalar, differentiable.
        terms : dict of str to Tensor
            The unweighted terms, detached (so that reporting adds no synchronisation per step).
        """
        terms = self.terms(V, x, y)
        w = self.weights.as_dict()
        total = sum(w[name] * value for name, value in terms.items())
        return total, {name: value.detach() for name, value in terms.items()}
