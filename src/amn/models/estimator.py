"""``AMNRegressor``: AMN and ANN architectures as a scikit-learn estimator.

Parameters are stored as given (scikit-learn convention); fitting builds the
``torch.nn.Module`` (``module_``) for the chosen architecture:

- ``ann-dense``: dense network, medium -> measured fluxes (baseline);
- ``ann-sv``: dense network, medium -> all fluxes, ``||S V||^2`` etc. in the loss;
- ``amn-<layer>``: dense prior (medium -> initial fluxes V0) then a mechanistic
  layer of :mod:`amn.layers` (``w``, ``eb``, ``ub``, ``qp``, ``pdhg``), all fluxes out.

``predict`` returns the measured fluxes (the growth rate by default),
``predict_fluxes`` every flux of the network.

Knockouts: the ``KO:<gene>`` indicator columns of a training table (see
:mod:`amn.network.knockouts`) become inputs of the dense network; AMNs also
give their mechanistic layer the mask of the fluxes the knocked-out genes
remove (through the gene-reaction rules).  ``predict(X, knockouts=...)`` takes
per-sample knockouts of any gene or reaction of the network: genes without an
indicator column (never seen in training) act through the mask only.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import train_test_split

from amn.errors import DatasetMismatchError
from amn.models.architectures import ARCHITECTURES, build_module
from amn.network import Knockouts, UnidirectionalNetwork, ensure_network
from amn.network.knockouts import KO_PREFIX, indicator_genes, parse_knockouts
from amn.training.loss import AMNLoss, LossWeights
from amn.training.trainer import TrainConfig, train


def resolve_device(device: str) -> torch.device:
    """``auto`` picks the GPU when there is one."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextmanager
