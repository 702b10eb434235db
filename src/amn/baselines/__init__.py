"""Methods to compare AMNs with: FBA baselines, statistical baselines, an AMN trained on measured
values (method 1), and the one registry of methods that the command line and the benchmarks run."""

from amn.baselines.composition_amn import CompositionAMN
from amn.baselines.fba import FBACompositionBounds, FBAFittedBounds, FBAFixedBound, FBAGrowthClassifier
from amn.baselines.mechanistic import classification_methods, fba_methods
from amn.baselines.method import Method, run_methods, run_methods_on, select_methods
from amn.baselines.registry import methods_for, statistical_methods
from amn.baselines.statistical import ANNDense, ARDGaussianProcess, OLSRegressor

__all__ = ["ANNDense", "ARDGaussianProcess", "CompositionAMN", "FBACompositionBounds", "FBAFittedBounds",
           "FBAFixedBound", "FBAGrowthClassifier", "Method", "OLSRegressor", "classification_methods", "fba_methods",
           "methods_for", "run_methods", "run_methods_on", "select_methods", "statistical_methods"]
