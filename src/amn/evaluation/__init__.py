"""Evaluation: scores, splitters, one cross-validation loop for every estimator (with per-fold scorers),
resumable runs, fit-on-one-table scoring on another, the method tables and report, and figures."""

from amn.evaluation.executors import DaskExecutor, InProcess, executor_for
from amn.evaluation.holdout import evaluate_on
from amn.evaluation.metrics import majority_rate, noise_ceiling, r2, scores
from amn.evaluation.runs import claim_run, frame_digest, path_digest
from amn.evaluation.scorers import AMNFoldScorer, Fold, FoldScorer
from amn.evaluation.splits import StratifiedBinsKFold, check_cv, cv_folds, stratification_bins
from amn.evaluation.sweep import sweep
from amn.evaluation.validation import CVResult, cross_validate

__all__ = ["AMNFoldScorer", "CVResult", "DaskExecutor", "Fold", "FoldScorer", "InProcess", "StratifiedBinsKFold",
           "check_cv", "claim_run", "cross_validate", "cv_folds", "evaluate_on", "executor_for", "frame_digest",
           "majority_rate", "noise_ceiling", "path_digest", "r2", "scores", "stratification_bins", "sweep"]
