"""Where a model runs: the device, the CPU threads."""

from __future__ import annotations

from contextlib import contextmanager

import torch

from amn.errors import ParameterError


def resolve_device(device: str | torch.device) -> torch.device:
    """The ``torch.device`` of ``device``; ``auto`` picks the GPU when there is one.

    Raises
    ------
    ParameterError
        Not a device name, or a GPU this machine does not have.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ParameterError(f"device {device!r}: not a torch device (cpu, cuda, cuda:1, mps, auto)") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError(f"device {device!r}: no CUDA GPU is available here (use cpu or auto)")
    if resolved.type == "cuda" and resolved.index is not None and resolved.index >= torch.cuda.device_count():
        raise ParameterError(f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s)")
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ParameterError(f"device {device!r}: no MPS GPU is available here (use cpu or auto)")
    return resolved


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
