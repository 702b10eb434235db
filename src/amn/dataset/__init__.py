"""Datasets: training sets of media labelled by FBA/pFBA (self-describing files), and experimental
tables (one medium per row, compositions and measured targets)."""

from amn.dataset.generate import LabelTask, generate, label_chunk
from amn.dataset.reading import read_table
from amn.dataset.store import Dataset, check_medium, check_network, load_dataset, network_of
from amn.dataset.table import ExperimentTable
from amn.dataset.validation import validate_table

__all__ = ["Dataset", "ExperimentTable", "LabelTask", "check_medium", "check_network", "generate", "label_chunk", "load_dataset",
           "network_of", "read_table", "validate_table"]
