"""Model index: parse an ONNX model once and expose nodes, values and weights as pandas tables."""

from .index import SEP
from .model import Model, as_model, load

__all__ = ["SEP", "Model", "as_model", "load"]
