"""Dynamic AMN: dynamic FBA made trainable on whole growth curves, to predict curves for new media.

- :mod:`~amn.dynamics.curves`: curve tables and plate-reader folders (:class:`CurveSet`);
- :mod:`~amn.dynamics.network`: the network of a dynamic model, reduced on the media;
- :mod:`~amn.dynamics.model`: the unrolled :class:`DynamicFBA` module and its growth maps;
- :mod:`~amn.dynamics.estimator`: :class:`DynamicAMN` (fit / predict / score / save / load);
- :mod:`~amn.dynamics.evaluation`: curve R², held-out and forecast splits, growth rates off curves;
- :mod:`~amn.dynamics.baselines`: sigmoid fits, point regressors, boosting, plain dynamic FBA;
- :mod:`~amn.dynamics.figures`: measured vs predicted curves, substrate depletion.
"""

from amn.dynamics.curves import CurveSet, read_curve_table, read_media, read_plate_folder
from amn.dynamics.estimator import DynamicAMN
from amn.dynamics.evaluation import curve_r2, forecast, growth_rates, heldout, heldout_members, rmse
from amn.dynamics.growth_model import GrowthModel
from amn.dynamics.model import DynamicFBA, LayerGrowth, SurrogateGrowth

__all__ = ["CurveSet", "DynamicAMN", "DynamicFBA", "GrowthModel", "LayerGrowth", "SurrogateGrowth", "curve_r2",
           "forecast", "growth_rates", "heldout", "heldout_members", "read_curve_table", "read_media",
           "read_plate_folder", "rmse"]
