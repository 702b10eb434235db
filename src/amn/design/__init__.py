"""Design: media that a trained AMN (or reservoir) predicts to maximise growth or a product flux."""

from amn.design.medium import MediumDesigner, design_media, project_budget

__all__ = ["MediumDesigner", "design_media", "project_budget"]
