"""The package version, in one place (setuptools reads it; inner modules import it from here)."""

__version__ = "0.1.0"
