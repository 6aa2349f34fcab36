"""Model index: parse an ONNX model once and expose nodes, values and weights as pandas tables."""

from .index import SEP
from .model import Model, ModelLike, as_model, load

__all__ = ["SEP", "Model", "ModelLike", "as_model", "load"]
