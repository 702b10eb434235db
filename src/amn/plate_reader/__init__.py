"""Plate-reader experiments: growth-rate tables from OD curves (published and automatic curation),
per-plate figures, and the design of media to test."""

from amn.errors import PlateReaderError
from amn.plate_reader.combinations import combinations_design, parse_compounds
from amn.plate_reader.curation import (
    AutoCuration,
    Comparison,
    auto_growth_rates,
    compare,
)
from amn.plate_reader.growth_rates import (
    GrowthRates,
    WellIssue,
    curated_growth_rates,
    max_growth_rate,
    smooth,
)

__all__ = [
    "AutoCuration",
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
    "smooth",
]
