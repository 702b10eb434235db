"""Evaluation: scores, cross-validation folds, one cross-validation loop for every estimator, the
method table and report, and figures."""

from amn.evaluation.metrics import noise_ceiling, r2, scores
from amn.evaluation.splits import cv_folds, stratification_bins
from amn.evaluation.validation import CVResult, cross_validate

__all__ = ["CVResult", "cross_validate", "cv_folds", "noise_ceiling", "r2", "scores", "stratification_bins"]
