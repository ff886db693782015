"""Wangge (网格): an open platform for grid-based community governance."""

__version__ = "0.1.0"
