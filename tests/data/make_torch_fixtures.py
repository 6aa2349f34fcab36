"""Regenerate the PyTorch-exported fixtures in this folder (needs torch and onnxscript; not run by tests).

    pip install torch==2.13.0 onnxscript && python tests/data/make_torch_fixtures.py

dynamo_blocks.onnx carries the dynamo exporter's per-node ``namespace`` metadata; torchscript_blocks.onnx
carries the TorchScript exporter's ``/``-separated node names. Both are the same two-block MLP.
"""

from pathlib import Path

import torch


class Block(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)
        self.act = torch.nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.fc(x)) + x


class TwoBlocks(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = torch.nn.Sequential(Block(), Block())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


if __name__ == "__main__":
    here = Path(__file__).parent
    torch.manual_seed(0)
    model = TwoBlocks().eval()
    x = torch.randn(2, 4)
    torch.onnx.export(model, (x,), dynamo=True).save(str(here / "dynamo_blocks.onnx"))
    torch.onnx.export(model, (x,), str(here / "torchscript_blocks.onnx"), dynamo=False, input_names=["x"])
