"""Dynamic FBA made trainable: the unrolled model of a batch of cultures, as an ``nn.Module``.

State per medium: biomass ``X`` (gDW/L) and the concentrations ``C`` (mM) of the
medium's compounds.  At the start ``C_j`` is the table value times ``availability_j`` (and times a
learned amount in mM when the table marks presence only), and a learned share ``rho`` of the first
reading may be optical background.  At each step

1. uptake bounds ``u_j = Vmax_j * C_j / (Km_j + C_j) * sigmoid((t - L_j) / w)``, with ``Vmax_j``,
   a lag ``L_j`` per compound (diauxie: substrates taken up one after another) and the lags'
   width ``w`` predicted from the initial medium by a small network, and ``Km_j`` learned per
   compound; capped by what is there, ``u_j <= C_j / (X h)``.  ``t`` counts hours from the culture's
   first reading, the inoculum its simulation starts from: a clock that starts at 10 h changes nothing;
2. a growth map turns the bounds into a growth rate ``mu`` and net uptake fluxes ``v``
   (mmol/gDW/h; negative for a compound the cells secrete, such as acetate, which then accumulates
   and is taken up again once its own uptake opens) -- the mechanistic layer: :class:`LayerGrowth`
   runs one of :mod:`amn.layers` (exact FBA, interior point) on the network,
   :class:`SurrogateGrowth` is that map learned once from the network's pFBA
   solutions and then frozen (the reservoir pattern);
3. Euler on ``log X``: ``log X += (mu - d) h``, and ``C -= v X h phi(mu h)`` (``phi(z) = (e^z - 1) / z``,
   the consumption or secretion of the step's exponential growth, exact for constant rates), never
   below zero.

Starved cultures decline (lysis in stationary phase): a starvation clock ``tau`` runs at the share of
the initial uptake capacity that is gone, ``s = 1 - sum_j Vmax_j C_j / (Km_j + C_j) / (the same at
t = 0)``, and the death rate is ``d = kd * sigmoid((tau - T_d) / w_d)``, with the rate ``kd``, the
delay ``T_d`` (hours of starvation) and its width ``w_d`` predicted from the initial medium.  The
clock ties a crash to the depletion the model simulates, so a forecast can place it after the
fitted window.

The model outputs ln OD = ``ln(rho OD(0) + X / od_to_biomass)`` at the curve's times.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor, nn

#: Starting amount (mM) of a compound marked present, when the media give presence only: the order
#: of a defined medium's carbon source (M9's 0.2-0.4 % glucose is 11-22 mM).
AMOUNT0 = 10.0
#: Starting share of the first reading that is optical background, when it is learned.
RHO0 = 0.9
#: The background's logit when it is not learned: a share of e^-60, nothing (finite, as saved weights must be).
NO_BACKGROUND = -60.0


#: Narrowest lag width (hours).
MIN_WIDTH = 0.1
#: Starting death rate of starved cultures (1/h): small, with its gradient.
DEATH0 = 0.05


def _softplus_inverse(y: float) -> float:
    return float(np.log(np.expm1(y)))


def _output_slices(n: int) -> dict[str, slice]:
    """Where each kinetic parameter sits among the network's outputs, for ``n`` compounds: per compound
    ``vmax``, ``availability`` and ``lag``; per medium the lags' ``width``, the ``death`` rate, its
    ``delay`` and the delay's ``death_width``."""
    sizes = {"vmax": n, "availability": n, "lag": n, "width": 1, "death": 1, "delay": 1, "death_width": 1}
    stops = np.cumsum(list(sizes.values()))
    return {name: slice(int(stop - size), int(stop)) for (name, size), stop in zip(sizes.items(), stops)}


