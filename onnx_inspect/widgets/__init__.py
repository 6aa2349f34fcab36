"""Jupyter widgets (anywidget/ipywidgets): the graph view and, built on it, the inspector."""

from .graphview import GraphView

__all__ = ["GraphView"]
