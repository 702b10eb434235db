"""Media: which uptakes are open, and how much, for each sample."""

from amn.media.spec import MediumSpec, read_medium

__all__ = ["MediumSpec", "read_medium"]