def _mlp(sizes: Sequence[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(sizes[:-1]):
        layers += [nn.Linear(a, b), nn.Tanh()]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


class LayerGrowth(nn.Module):
    """Growth and uptakes from a mechanistic layer of :mod:`amn.layers` (the layer in the loop).

    Parameters
    ----------
    layer : nn.Module
        A layer whose medium is ``base`` uptakes followed by the compounds' uptakes, mapping
        batch x n_in bounds to batch x n fluxes (:class:`~amn.layers.ExactFBA`,
        :class:`~amn.layers.InteriorPoint`, ...).
    objective : array_like
        Length-n growth vector ``c`` (growth = ``V . c``).
    n_base : int
        Number of base uptakes (first medium inputs), held at ``base_bounds``.
    base_bounds : array_like
        Their bounds.
    outflows : sequence of int
        Columns of the outflows of the secreted compounds (their fluxes are subtracted from their uptakes).
    secreted : sequence of int
        Where each secreted compound sits among the compounds.
    """

    def __init__(self, layer: nn.Module, objective, n_base: int, base_bounds, outflows: Sequence[int] = (),
                 secreted: Sequence[int] = ()) -> None:
        super().__init__()
        self.layer = layer
        self.n_base = int(n_base)
        index = torch.as_tensor(np.asarray(layer.medium_index if hasattr(layer, "medium_index") else layer.columns))
        self.register_buffer("compound_columns", index[self.n_base:].long())
        self.register_buffer("c", torch.as_tensor(np.asarray(objective, dtype=float)))
        self.register_buffer("base_bounds", torch.as_tensor(np.asarray(base_bounds, dtype=float)))
        self.register_buffer("outflow_columns", torch.as_tensor(np.asarray(outflows, dtype=np.int64)), persistent=False)
        self.register_buffer("secreted_index", torch.as_tensor(np.asarray(secreted, dtype=np.int64)), persistent=False)

    def forward(self, u: Tensor) -> tuple[Tensor, Tensor]:
        """``(growth (batch,), net uptakes (batch x n_c))`` for compound uptake bounds ``u`` (batch x n_c)."""
        base = self.base_bounds.to(u.dtype).expand(u.shape[0], -1)
        V = self.layer(torch.cat([base, u], dim=1))
        V = torch.nan_to_num(V.to(u.dtype))
        v = V[:, self.compound_columns]
        if len(self.secreted_index):
            v = v.index_add(1, self.secreted_index, -V[:, self.outflow_columns])
        return V @ self.c.to(u.dtype), v


class SurrogateGrowth(nn.Module):
    """The growth map of a network learned from its pFBA solutions, to be frozen in the dynamic model.

    Growth has the shape of an LP value function: ``mu(u) = max(0, min_k (b_k + w_k . u))``
    with ``w_k >= 0`` and ``b_k >= 0`` (concave, non-decreasing, piecewise linear), and one
    piece through the origin so that no substrate means no growth.  Uptakes are fractions of
    the bounds, ``v = u * sigmoid(g(u))``, so a compound is never taken up beyond its bound; a
    secreted compound's net uptake subtracts its secretion, ``u_max softplus(s(u))``.

    Parameters
    ----------
    n_compounds : int
    u_max : float
        Largest bound of the training samples; inputs are scaled by it.
    pieces : int
        Number of affine pieces of the growth.
    hidden : int
        Width of the uptake (and secretion) network.
    secreted : sequence of int
        The compounds whose secretion is learned.
    """

    def __init__(self, n_compounds: int, u_max: float = 10.0, pieces: int = 64, hidden: int = 64,
                 secreted: Sequence[int] = ()) -> None:
        super().__init__()
        self.u_max = float(u_max)
        self.w = nn.Parameter(torch.randn(pieces, n_compounds) * 0.5 - 2.0)
        self.b = nn.Parameter(torch.randn(pieces) * 0.5 - 1.0)
        self.uptake = _mlp([n_compounds, hidden, hidden, n_compounds])
        self.register_buffer("secreted_index", torch.as_tensor(np.asarray(secreted, dtype=np.int64)), persistent=False)
        self.secretion = _mlp([n_compounds, hidden, hidden, len(secreted)]) if len(secreted) else None

    def growth(self, u: Tensor) -> Tensor:
        """Growth rate (1/h) for bounds ``u`` (batch x n_c)."""
        s = u / self.u_max
        b = nn.functional.softplus(self.b) * (torch.arange(len(self.b), device=u.device) > 0)
        return torch.relu((s @ nn.functional.softplus(self.w).T + b).amin(dim=1))

    def forward(self, u: Tensor) -> tuple[Tensor, Tensor]:
        """``(growth (batch,), net uptakes (batch x n_c))``."""
        v = u * torch.sigmoid(self.uptake(u / self.u_max))
        if self.secretion is not None:
            made = self.u_max * nn.functional.softplus(self.secretion(u / self.u_max))
            v = v.index_add(1, self.secreted_index, -made)
        return self.growth(u), v


class _MemberMLP(nn.Module):
    """An MLP per ensemble member (weights members x in x out), tanh between layers."""

    def __init__(self, sizes: Sequence[int], members: int) -> None:
        super().__init__()
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for a, b in itertools.pairwise(sizes):
            bound = 1 / np.sqrt(a)
            self.weights.append(nn.Parameter(torch.empty(members, a, b).uniform_(-bound, bound)))
            self.biases.append(nn.Parameter(torch.empty(members, 1, b).uniform_(-bound, bound)))

    def forward(self, x: Tensor) -> Tensor:
        """``x``: members x batch x in."""
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if i < len(self.weights) - 1:
                x = torch.tanh(x)
        return x


class DynamicFBA(nn.Module):
    """The unrolled dynamic model of a batch of cultures (see :mod:`amn.dynamics.model`).

    ``members`` independent copies of the learned part (the kinetics) share the frozen
    growth map and run as one batch: one member per cross-validation fold trains them all
    in one pass.

    Parameters
    ----------
    growth_map : nn.Module
        ``u -> (growth, uptakes)``; :class:`LayerGrowth` or a frozen :class:`SurrogateGrowth`.
    scale : array_like
        Per compound, a typical concentration (mM; the training set's largest), to scale the inputs.
    u_max : float
        Largest uptake bound (mmol/gDW/h).
    hidden : sequence of int
        Hidden sizes of the network from the initial medium to ``Vmax``, availability and lag.
    substeps : int
        Euler steps per interval of the time grid.
    od_to_biomass : float
        gDW/L per unit of OD600.
    members : int
        Independent copies of the kinetics.
    learn_amounts : bool
        The media give presence only: a compound's initial concentration is its table value times
        an amount (mM) learned per compound, shared by every medium, starting at ``AMOUNT0``.
    background : bool
        Learn the optical background of the readings (medium, plate): a share ``rho`` of the first
        reading, shared by every medium, is not biomass, ``OD = rho OD(0) + X / od_to_biomass``.
        Without it ``rho = 0``: the readings are taken as blanked.
    lag0, width0 : float
        Starting lags and width (hours).  Lags that start inside the curves' time span keep their
        gradient: a lag that starts long before the rise it has to reach, with a narrow width, sees
        none and stays there.
    delay0 : float
        Starting death delay (hours of starvation).
    secreted : sequence of int
        Compounds the growth map may secrete: their uptake kinetics hold in every medium, those that
        start at 0 mM included.
    """

    def __init__(self, growth_map: nn.Module, scale, u_max: float = 10.0, hidden: Sequence[int] = (32,),
                 substeps: int = 4, od_to_biomass: float = 0.4, members: int = 1, learn_amounts: bool = False,
                 background: bool = False, lag0: float = 2.0, width0: float = 0.5, delay0: float = 2.0,
                 secreted: Sequence[int] = ()) -> None:
        super().__init__()
        scale = np.asarray(scale, dtype=float)
        n = len(scale)
        made = np.zeros(n, dtype=bool)
        made[np.asarray(secreted, dtype=int)] = True
        self.register_buffer("made", torch.as_tensor(made), persistent=False)
        self.growth_map = growth_map
        self.n_compounds, self.u_max, self.substeps, self.members = n, float(u_max), int(substeps), int(members)
        self.log_factor = float(np.log(od_to_biomass))
        self.register_buffer("scale", torch.as_tensor(np.where(scale > 0, scale, 1.0)))
        self.log_km = nn.Parameter(torch.full((members, 1, n), float(np.log(0.05))))  # Km = exp(log_km) * scale
        self.log_amount = nn.Parameter(torch.full((members, 1, n), float(np.log(AMOUNT0) if learn_amounts else 0.0)),
                                       requires_grad=bool(learn_amounts))
        self.logit_background = nn.Parameter(torch.full((members, 1, 1), float(np.log(RHO0 / (1 - RHO0)))
                                             if background else NO_BACKGROUND), requires_grad=bool(background))
        self.slices = _output_slices(n)
        self.lagged = True  # False after fix_kinetics: every uptake open from the first step
        self.net = _MemberMLP([n, *hidden, self.slices["death_width"].stop], members)
        with torch.no_grad():  # start: Vmax at half the range, all available, lags lag0, widths width0, little death
            bias, at = self.net.biases[-1], self.slices
            self.net.weights[-1].mul_(0.1)
            bias.zero_()
            bias[..., at["availability"]] = 2.0
            bias[..., at["lag"]] = _softplus_inverse(max(lag0, 1e-3))
            width = _softplus_inverse(max(width0 - MIN_WIDTH, 1e-3)) + 1.0  # the lags' and the death's
            bias[..., at["width"]] = width
            bias[..., at["death"]] = _softplus_inverse(DEATH0)
            bias[..., at["delay"]] = _softplus_inverse(max(delay0, 1e-3))
            bias[..., at["death_width"]] = width

    def fix_kinetics(self, vmax: float, km: float) -> None:
        """Fixed kinetics, the same for every medium: ``vmax`` (mmol/gDW/h), ``km`` (mM), no lag, all
        available, no death.  ``lagged`` goes off: every uptake is open from the first step (a learned
        lag, never below 0, half-closes its gate at t = 0)."""
        with torch.no_grad():
            for w, b in zip(self.net.weights, self.net.biases):
                w.zero_()
                b.zero_()
            bias, at = self.net.biases[-1], self.slices
            ratio = min(max(vmax / self.u_max, 1e-9), 1 - 1e-9)
            bias[..., at["vmax"]] = float(np.log(ratio / (1 - ratio)))
            bias[..., at["availability"]] = 40.0
            bias[..., at["lag"].start:] = -40.0  # narrowest width, no death (and no lag: ``lagged`` off)
            self.log_km.copy_(torch.log(km / self.scale).expand_as(self.log_km))
        self.lagged = False
        self.requires_grad_(False)

    def amounts(self) -> Tensor:
        """mM per unit of a media-table value (members x 1 x n_c): 1 unless ``learn_amounts``."""
        return torch.exp(self.log_amount)

    def kinetics(self, c0: Tensor) -> dict[str, Tensor]:
        """Per member and medium: ``vmax``, ``availability``, ``lag`` (hours), ``km`` (mM; members x batch x
        n_c), the lags' ``width`` (hours), the ``death`` rate (1/h), its ``delay`` (hours of starvation)
        and the delay's ``death_width`` (hours; members x batch x 1)."""
        x = (c0 / self.scale).to(self.log_km.dtype).expand(self.members, -1, -1)
        raw = self.net(x)
        out = {name: raw[..., where] for name, where in self.slices.items()}
        present = ((c0 > 0) | self.made).to(x.dtype)
        return {"vmax": self.u_max * torch.sigmoid(out["vmax"]) * present,
                "availability": torch.sigmoid(out["availability"]),
                "lag": nn.functional.softplus(out["lag"]),
                "width": MIN_WIDTH + nn.functional.softplus(out["width"] - 1.0),
                "death": nn.functional.softplus(out["death"]),
                "delay": nn.functional.softplus(out["delay"]),
                "death_width": MIN_WIDTH + nn.functional.softplus(out["death_width"] - 1.0),
                "km": torch.exp(self.log_km) * self.scale * self.amounts()}

    def forward(self, c0: Tensor, times: Tensor, log_od0: Tensor, return_state: bool = False,
                start: Tensor | None = None):
        """Simulate from ``times[0]`` (or each culture from its ``start``): ln OD (members x batch x T), and
        with ``return_state`` the concentrations (members x batch x T x n_c).

        Parameters
        ----------
        c0 : Tensor
            batch x n_c initial concentrations (mM).
        times : Tensor
            T increasing times (hours), shared by the batch.
        log_od0 : Tensor
            batch ln OD at ``times[0]`` (the inoculum), or at ``start``.
        return_state : bool
            Also return the concentrations.
        start : Tensor, optional
            batch times among ``times`` (hours) at which each culture starts (a curve first read after the
            others): before it, its state holds; its lags count from it.  None: every culture at ``times[0]``
            (as when every start is ``times[0]``).
        """
        k = self.kinetics(c0)
        m, b, n = k["vmax"].shape
        C = c0 * self.amounts() * k["availability"]
        log_rho = nn.functional.logsigmoid(self.logit_background)  # ln of the background share
        log_cells = nn.functional.logsigmoid(-self.logit_background)  # ln of the biomass share
        log_od0 = log_od0.to(log_rho.dtype).expand(m, b).unsqueeze(2)
        log_x = log_od0 + log_cells + self.log_factor

        def reading(log_x: Tensor) -> Tensor:  # ln(rho OD(0) + X / od_to_biomass)
            return torch.logaddexp(log_od0 + log_rho, log_x - self.log_factor)

        def saturation(C: Tensor) -> Tensor:  # uptake capacity per compound, lags aside
            return k["vmax"] * C / (k["km"] + C)

        capacity = saturation(C)
        capacity0, clock = capacity.sum(dim=2, keepdim=True).clamp_min(1e-12), torch.zeros_like(log_x)
        late = start is not None and bool((start != times[0]).any())
        if late:
            start = start.to(log_x.dtype).reshape(1, b, 1)
        outs, states = [reading(log_x)], [C]
        for i in range(len(times) - 1):
            h = (times[i + 1] - times[i]) / self.substeps
            for s in range(self.substeps):
                t = times[i] - (start if late else times[0]) + s * h  # from the inoculum, whatever the clock says
                gate = torch.sigmoid((t - k["lag"]) / k["width"]) if self.lagged else 1.0
                X = torch.exp(log_x)
                u = torch.minimum(capacity * gate, C / (X * h))
                mu, v = self.growth_map(u.reshape(m * b, n))
                mu, v = mu.reshape(m, b, 1), v.reshape(m, b, n)
                z = mu * h
                phi = torch.where(z > 1e-6, torch.expm1(z) / z.clamp_min(1e-6), 1 + z / 2)
                death = k["death"] * torch.sigmoid((clock - k["delay"]) / k["death_width"])
                if late:  # cultures not started yet hold their state
                    on = (t >= -1e-9).to(log_x.dtype)
                    mu, v, death = mu * on, v * on, death * on
                C = torch.clamp(C - v * X * h * phi, min=0.0)
                capacity = saturation(C)
                starving = (1 - capacity.sum(dim=2, keepdim=True) / capacity0).clamp(0.0, 1.0)
                clock = clock + h * (starving * on if late else starving)
                log_x = log_x + (mu - death) * h
            outs.append(reading(log_x))
            states.append(C)
        log_od = torch.cat(outs, dim=2)
        return (log_od, torch.stack(states, dim=2)) if return_state else log_od


def fit_surrogate(bounds: np.ndarray, growth: np.ndarray, uptakes: np.ndarray, u_max: float, *, pieces: int = 64,
                  hidden: int = 64, epochs: int = 3000, lr: float = 1e-2, seed: int = 0,
                  secreted: Sequence[int] = ()) -> SurrogateGrowth:
    """Learn the growth map of pFBA solutions (samples of :func:`amn.dynamics.network.label`), frozen.

    Parameters
    ----------
    bounds : numpy.ndarray
        samples x n_c compound uptake bounds.
    growth : numpy.ndarray
        samples growth rates (NaN rows are dropped).
    uptakes : numpy.ndarray
        samples x n_c net uptake fluxes (uptake minus secretion).
    u_max : float
        Largest bound.
    pieces, hidden, secreted
        See :class:`SurrogateGrowth`.
    epochs : int
        Full-batch Adam steps.
    lr : float
    seed : int

    Returns
    -------
    SurrogateGrowth
        In float64, ``requires_grad`` off, in eval mode.
    """
    ok = np.isfinite(growth) & np.isfinite(uptakes).all(axis=1)
    torch.manual_seed(seed)
    model = SurrogateGrowth(bounds.shape[1], u_max, pieces, hidden, secreted).double()
    U, g, V = (torch.as_tensor(a[ok], dtype=torch.float64) for a in (bounds, growth, uptakes))
    g_scale = g.abs().max().clamp_min(1e-12)
    v_scale = 0.1 * float(u_max)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    for _ in range(epochs):
        optimizer.zero_grad()
        mu, v = model(U)
        loss = ((mu - g) / g_scale).pow(2).mean() + ((v - V) / v_scale).pow(2).mean()
        loss.backward()
        optimizer.step()
        schedule.step()
    model.requires_grad_(False)
    return model.eval()
