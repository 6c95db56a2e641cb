"""The converter's version (recorded in batch journals: a new version reconverts)."""

__version__ = "0.1.0"
