"""Media: which uptakes are open, and how much, for each sample.

``read_medium`` reads a medium specification (:class:`MediumSpec`),
``model_medium`` reads one off a model (its own medium, and a nutrient's sources),
``RandomMedia`` / ``GuidedMedia`` draw media from it, and ``read_media_table``
reads a table of media for a trained model.
"""

from amn.media.draw import GuidedMedia, RandomMedia, sample_rng
from amn.media.from_model import model_medium
from amn.media.spec import MediumSpec, read_medium
from amn.media.table import read_media_table, validate_media_table

__all__ = ["GuidedMedia", "MediumSpec", "RandomMedia", "model_medium", "read_media_table", "read_medium", "sample_rng",
           "validate_media_table"]