def cpu_threads(threads: int | None):
    """Run with ``threads`` intra-op CPU threads (None: leave PyTorch's setting).

    AMN steps are many small matrix products: on CPU, one thread is usually
    fastest (20x faster than two on a loaded 2-core machine, measured), so
    that is the default; raise it for genome-scale networks with large batches.
    """
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class AMNRegressor(RegressorMixin, BaseEstimator):
    """An AMN (or ANN baseline) trained on a flux dataset; see the module docstring."""

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

    @property
    def predicts_fluxes(self) -> bool:
        """Whether the architecture outputs every flux of the network (all but ``ann-dense``)."""
        return self.arch != "ann-dense"

    # -- data -----------------------------------------------------------------
    def _tensor(self, values) -> torch.Tensor:
        return torch.as_tensor(np.asarray(values, dtype=float), dtype=getattr(torch, self.dtype), device=self.device_)

    def module_inputs(self, X, knockouts=None) -> np.ndarray:
        """What ``module_`` takes for media ``X``: the medium, then with knockouts the indicators and
        (AMNs) the mask of removed fluxes; for users who call the torch module directly.

        Knocked-out ids of a sample: its non-zero ``KO:<gene>`` columns (DataFrame ``X``, or the
        columns after the medium of an array) plus ``knockouts[i]`` (ids or a ``;``-separated string).
        """
        genes = self.knockout_genes_
        n_in = len(self.medium_)
        flags, flag_genes = None, genes
        if isinstance(X, pd.DataFrame):
            missing = [c for c in self.medium_ if c not in X.columns]
            if missing:
                raise DatasetMismatchError(f"inputs lack medium column(s) {', '.join(missing[:5])}")
            flag_columns = [c for c in X.columns if str(c).startswith(KO_PREFIX)]
            flags, flag_genes = X[flag_columns].to_numpy(dtype=float), indicator_genes(flag_columns)
            X = X[self.medium_]
        X = np.asarray(X, dtype=float)
        if genes and X.ndim == 2 and X.shape[1] == n_in + len(genes):
            X, flags = X[:, :n_in], X[:, n_in:]
        if X.ndim != 2 or X.shape[1] != n_in:
            raise DatasetMismatchError(f"inputs have {X.shape[-1]} columns, the model expects {n_in} medium uptakes"
                                       + (f" (+ {len(genes)} knockout indicators)" if genes else ""))
        if not np.isfinite(X).all() or (flags is not None and not np.isfinite(flags).all()):
            raise DatasetMismatchError("inputs contain NaN or infinite values")
        sets = [set() for _ in range(len(X))]
        if flags is not None:
            for i, j in np.argwhere(flags != 0):
                sets[i].add(flag_genes[j])
        if knockouts is not None:
            knockouts = parse_knockouts(knockouts)
            if len(knockouts) != len(X):
                raise DatasetMismatchError(f"{len(knockouts)} knockout sets for {len(X)} input rows")
            for s, extra in zip(sets, knockouts):
                s |= extra
        if not genes and not any(sets):
            return X
        position = {g: j for j, g in enumerate(genes)}
        indicators = np.zeros((len(X), len(genes)))
        for i, s in enumerate(sets):
            indicators[i, [position[g] for g in s if g in position]] = 1.0
        parts = [X, indicators]
        if self.arch.startswith("amn-"):
            parts.append(self.knockouts_.mask(sets))
        return np.hstack(parts)

    def _targets(self, y) -> np.ndarray:
        if isinstance(y, pd.DataFrame):
            missing = [c for c in self.measured_ if c not in y.columns]
            if missing:
                raise DatasetMismatchError(f"targets lack measured column(s) {', '.join(missing[:5])}")
            y = y[self.measured_]
        y = np.asarray(y, dtype=float).reshape(len(y), -1)
        if y.shape[1] != len(self.measured_):
            raise DatasetMismatchError(f"targets have {y.shape[1]} columns, {len(self.measured_)} measured fluxes expected")
        if not np.isfinite(y).all():
            raise DatasetMismatchError("targets contain NaN or infinite values")
        return y

    # -- estimator API ----------------------------------------------------------
    def fit(self, X, y, checkpoint_dir=None) -> "AMNRegressor":
        """Train on media ``X`` (samples x medium uptakes) and measured fluxes ``y``.

        ``y`` may be the full flux table (a DataFrame): the measured columns are
        taken from it.  ``checkpoint_dir`` makes the run resumable.
        """
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.arch!r}; choose from {', '.join(ARCHITECTURES)}")
        self.device_ = resolve_device(self.device)
        self.network_ = ensure_network(self.network)
        columns = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else []
        self.medium_ = list(self.medium) if self.medium is not None else (
            [c for c in columns if not c.startswith(KO_PREFIX)] if columns else list(self.network_.uptake_ids))
        self.measured_ = list(self.measured) if self.measured is not None else [self.network_.objective_id]
        self.knockout_genes_ = indicator_genes(columns)
        self.knockouts_ = Knockouts(self.network_)
        X_np, y_np = self.module_inputs(X), self._targets(y)
        medium = X_np[:, : len(self.medium_)]
        torch.manual_seed(self.seed)
        self.module_, mats = build_module(self.arch, self.network_, self.medium_, self.measured_, self.bound,
                                          self.hidden, self.dropout, self.layer_params or {}, len(self.knockout_genes_))
        self.module_.to(device=self.device_, dtype=getattr(torch, self.dtype))
        self.input_min_ = medium.min(axis=0).tolist()  # the range the model has seen, per medium input
        self.input_max_ = medium.max(axis=0).tolist()
        variance = y_np.var(axis=0)
        self.loss_scales_ = {"target_var": np.where(variance > 0, variance, 1.0).tolist(),
                             "flux_scale": float(np.mean(medium**2)) or 1.0}
        self.loss_ = self._loss(mats)
        if self.val_fraction and len(X_np) * self.val_fraction >= 1:
            X_tr, X_va, y_tr, y_va = train_test_split(X_np, y_np, test_size=self.val_fraction, random_state=self.seed)
        else:
            X_tr, y_tr, X_va, y_va = X_np, y_np, X_np[:0], y_np[:0]
        config = TrainConfig(self.epochs, self.batch_size, self.lr, self.weight_decay, self.patience, self.seed, self.compile)
        started = time.perf_counter()
        with cpu_threads(self.threads if self.device_.type == "cpu" else None):
            result = train(self.module_, self.loss_, self._tensor(X_tr), self._tensor(y_tr), config,
                           self._tensor(X_va), self._tensor(y_va), checkpoint_dir=checkpoint_dir,
                           progress=self.verbose, description=self.arch)
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.seconds_per_epoch_ = result.seconds_per_epoch
        self.fit_seconds_ = time.perf_counter() - started
        self.n_params_ = sum(p.numel() for p in self.module_.parameters() if p.requires_grad)
        return self

    def _loss(self, mats) -> AMNLoss:
        all_fluxes = self.arch != "ann-dense"
        weights = LossWeights(self.w_mse, self.w_sv, self.w_bound, self.w_neg)
        dtype = getattr(torch, self.dtype)
        return AMNLoss(
            torch.as_tensor(mats.S.toarray(), dtype=dtype),
            torch.as_tensor(mats.medium_index, dtype=torch.long),
            torch.as_tensor(mats.measured_index, dtype=torch.long),
            bound=self.bound, weights=weights, all_fluxes=all_fluxes,
            target_var=torch.as_tensor(self.loss_scales_["target_var"], dtype=dtype),
            flux_scale=self.loss_scales_["flux_scale"],
        ).to(self.device_)

    def _forward(self, X, knockouts=None) -> np.ndarray:
        self.module_.eval()
        with torch.no_grad():
            return self.module_(self._tensor(self.module_inputs(X, knockouts))).cpu().double().numpy()

    def predict(self, X, knockouts=None) -> np.ndarray:
        """Measured fluxes (1-D when one flux is measured, as scikit-learn expects).

        ``knockouts``: per-sample knocked-out gene or reaction ids (iterables or ``;``-separated
        strings), added to the ``KO:`` columns of ``X``.
        """
        out = self._forward(X, knockouts)
        if self.arch != "ann-dense":
            out = out[:, self.network_.index(self.measured_)]
        return out[:, 0] if out.shape[1] == 1 else out

    def score(self, X, y, sample_weight=None) -> float:
        """R^2 (Q^2 on held-out data) of the measured fluxes; ``y`` may be the full flux table."""
        from sklearn.metrics import r2_score

        y_true = self._targets(y)
        return float(r2_score(y_true[:, 0] if y_true.shape[1] == 1 else y_true, self.predict(X), sample_weight=sample_weight))

    def predict_fluxes(self, X, knockouts=None) -> pd.DataFrame:
        """Every flux of the network (architectures with all fluxes as output); ``knockouts`` as in :meth:`predict`."""
        if self.arch == "ann-dense":
            raise ValueError("ann-dense predicts the measured fluxes only; use ann-sv or an AMN for all fluxes")
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(self._forward(X, knockouts), columns=self.network_.reaction_ids, index=index)

    def loss_terms(self, X, y) -> dict[str, float]:
        """The loss terms (mse, sv, bound, neg) on data, unweighted."""
        X_t, y_t = self._tensor(self.module_inputs(X)), self._tensor(self._targets(y))
        self.module_.eval()
        with torch.no_grad():
            _, terms = self.loss_(self.module_(X_t), X_t, y_t)
        return {k: float(v) for k, v in terms.items()}
