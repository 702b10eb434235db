"""The metabolic network of a dynamic model: its medium, the reduction to what the media can use,
and the pFBA samples its growth map is learned from.

The medium of a dynamic model is a base (salts, oxygen: uptakes held at fixed
bounds; E. coli's M9 salts by default, or the model's own salts for another
organism) and the compounds of the media table, one uptake per compound column
(:func:`compound_uptakes`).  Products the cells secrete and take up again (acetate) are tracked
as compounds too (:func:`secretion_outflows`): the growth map gives their net uptake, uptake minus
secretion, so that they accumulate in the medium and feed back as substrates.  Non-growth
maintenance (every forced flux, such as ``ATPM``'s lower bound) is set to 0, so that a culture
without substrate stops growing instead of making the LP infeasible.  Before training, the network
is reduced (:func:`~amn.network.reduce_network`) to the reactions that carry flux in the pFBA
solutions of random bounds on those uptakes (the outflows of the secreted compounds kept).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from amn.errors import MediumError, ParameterError, UnknownReactionError, id_list
from amn.media.from_model import default_base
from amn.network import UnidirectionalNetwork, load_model, make_unidirectional, reduce_network
from amn.solve.pfba import FluxProblem, HighsLabeler

#: The M9 minimal-medium salts and oxygen of the BiGG E. coli models (uptakes always open).
BASE_M9 = ("EX_pi_e_i", "EX_co2_e_i", "EX_fe3_e_i", "EX_h_e_i", "EX_mn2_e_i", "EX_fe2_e_i", "EX_zn2_e_i",
           "EX_mg2_e_i", "EX_ca2_e_i", "EX_ni2_e_i", "EX_cu2_e_i", "EX_sel_e_i", "EX_cobalt2_e_i", "EX_h2o_e_i",
           "EX_mobd_e_i", "EX_so4_e_i", "EX_nh4_e_i", "EX_k_e_i", "EX_na1_e_i", "EX_cl_e_i", "EX_o2_e_i",
           "EX_tungs_e_i", "EX_slnt_e_i")
#: Named bases: ``"m9"`` the M9 salts above (those the model has), ``"model"`` the uptakes the model file
#: leaves open whose metabolites hold no carbon (its own salts, :func:`~amn.media.from_model.default_base`).
BASES = ("m9", "model")
#: Bound of the base uptakes other than oxygen (mmol/gDW/h): not limiting.
OPEN = 1000.0
#: Growth (1/h) below which a medium counts as no growth.
NO_GROWTH = 1e-6


@dataclass
class DynamicNetwork:
    """A network made ready for a dynamic model.

    Attributes
    ----------
    network : UnidirectionalNetwork
        The network the growth map runs on (reduced unless ``reduce=False``).
    full_reactions : int
        Reactions of the unidirectional network before reduction.
    base : list of str
        Base uptake ids (fixed bounds ``base_bounds``).
    compounds : list of str
        Compound ids, in media-table order.
    uptakes : list of str
        The uptakes of the compounds, then of the products.
    base_bounds : numpy.ndarray
    seconds : float
        Time to build it.
    products : list of str
        Secreted compounds the media table lacks, tracked after its compounds from 0 mM.
    secreted : list of str
        The compounds and products whose secretion feeds back (a product, or a table compound the cells
        also make), in the order of ``outflows``.
    outflows : list of str
        Their outflow ids (``EX_ac_e_o``).
    """

    network: UnidirectionalNetwork
    full_reactions: int
    base: list[str]
    compounds: list[str]
    uptakes: list[str]
    base_bounds: np.ndarray
    seconds: float
    products: list[str] = field(default_factory=list)
    secreted: list[str] = field(default_factory=list)
    outflows: list[str] = field(default_factory=list)

    @property
    def medium(self) -> list[str]:
        """Base uptakes followed by the compounds' and products' uptakes: the inputs of the mechanistic layer."""
        return [*self.base, *self.uptakes]

    @property
    def state(self) -> list[str]:
        """The concentrations a dynamic model tracks: the compounds, then the products."""
        return [*self.compounds, *self.products]

    @property
    def secreted_index(self) -> list[int]:
        """Where each secreted compound sits in :attr:`state`."""
        return [self.state.index(c) for c in self.secreted]

    def initial_state(self, media: np.ndarray) -> np.ndarray:
        """Initial concentrations (media x state) of media table values (media x compounds): products at 0."""
        media = np.asarray(media, dtype=float)
        return np.hstack([media, np.zeros((len(media), len(self.products)))])


def compound_uptakes(network: UnidirectionalNetwork, compounds: Sequence[str], source: str = "media") -> list[str]:
    """The uptake of each compound column: named by its extracellular metabolite (``glc__D_e``, the
    exchange's only metabolite, whatever the exchange's id), its exchange (``EX_glc__D_e``) or uptake id,
    with an ``R_`` / ``M_`` prefix or a unit hint (``glc__D_e (mM)``) as tables write them
    (:func:`amn.dataset.names.resolve`).

    Raises
    ------
    UnknownReactionError
        A compound the model has no uptake for, or one uptake named by two columns (``glc__D_e`` and
        ``EX_glc__D_e_i``), naming the file and the column.
    """
    from amn.dataset.names import ModelIds, resolve, split_unit

    ids = ModelIds.from_network(network)
    seen: dict[str, str] = {}
    for compound in compounds:
        found = resolve(split_unit(compound)[0], ids)
        if found is None or found.uptake is None:
            raise UnknownReactionError(f"{source}: column {compound}: no uptake of model {network.model_id} (not an "
                                       "extracellular metabolite, exchange or uptake id of it)")
        if found.uptake in seen:
            raise UnknownReactionError(f"{source}: column {compound}: the same uptake {found.uptake} as column "
                                       f"{seen[found.uptake]}")
        seen[found.uptake] = compound
    return list(seen)


def secretion_outflows(network: UnidirectionalNetwork, secretions: Sequence[str], compounds: Sequence[str],
                       source: str = "--secretions") -> tuple[list[str], list[str], list[str]]:
    """The secreted compounds of a dynamic model: ``(products, secreted, outflows)``.

    A secretion named like a compound of the media (by any of its names: ``ac_e``, ``EX_ac_e``) is that
    compound, secreted besides taken up; another is a product the media lack, tracked from 0 mM under
    the name given.

    Raises
    ------
    UnknownReactionError
        A secretion without an uptake or an open outflow in the model, or named twice.
    """
    uptakes = compound_uptakes(network, list(compounds)) if compounds else []
    table = dict(zip(uptakes, compounds))
    found = compound_uptakes(network, list(secretions), source)  # unknown names and repeats refused here
    open_outflows = {r for r in network.outflow_ids if network.model.reactions.get_by_id(r).upper_bound > 0}
    products, secreted, outflows = [], [], []
    for name, uptake in zip(secretions, found):
        outflow = uptake.removesuffix("_i") + "_o"
        if outflow not in open_outflows:
            raise UnknownReactionError(f"{source}: {name}: model {network.model_id} cannot secrete it (no open "
                                       f"outflow {outflow})")
        if uptake not in table:
            products.append(name)
        secreted.append(table.get(uptake, name))
        outflows.append(outflow)
    return products, secreted, outflows


def base_uptakes(network: UnidirectionalNetwork, base: str | Sequence[str], uptakes: Sequence[str]) -> list[str]:
    """The base uptake ids of a dynamic model, without the media's compound ``uptakes``.

    Parameters
    ----------
    network : UnidirectionalNetwork
    base : "m9", "model" or sequence of str
        See :data:`BASES`; or the uptake ids themselves.  M9 salts the model lacks are left out with a
        ``UserWarning`` naming them (another organism: ``"model"`` reads its own salts).
    uptakes : sequence of str
        The compounds' uptakes.

    Raises
    ------
    ParameterError
        A base name that is not one of :data:`BASES`.
    UnknownReactionError
        Ids given that are not uptakes of the network.
    """
    known, compounds = set(network.uptake_ids), set(uptakes)
    if isinstance(base, str):
        if base not in BASES:
            raise ParameterError(f"base must be one of {', '.join(BASES)} or uptake ids, got {base!r}")
        if base == "model":
            return [r for r in default_base(network, "carbon") if r not in compounds]
        lacking = [r for r in BASE_M9 if r not in known]
        if lacking:
            warnings.warn(f"model {network.model_id} has no uptake for {len(lacking)} of the {len(BASE_M9)} M9 base "
                          f"uptakes ({id_list(lacking)}): left out (base 'model' takes the model's own salts)",
                          UserWarning, stacklevel=3)
        return [r for r in BASE_M9 if r in known and r not in compounds]
    unknown = [r for r in base if r not in known]
    if unknown:
        raise UnknownReactionError(f"base: not uptakes of model {network.model_id}: {id_list(unknown)}")
    return [r for r in dict.fromkeys(base) if r not in compounds]


def forced_reactions(model) -> list:
    """The reactions of a COBRApy model forced to carry flux (lower bound above 0) that are no exchange:
    non-growth maintenance (``ATPM`` in BiGG models), whatever its id."""
    return [r for r in model.reactions if r.lower_bound > 0 and not r.boundary]


def oxygen_uptake(network: UnidirectionalNetwork) -> str | None:
    """The uptake of extracellular O2 (its metabolite's formula ``O2``, whatever the ids), or None."""
    for uid in network.uptake_ids:
        metabolites = list(network.model.reactions.get_by_id(uid).metabolites)
        if len(metabolites) == 1 and metabolites[0].elements == {"O": 2}:
            return uid
    return None


def sample_bounds(n: int, n_compounds: int, u_max: float, seed: int = 0) -> np.ndarray:
    """Random compound uptake bounds (n x n_compounds) for labelling: each compound present with a
    per-sample probability, its bound ``u_max * U^2`` (many small bounds: cultures near depletion)."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.1, 1.0, size=(n, 1))
    return u_max * rng.random((n, n_compounds)) ** 2 * (rng.random((n, n_compounds)) < p)


def label(network: UnidirectionalNetwork, medium: Sequence[str], base_bounds: np.ndarray,
          bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """pFBA (HiGHS) of compound bounds: the fluxes (samples x reactions) and the growth (samples).

    Samples without an optimum get NaN.
    """
    labeler = HighsLabeler(FluxProblem.from_network(network, list(medium)))
    objective = network.objective  # a property that walks the model: read it once
    c = np.array([objective.get(r, 0.0) for r in network.reaction_ids])
    fluxes = np.full((len(bounds), len(network.reaction_ids)), np.nan)
    for i, u in enumerate(bounds):
        result = labeler.label(np.r_[base_bounds, u])
        if result.fluxes is not None:
            fluxes[i] = result.fluxes
    return fluxes, fluxes @ c


def dynamic_network(model, compounds: Sequence[str], *, base: str | Sequence[str] = "m9", oxygen: float = 20.0,
                    u_max: float = 10.0, reduce: bool = True, samples: int = 200, seed: int = 0,
                    source: str = "media", secretions: Sequence[str] = ()) -> DynamicNetwork:
    """The network of a dynamic model of media of ``compounds``.

    Parameters
    ----------
    model : str, Path, cobra.Model or UnidirectionalNetwork
        The metabolic model (a BiGG id of the data directory, a file, a model).
    compounds : sequence of str
        Compound columns of the media table (extracellular metabolite ids).
    base : "m9", "model" or sequence of str
        Uptakes always open (:func:`base_uptakes`): at ``OPEN``, oxygen (:func:`oxygen_uptake`) at ``oxygen``.
    oxygen : float
        Oxygen uptake bound (mmol/gDW/h).
    u_max : float
        Largest compound bound of the reduction samples.
    reduce : bool
        Reduce the network to the reactions with flux in the samples.
    samples : int
        Random bounds solved for the reduction (and to check that some media grow).
    seed : int
    source : str
        The media file, named when a compound has no uptake.
    secretions : sequence of str
        Compounds whose secretion feeds back (:func:`secretion_outflows`); their outflows are kept.

    Returns
    -------
    DynamicNetwork

    Raises
    ------
    UnknownReactionError
        A compound without uptake in the model, a base id that is not an uptake, a secretion without outflow.
    MediumError
        No random medium of the compounds grows on the base: the base lacks something the model needs.
    """
    start = time.perf_counter()
    if isinstance(model, UnidirectionalNetwork):
        model = model.model
    cobra_model = load_model(model)
    if cobra_model is model:  # the caller's model stays as it is
        cobra_model = cobra_model.copy()
    for reaction in forced_reactions(cobra_model):
        reaction.lower_bound = 0.0
    network = make_unidirectional(cobra_model)
    uptakes = compound_uptakes(network, list(compounds), source)
    products, secreted, outflows = secretion_outflows(network, list(secretions), compounds)
    uptakes += compound_uptakes(network, products, "--secretions")
    base_ids = base_uptakes(network, base, uptakes)
    o2 = oxygen_uptake(network)
    base_bounds = np.array([oxygen if r == o2 else OPEN for r in base_ids])
    full = len(network.reaction_ids)
    medium = [*base_ids, *uptakes]
    draws = sample_bounds(samples if reduce else min(samples, 20), len(uptakes), u_max, seed)
    fluxes, growth = label(network, medium, base_bounds, draws)
    if not np.nanmax(growth, initial=0.0) > NO_GROWTH:
        raise MediumError(f"{source}: model {network.model_id} grows in none of {len(draws)} random media of the "
                          f"compounds {id_list(list(compounds))} on the base {id_list(base_ids) if base_ids else '(empty)'}"
                          f": the base lacks an uptake the model needs (base 'model': its own salts)")
    if reduce:
        table = pd.DataFrame(np.nan_to_num(fluxes), columns=network.reaction_ids)
        network = reduce_network(network, table, keep=[*medium, *outflows], tol=1e-9)
    return DynamicNetwork(network, full, base_ids, list(compounds), uptakes, base_bounds,
                          time.perf_counter() - start, products, secreted, outflows)
