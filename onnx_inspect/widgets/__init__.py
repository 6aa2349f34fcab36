"""Jupyter widgets (anywidget/ipywidgets): the graph view and, built on it, the Inspector."""

from .graphview import GraphView
from .inspector import Inspector, inspect
from .side_by_side import OptimizedView, optimized_view

__all__ = ["GraphView", "Inspector", "OptimizedView", "inspect", "optimized_view"]
