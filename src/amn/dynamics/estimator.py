"""``DynamicAMN``: the trainable dynamic FBA model with a scikit-learn style API, save and load.

``fit(curves)`` builds the network of the media's compounds (reduced on them,
:func:`~amn.dynamics.network.dynamic_network`), the growth map (the
mechanistic layer, or its frozen surrogate learned from pFBA solutions) and the
unrolled :class:`~amn.dynamics.model.DynamicFBA`, then trains the latter end to
end on ln OD, each point weighted by ``1 / (SD^2 + sd_floor^2)``.
``predict(media, times, log_od0)`` simulates new media.  A model directory
holds ``model.safetensors`` (every weight, the surrogate's included),
``model.json`` and ``network.xml`` (the reduced network), in the format of
:mod:`amn.models.persist`.  ``fit(..., checkpoint_dir=D)`` keeps the state of the run in ``D``
(:mod:`amn.training.checkpoint`) and resumes from it: an interrupted fit, rerun, ends with the
weights of an uninterrupted one.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator

from amn.dynamics.curves import CurveSet
from amn.dynamics.evaluation import curve_r2
from amn.dynamics.growth_model import GrowthModel, layer_growth, surrogate_shape
from amn.dynamics.model import DynamicFBA, SurrogateGrowth
from amn.dynamics.network import DynamicNetwork, compound_uptakes, secretion_outflows
from amn.errors import ModelLoadError, NotFittedError, ParameterError
from amn.models.persist import read_model_dir, write_model_dir
from amn.models.runtime import resolve_device
from amn.training.checkpoint import load_checkpoint, save_checkpoint

ARCH = "dynamic-amn"
#: Starting lags, lag width and death delay, as shares of the fitted time span: inside it, where a lag
#: keeps its gradient.
LAG_START, WIDTH_START, DELAY_START = 1 / 3, 1 / 10, 1 / 10
AMOUNTS = ("auto", "given", "learned")
#: With a checkpoint directory, the state is saved after the first epoch that ends this many seconds
#: after the last save (and after the last epoch): an interruption loses at most this much work.
CHECKPOINT_SECONDS = 5.0


class DynamicAMN(BaseEstimator):
    """Dynamic AMN: dynamic FBA with learned uptake kinetics, trained on whole growth curves.

    Parameters
    ----------
    model : str, Path or network, default "iML1515"
        The metabolic model (BiGG id of the data directory, a file, ``textbook``).
    layer : {"surrogate", "exact", "ipm"}, default "surrogate"
        The mechanistic growth map (see :meth:`GrowthModel.build`).
    growth_model : GrowthModel, optional
        A built growth map to use (shared by folds); built by ``fit`` when None.
    base : "m9", "model" or sequence of str, default "m9"
        Base uptakes always open: E. coli's M9 salts and oxygen, the model's own salts (another
        organism), or the ids (:func:`~amn.dynamics.network.base_uptakes`).
    oxygen : float, default 20.0
        Oxygen uptake bound (mmol/gDW/h).
    u_max : float, default 10.0
        Largest compound uptake bound (mmol/gDW/h).
    reduce : bool, default True
        Reduce the network on the media's compounds.
    surrogate_samples : int, default 3000
    secretions : sequence of str, default ()
        Compounds the cells secrete that feed back as substrates (acetate: ``ac_e``): tracked from the
        medium's amount (0 mM when the table lacks them), made at the network's secretion flux and taken
        up again with learned kinetics (diauxie on a by-product).
    hidden : sequence of int, default (32,)
        Hidden sizes of the network from the initial medium to the kinetics.
    substeps : int, default 4
        Euler steps per interval of the time grid.
    od_to_biomass : float, default 0.4
        gDW/L per unit OD600 (stated, not learned).
    background : bool, default True
        Learn the optical background of the readings (a share of the first reading that is not
        biomass); False when the readings are blanked.
    amounts : {"auto", "given", "learned"}, default "auto"
        ``"given"``: the media table holds concentrations (mM).  ``"learned"``: it holds presence (or
        relative amounts), and an amount (mM) per compound is learned with the kinetics.  ``"auto"``:
        learned when every value of the table is 0 or 1.
    epochs : int, default 400
        Full-batch Adam steps.
    lr : float, default 0.02
    weight_decay : float, default 1e-4
    sd_floor : float, default 0.05
        Added in quadrature to the replicate SD in the weights.
    ensemble : int, default 1
        Independent copies of the kinetics, trained at once from different starting weights; a
        prediction is their mean ln OD (a deep ensemble: it averages out what one fit learned by
        chance).
    seed : int, default 0
    device : str, default "auto"
        A torch device; ``auto`` takes the GPU when there is one.  The exact layer solves its LPs
        with HiGHS on the CPU wherever the rest runs.
    verbose : bool, default False
        A progress bar per fit.

    Attributes
    ----------
    module_, growth_model_, history_, compounds_, scale_, folds_, learn_amounts_, device_,
    seconds_per_epoch_, n_reactions_kept_, resumed_epochs_
    products_ : list of str
        Secreted compounds the media lack, tracked after ``compounds_`` (see ``secretions``).
    """

    def __init__(self, model="iML1515", layer: str = "surrogate", growth_model: GrowthModel | None = None,
                 base: str | Sequence[str] = "m9", oxygen: float = 20.0, u_max: float = 10.0, reduce: bool = True,
                 surrogate_samples: int = 3000, secretions: Sequence[str] = (), hidden: Sequence[int] = (32,),
                 substeps: int = 4, od_to_biomass: float = 0.4, background: bool = True, amounts: str = "auto",
                 epochs: int = 400, lr: float = 0.02, weight_decay: float = 1e-4, sd_floor: float = 0.05,
                 ensemble: int = 1, seed: int = 0, device: str = "auto", verbose: bool = False) -> None:
        self.model = model
        self.layer = layer
        self.growth_model = growth_model
        self.base = base
        self.oxygen = oxygen
        self.u_max = u_max
        self.reduce = reduce
        self.surrogate_samples = surrogate_samples
        self.secretions = secretions
        self.hidden = hidden
        self.substeps = substeps
        self.od_to_biomass = od_to_biomass
        self.background = background
        self.amounts = amounts
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.sd_floor = sd_floor
        self.ensemble = ensemble
        self.seed = seed
        self.device = device
        self.verbose = verbose

    # -- fit ------------------------------------------------------------------------------------------------------
    def _growth_model(self, curves: CurveSet) -> GrowthModel:
        if self.growth_model is not None:
            return self.growth_model
        return GrowthModel.build(self.model, curves.compounds, layer=self.layer, base=self.base, oxygen=self.oxygen,
                                 u_max=self.u_max, reduce=self.reduce, samples=self.surrogate_samples, seed=self.seed,
                                 source=curves.media.attrs.get("source", curves.source),
                                 secretions=self._secretions())

    def _secretions(self) -> list[str]:
        if self.secretions is None:
            return []
        return [self.secretions] if isinstance(self.secretions, str) else list(self.secretions)

    def _check_params(self) -> None:
        for name in ("epochs", "substeps", "ensemble"):
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("lr", "od_to_biomass", "u_max", "sd_floor"):
            if not float(getattr(self, name)) > 0:
                raise ParameterError(f"{name} must be > 0, got {getattr(self, name)}")
        if not all(isinstance(name, str) and name for name in self._secretions()):
            raise ParameterError(f"secretions: compound names, got {self.secretions!r}")
        if self.amounts not in AMOUNTS:
            raise ParameterError(f"amounts must be one of {', '.join(AMOUNTS)}, got {self.amounts!r}")
        if not len(self.hidden) or min(int(h) for h in self.hidden) < 1:
            raise ParameterError(f"hidden: one or more layer sizes >= 1, got {tuple(self.hidden)}")

    def _learn_amounts(self, media: pd.DataFrame) -> bool:
        if self.amounts == "auto":
            return bool(np.isin(media.to_numpy(float), (0.0, 1.0)).all())
        return self.amounts == "learned"

    def fit(self, curves: CurveSet, until: float | None = None, folds=None,
            checkpoint_dir: str | Path | None = None) -> DynamicAMN:
        """Train on the curves (up to time ``until`` only, for a forecast).

        Parameters
        ----------
        curves : CurveSet
        until : float, optional
            Last time (hours) whose points are fitted [default: every point].
        folds : array_like of int, optional
            A fold label per medium (0..k-1): trains ``k`` members at once (``k`` times ``ensemble``),
            member ``f`` on the media outside fold ``f`` (:meth:`predict_out_of_fold` then gives
            held-out predictions).
        checkpoint_dir : str or Path, optional
            Where the run's state is saved (every ``CHECKPOINT_SECONDS`` and at the end) and resumed
            from: a rerun with the same directory, parameters and curves goes on where it stopped.

        Returns
        -------
        DynamicAMN
            self.

        Raises
        ------
        UnknownReactionError
            A compound of the media the model has no uptake for (file and column named).
        ParameterError
            A parameter outside its domain, or a checkpoint of another run in ``checkpoint_dir``.
        """
        self._check_params()
        device = resolve_device(self.device)
        growth_model = self._growth_model(curves)
        dn = growth_model.dynamic_network
        uptakes = compound_uptakes(dn.network, curves.compounds, curves.media.attrs.get("source", curves.source))
        if uptakes != dn.uptakes[:len(dn.compounds)]:
            raise ParameterError(f"{curves.source}: compounds differ from those of the growth model "
                                 f"({len(curves.compounds)} vs {len(dn.compounds)})")
        if secretion_outflows(dn.network, self._secretions(), dn.compounds)[2] != dn.outflows:
            raise ParameterError(f"secretions {self._secretions()} differ from those of the growth model "
                                 f"({dn.secreted})")
        torch.manual_seed(self.seed)
        scale = dn.initial_state(curves.media.to_numpy(float)).max(axis=0)
        folds = None if folds is None else np.asarray(folds, dtype=int)
        n_folds = 1 if folds is None else int(folds.max()) + 1
        members = n_folds * int(self.ensemble)  # member e * n_folds + f: copy e of fold f
        learn_amounts = self._learn_amounts(curves.media)
        span = (curves.times[-1] if until is None else min(until, curves.times[-1])) - curves.times[0]
        growth_map = _on_device(growth_model.growth_map, device)
        module = DynamicFBA(growth_map, scale, u_max=growth_model.u_max, hidden=tuple(self.hidden),
                            substeps=self.substeps, od_to_biomass=self.od_to_biomass, members=members,
                            learn_amounts=learn_amounts, background=self.background,
                            lag0=LAG_START * span, width0=WIDTH_START * span, delay0=DELAY_START * span,
                            secreted=dn.secreted_index).to(device=device, dtype=torch.float64)
        c0, times, y, w, y0 = (t.to(device) for t in self._tensors(curves, until, dn))
        starts = torch.as_tensor(curves.start, device=device)
        w = w.expand(members, -1, -1)
        if folds is not None:
            member_fold = np.arange(members) % n_folds
            w = w * torch.as_tensor(folds[None, :, None] != member_fold[:, None, None], dtype=w.dtype, device=device)
        params = [p for name, p in module.named_parameters() if p.requires_grad and not name.startswith("growth_map.")]
        optimizer = torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, self.epochs)
        history, best, best_state, start_epoch = [], np.inf, None, 0
        if checkpoint_dir is not None:
            checkpoint_dir = Path(checkpoint_dir)
            run = self._fingerprint(module, c0, times, y, w, until, starts)
            restored = load_checkpoint(checkpoint_dir, module, optimizer)
            if restored is not None:
                record, best_state, _ = restored
                if record["run"] != run:
                    raise ParameterError(f"{checkpoint_dir}: checkpoint of a run with other settings or curves; "
                                         "delete it to start over")
                history, best, start_epoch = record["history"], record["best_loss"], len(record["history"])
                schedule.load_state_dict(record["schedule"])
        bar = _progress(self.epochs, self.verbose, "dynamic fit", start_epoch)
        saved = time.perf_counter()
        for epoch in range(start_epoch, self.epochs):
            start = time.perf_counter()
            optimizer.zero_grad()
            pred = module(c0, times, y0, start=starts)
            loss = (w * (pred - y) ** 2).sum() / w.sum() * members
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 10.0)
            optimizer.step()
            schedule.step()
            value = float(loss.detach())
            history.append({"epoch": epoch + 1, "loss": value, "seconds": time.perf_counter() - start})
            if value < best:
                best = value
                best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{value:.4f}")
            if checkpoint_dir is not None and (epoch + 1 == self.epochs
                                               or time.perf_counter() - saved >= CHECKPOINT_SECONDS):
                save_checkpoint(checkpoint_dir, module, optimizer, best_state, {},
                                {"run": run, "history": history, "best_loss": best,
                                 "schedule": schedule.state_dict()})
                saved = time.perf_counter()
        if bar is not None:
            bar.close()
        if best_state is None:
            raise ParameterError(f"{curves.source}: the loss was not finite in any epoch (last {history[-1]['loss']}): "
                                 "try a smaller lr")
        module.load_state_dict(best_state)
        self.module_, self.growth_model_, self.history_ = module.eval(), growth_model, history
        self.compounds_, self.products_, self.scale_, self.folds_ = list(curves.compounds), list(dn.products), scale, folds
        self.learn_amounts_, self.device_ = learn_amounts, device
        ran = history[start_epoch:]  # the epochs run in this call (a resumed run's others were timed before)
        self.resumed_epochs_ = start_epoch
        self.seconds_per_epoch_ = float(np.mean([h["seconds"] for h in ran])) if ran else None
        self.n_reactions_kept_ = len(growth_model.dynamic_network.network.reaction_ids)
        return self

    def _fingerprint(self, module: DynamicFBA, *tensors: torch.Tensor | float | None) -> str:
        """sha256 of what decides a run: the parameters, the starting weights (the growth map's, which
        stand for the metabolic model, included) and the fitted tensors (curves, weights, folds, the
        forecast boundary)."""
        params = {k: v for k, v in self.get_params().items() if k not in ("model", "growth_model", "verbose", "device")}
        digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode())
        for value in [*module.state_dict().values(), *tensors]:
            digest.update(repr(value).encode() if not torch.is_tensor(value) else value.detach().cpu().numpy().tobytes())
        return digest.hexdigest()

    def _tensors(self, curves: CurveSet, until: float | None, dn: DynamicNetwork):
        c0 = torch.as_tensor(dn.initial_state(curves.media.to_numpy(float)), dtype=torch.float64)
        times = torch.as_tensor(curves.times, dtype=torch.float64)
        read = curves.read  # a time a medium was not read at weighs nothing
        y = torch.as_tensor(np.where(read, curves.log_od, 0.0), dtype=torch.float64)
        sd = np.zeros_like(curves.log_od) if curves.sd is None else np.where(read, curves.sd, 0.0)
        w = torch.as_tensor(read / (sd ** 2 + float(self.sd_floor) ** 2), dtype=torch.float64)
        if until is not None:
            w = w * torch.as_tensor(curves.times <= until + 1e-9, dtype=torch.float64)
        w[np.arange(len(w)), curves.first] = 0.0  # a curve's first reading is its initial condition
        return c0, times, y, w, torch.as_tensor(curves.log_od0, dtype=torch.float64)

    # -- predict ----------------------------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "module_"):
            raise NotFittedError("DynamicAMN is not fitted: call fit(curves) or DynamicAMN.load(directory)")

    def as_trained(self, media: pd.DataFrame) -> pd.DataFrame:
        """``media`` with each column that names a trained compound another way (its exchange or uptake id,
        a unit hint: :func:`~amn.dynamics.network.compound_uptakes`) under the compound's training name,
        said in a ``UserWarning``; :meth:`simulate`, :meth:`predict` and :meth:`kinetics` read media so."""
        self._check_fitted()
        extra = [c for c in media.columns if c not in self.compounds_]
        if not extra:
            return media
        from amn.dataset.names import ModelIds, resolve, split_unit

        dn = self.growth_model_.dynamic_network
        ids = ModelIds.from_network(dn.network)
        trained = dict(zip(dn.uptakes, self.compounds_))  # checked to be the compounds' uptakes by fit
        renamed = {}
        for column in extra:
            found = resolve(split_unit(str(column))[0], ids)
            name = trained.get(found.uptake) if found is not None else None
            if name is not None and name not in media.columns and name not in renamed.values():
                renamed[column] = name
        if renamed:
            warnings.warn(f"{media.attrs.get('source', 'media')}: column(s) read as the model's compounds: "
                          + ", ".join(f"{old} -> {new}" for old, new in renamed.items()), UserWarning, stacklevel=3)
        return media.rename(columns=renamed)

    def _media(self, media: pd.DataFrame) -> torch.Tensor:
        media = self.as_trained(media)
        missing = [c for c in self.compounds_ if c not in media.columns]
        extra = [c for c in media.columns if c not in self.compounds_]
        if missing or extra:
            source = media.attrs.get("source", "media")
            column = (extra or missing)[0]
            what = "a compound the model was not trained on" if extra else "missing (the model needs it)"
            raise ParameterError(f"{source}: column {column}: {what}")
        values = media[self.compounds_].to_numpy(float)
        if self.learn_amounts_ and self.amounts == "auto" and not np.isin(values, (0.0, 1.0)).all():
            row, j = np.argwhere(~np.isin(values, (0.0, 1.0)))[0]
            raise ParameterError(f"{media.attrs.get('source', 'media')}: column {self.compounds_[j]}: "
                                 f"{values[row, j]:g} is not a 0/1 mark (the model was trained on 0/1 media and "
                                 "learned the amounts)")
        values = self.growth_model_.dynamic_network.initial_state(values)
        return torch.as_tensor(values, dtype=torch.float64, device=self.device_)

    @property
    def state_(self) -> list[str]:
        """The concentrations simulated: ``compounds_``, then ``products_``."""
        self._check_fitted()
        return [*self.compounds_, *self.products_]

    def simulate(self, media: pd.DataFrame, times, log_od0, members: bool = False,
                 start=None) -> tuple[np.ndarray, np.ndarray]:
        """ln OD (media x T) and concentrations (media x T x ``state_``, mM) of new media: the members' mean,
        or with ``members`` each member's (a leading axis: the ensemble's copies, times the folds when
        fitted with folds).

        Parameters
        ----------
        media : pandas.DataFrame
            One row per medium, the training compounds as columns (mM).
        times : array_like
            Increasing hours; the simulation starts at ``times[0]``.
        log_od0 : float or array_like
            ln OD at ``times[0]`` (the inoculum), per medium or one for all.
        members : bool
        start : array_like, optional
            Per medium, the time among ``times`` its culture starts from ``log_od0`` (default ``times[0]``).
        """
        self._check_fitted()
        c0 = self._media(media)
        times = torch.as_tensor(np.asarray(times, dtype=float), device=self.device_)
        y0 = torch.as_tensor(np.broadcast_to(np.asarray(log_od0, dtype=float), (len(c0),)).copy(), device=self.device_)
        if start is not None:
            start = torch.as_tensor(np.broadcast_to(np.asarray(start, dtype=float), (len(c0),)).copy(), device=self.device_)
        with torch.no_grad():
            log_od, conc = self.module_(c0, times, y0, return_state=True, start=start)
        if members:
            return log_od.cpu().numpy(), conc.cpu().numpy()
        return log_od.mean(0).cpu().numpy(), conc.mean(0).cpu().numpy()

    def predict(self, curves: CurveSet, times=None, members: bool = False) -> np.ndarray:
        """Predicted ln OD (media x T) of the curves' media, each from its first reading, on their times (or
        ``times``, from their first); with ``members`` each member's (members x media x T, see :meth:`simulate`)."""
        self._check_fitted()
        if times is not None:
            return self.simulate(curves.media, times, curves.log_od0, members)[0]
        return self.simulate(curves.media, curves.times, curves.log_od0, members, start=curves.start)[0]

    def predict_out_of_fold(self, curves: CurveSet, copies: bool = False) -> np.ndarray:
        """Held-out predictions of the curves fitted with ``folds``: each medium by the members that did not
        see it, their mean ln OD (media x T), or with ``copies`` each ensemble copy's (ensemble x media x T):
        a quantity read off curves, such as the maximal growth rate, is best read off each copy and
        averaged, since the mean of curves that rise at slightly different times rises more slowly
        than any of them."""
        self._check_fitted()
        if self.folds_ is None or len(self.folds_) != len(curves.media):
            raise ParameterError("predict_out_of_fold needs the curves fitted with folds=...")
        c0 = self._media(curves.media)
        with torch.no_grad():
            times, y0 = (torch.as_tensor(a, device=self.device_) for a in (curves.times, curves.log_od0))
            start = torch.as_tensor(curves.start, device=self.device_)
            log_od = self.module_(c0, times, y0, start=start).cpu().numpy()
        n_folds = int(self.folds_.max()) + 1
        per_copy = log_od.reshape(-1, n_folds, *log_od.shape[1:])[:, self.folds_, np.arange(len(c0))]
        return per_copy if copies else per_copy.mean(axis=0)

    def score(self, curves: CurveSet) -> float:
        """Mean over media of the curve R² (negative counted as 0), see :func:`amn.dynamics.evaluation.curve_r2`."""
        return float(curve_r2(curves.log_od, self.predict(curves)).mean())

    def kinetics(self, media: pd.DataFrame) -> pd.DataFrame:
        """The learned kinetics per medium: the lags' width (h), the death rate of the starved culture
        (1/h), its delay (h of starvation) and the delay's width (h), and per compound its lag (h),
        Vmax, availability, Km (mM) and the amount (mM per unit of the table; 1 for given concentrations),
        products (``products_``) included."""
        self._check_fitted()
        with torch.no_grad():
            k = {key: value.mean(0).cpu() for key, value in self.module_.kinetics(self._media(media)).items()}
            amounts = self.module_.amounts().mean(0).cpu()
        columns = {"lag_width_h": k["width"][:, 0].numpy(), "death_rate_per_h": k["death"][:, 0].numpy(),
                   "death_delay_h": k["delay"][:, 0].numpy(), "death_width_h": k["death_width"][:, 0].numpy()}
        for j, c in enumerate(self.state_):
            columns[f"lag_h_{c}"] = k["lag"][:, j].numpy()
            columns[f"vmax_{c}"] = k["vmax"][:, j].numpy()
            columns[f"availability_{c}"] = k["availability"][:, j].numpy()
            columns[f"km_{c}"] = np.full(len(media), float(k["km"][0, j]))
            columns[f"amount_{c}"] = np.full(len(media), float(amounts[0, j]))
        return pd.DataFrame(columns, index=media.index)

    # -- save / load ------------------------------------------------------------------------------------------------
    def save(self, directory: str | Path, metrics: dict | None = None) -> Path:
        """Write the fitted model (weights of the dynamic model and of its surrogate, JSON, reduced network)."""
        self._check_fitted()
        gm = self.growth_model_
        dn = gm.dynamic_network
        params = {k: v for k, v in self.get_params().items() if k not in ("growth_model", "model", "device")}
        params["base"] = params["base"] if isinstance(params["base"], str) else list(params["base"])
        params["hidden"] = list(params["hidden"])
        params["secretions"] = self._secretions()
        description = {
            "arch": ARCH, "params": params, "model": str(self.model) if isinstance(self.model, (str, Path)) else None,
            "medium": dn.medium, "measured": [dn.network.objective_id], "loss_scales": {},
            "input_min": [0.0] * len(self.scale_), "input_max": [float(s) for s in self.scale_],
            "compounds": self.compounds_, "products": dn.products, "secreted": dn.secreted, "outflows": dn.outflows,
            "base_bounds": dn.base_bounds.tolist(), "full_reactions": dn.full_reactions,
            "n_reactions_kept": self.n_reactions_kept_, "surrogate_r2": gm.surrogate_r2,
            "surrogate_shape": surrogate_shape(gm.growth_map), "seconds_per_epoch": self.seconds_per_epoch_,
            "history": self.history_, "metrics": metrics or {}, "members": self.module_.members,
            "folds": None if self.folds_ is None else self.folds_.tolist(), "learn_amounts": self.learn_amounts_,
        }
        return write_model_dir(directory, description, self.module_.state_dict(), dn.network)

    @classmethod
    def load(cls, directory: str | Path, device: str = "auto") -> DynamicAMN:
        """A fitted model from a directory written by :meth:`save`, on ``device`` (``auto``: the GPU when
        there is one).

        Raises
        ------
        ParameterError
            A device this machine does not have (checked before any file is read).
        ModelLoadError
            Missing or malformed files, another architecture, weights that do not fit.
        """
        resolved = resolve_device(device)  # before any file is read
        saved = read_model_dir(directory, kind=ARCH)
        d, source = saved.description, Path(directory) / "model.json"
        try:
            params = dict(d["params"])
            estimator = cls(model=d.get("model") or "network.xml", device=device, **params)
            n_base = len(d["base_bounds"])
            dn = DynamicNetwork(saved.network, int(d["full_reactions"]), list(d["medium"][:n_base]),
                                list(d["compounds"]), list(d["medium"][n_base:]), np.asarray(d["base_bounds"]), 0.0,
                                list(d.get("products", [])), list(d.get("secreted", [])), list(d.get("outflows", [])))
            if estimator.layer == "surrogate":
                shape = d["surrogate_shape"]
                growth_map = SurrogateGrowth(len(dn.state), estimator.u_max, shape["pieces"], shape["hidden"],
                                             dn.secreted_index).double()
            else:
                growth_map = layer_growth(dn, estimator.layer)
            growth_map.requires_grad_(False)
            learn_amounts = bool(d["learn_amounts"])
            module = DynamicFBA(growth_map, d["input_max"], u_max=estimator.u_max, hidden=tuple(estimator.hidden),
                                substeps=estimator.substeps, od_to_biomass=estimator.od_to_biomass,
                                members=int(d.get("members", 1)), learn_amounts=learn_amounts,
                                background=bool(estimator.background), secreted=dn.secreted_index).double()
            module.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in saved.weights.items()})
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ModelLoadError(f"{source}: does not describe a {ARCH} model ({reason})") from None
        estimator.device_ = resolved
        estimator.module_ = module.to(estimator.device_).eval()
        estimator.growth_model_ = GrowthModel(dn, growth_map, estimator.layer, estimator.u_max, d.get("surrogate_r2"))
        estimator.history_, estimator.compounds_ = d.get("history", []), list(d["compounds"])
        estimator.products_ = list(dn.products)
        estimator.scale_ = np.asarray(d["input_max"], dtype=float)
        estimator.folds_ = None if d.get("folds") is None else np.asarray(d["folds"], dtype=int)
        estimator.learn_amounts_ = learn_amounts
        estimator.seconds_per_epoch_ = d.get("seconds_per_epoch")
        estimator.n_reactions_kept_ = d.get("n_reactions_kept")
        return estimator


def _on_device(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``module`` on ``device``: itself when it is there, else a copy moved there.  A growth model is
    shared (by the fold models, the baselines) and stays where it was built."""
    first = next(itertools.chain(module.parameters(), module.buffers()), None)
    if first is None or first.device == device or (device.index is None and first.device.type == device.type):
        return module
    return copy.deepcopy(module).to(device)


def _progress(total: int, verbose: bool, desc: str, initial: int = 0):
    if not verbose:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, leave=False)
