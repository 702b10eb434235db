"""Where a model runs: the device, the CPU threads."""

from __future__ import annotations

from contextlib import contextmanager

import torch


def resolve_device(device: str) -> torch.device:
    """The ``torch.device`` of ``device``; ``auto`` picks the GPU when there is one.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextmanager
def cpu_threads(threads: int | None):
    """Run with ``threads`` intra-op CPU threads (None: leave PyTorch's setting).

    AMN steps are many small matrix products: on CPU, one thread is usually
    fastest (20x faster than two on a loaded 2-core machine, measured), so
    that is the default; raise it for genome-scale networks with large batches.
    """
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
