"""Plate-reader experiments: growth-rate tables from OD curves (published and automatic curation),
per-plate figures, and the design of media to test.

- :mod:`~amn.plate_reader.files`: the files of an experiment (curation record, design, curves, windows);
- :mod:`~amn.plate_reader.growth_rates`: growth rates by the published, hand-curated method (and
  blank subtraction where a plate declares blank wells or readings its reader blanked);
- :mod:`~amn.plate_reader.curation`: automatic curation, and its comparison with the curators';
- :mod:`~amn.plate_reader.plots`: one figure per plate, to check a curation by eye;
- :mod:`~amn.plate_reader.combinations`: the design of media to test.

>>> import numpy as np
>>> from amn.plate_reader import max_growth_rate
>>> t = np.arange(48) / 6  # hours, a reading every 10 minutes
>>> rate, first = max_growth_rate(t, 0.05 * np.exp(0.4 * t))
>>> round(rate, 6)
0.4
"""

from amn.errors import PlateReaderError
from amn.plate_reader.combinations import combinations_design, parse_compounds
from amn.plate_reader.curation import (
    AutoCuration,
    Comparison,
    auto_growth_rates,
    compare,
)
from amn.plate_reader.growth_rates import (
    Blank,
    GrowthRates,
    WellIssue,
    curated_growth_rates,
    max_growth_rate,
    plate_curves,
    smooth,
)

__all__ = [
    "AutoCuration",
    "Blank",
    "Comparison",
    "GrowthRates",
    "PlateReaderError",
    "WellIssue",
    "auto_growth_rates",
    "combinations_design",
    "compare",
    "curated_growth_rates",
    "max_growth_rate",
    "parse_compounds",
    "plate_curves",
    "smooth",
]
