"""Training sets: media labelled by FBA/pFBA, stored as self-describing files."""

from amn.dataset.generate import LabelTask, generate, label_chunk
from amn.dataset.store import Dataset, load_dataset

__all__ = ["Dataset", "LabelTask", "generate", "label_chunk", "load_dataset"]
