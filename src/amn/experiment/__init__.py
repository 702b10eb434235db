"""Plate-reader experiments: growth-rate tables from OD curves (published and automatic curation),
per-plate figures, and the design of media to test."""

from amn.experiment.curation import AutoCuration, Comparison, auto_growth_rates, compare
from amn.experiment.design import combinations_design, parse_compounds
from amn.experiment.growth_rates import (
    GrowthRates,
    PlateReaderError,
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
