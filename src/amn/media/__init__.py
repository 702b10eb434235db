"""Media: which uptakes are open, and how much, for each sample."""

from amn.media.draw import GuidedMedia, RandomMedia, sample_rng
from amn.media.spec import MediumSpec, read_medium

__all__ = ["GuidedMedia", "MediumSpec", "RandomMedia", "read_medium", "sample_rng"]
