"""Jupyter widgets (anywidget/ipywidgets): the graph view and, built on it, the Inspector."""

from .graphview import GraphView
from .inspector import Inspector, inspect

__all__ = ["GraphView", "Inspector", "inspect"]
