"""Corpus exports made with the real exporters at tiny sizes: ``python -m tests.corpus.export RECIPE OUTDIR``.

Each recipe writes ``OUTDIR/model.onnx`` (and its external data, if any). Weights are random (seeded),
configs are tiny, nothing is downloaded. Run in a subprocess by tests/corpus/__init__.py, which caches
the result keyed by recipe and exporter versions.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx

RECIPES: dict[str, Callable[[Path], None]] = {}


def recipe(fn: Callable[[Path], None]) -> Callable[[Path], None]:
    RECIPES[fn.__name__] = fn
    return fn


# -- transformers ---------------------------------------------------------------------------------------
def _bert() -> Any:
    import torch
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=100,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        tie_word_embeddings=True,
    )
    return BertForMaskedLM(cfg).eval()


def _gpt2(**kw: Any) -> Any:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    cfg = GPT2Config(
        vocab_size=100,
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=2,
        tie_word_embeddings=True,
        bos_token_id=0,
        eos_token_id=0,
        **kw,
    )
    return GPT2LMHeadModel(cfg).eval()


def _export_bert_legacy(out: Path) -> None:
    import torch

    model = _bert()
    ids = torch.randint(0, 100, (1, 16))
    mask = torch.ones(1, 16, dtype=torch.int64)

    class MLM(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).logits

    dyn = {0: "batch", 1: "sequence"}
    torch.onnx.export(
        MLM(),
        (ids, mask),
        str(out),
        dynamo=False,
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={
            "input_ids": dyn,
            "attention_mask": dyn,
            "logits": dyn,
        },
        opset_version=17,
    )


@recipe
def bert_mlm_legacy(folder: Path) -> None:
    """BertForMaskedLM (tied word embeddings) through the TorchScript exporter, as HF users did for years."""
    _export_bert_legacy(folder / "model.onnx")


@recipe
def bert_dynamic_quant(folder: Path) -> None:
    """The BERT export above, quantized with onnxruntime's quantize_dynamic (MatMulInteger, QOperator)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = folder / "fp32.onnx"
    _export_bert_legacy(fp32)
    quantize_dynamic(str(fp32), str(folder / "model.onnx"), weight_type=QuantType.QInt8)
    fp32.unlink()


@recipe
def gpt2_lm_dynamo(folder: Path) -> None:
    """GPT2LMHeadModel (tied lm_head) through torch.onnx.export(dynamo=True)."""
    import torch

    model = _gpt2(use_cache=False)

    class LM(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gpt2 = model

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            return self.gpt2(input_ids=input_ids, use_cache=False).logits

    ids = torch.randint(0, 100, (2, 16))
    batch = torch.export.Dim("batch", max=64)
    seq = torch.export.Dim("sequence", max=64)
    prog = torch.onnx.export(
        LM(),
        (ids,),
        dynamo=True,
        input_names=["input_ids"],
        output_names=["logits"],
        dynamic_shapes={"input_ids": {0: batch, 1: seq}},
        optimize=True,
    )
    prog.save(str(folder / "model.onnx"))


@recipe
def gpt2_kv_cache_legacy(folder: Path) -> None:
    """GPT-2 decoder step with past key/values as flat inputs and present key/values as outputs."""
    import torch
    from transformers import DynamicCache

    model = _gpt2(use_cache=True)
    n_layer, n_head, head = 2, 2, 16

    class Step(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gpt2 = model

        def forward(self, input_ids: torch.Tensor, *past: torch.Tensor) -> tuple[torch.Tensor, ...]:
            cache = DynamicCache(config=model.config)
            for i in range(n_layer):
                cache.update(past[2 * i], past[2 * i + 1], i)
            out = self.gpt2(input_ids=input_ids, past_key_values=cache, use_cache=True)
            pkv = out.past_key_values
            flat: list[torch.Tensor] = []
            for i in range(n_layer):
                layer = pkv.layers[i]
                flat += [layer.keys, layer.values]
            return (out.logits, *flat)

    ids = torch.randint(0, 100, (1, 1))
    past = [torch.randn(1, n_head, 8, head) for _ in range(2 * n_layer)]
    past_names = [f"past_key_values.{i}.{kv}" for i in range(n_layer) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(n_layer) for kv in ("key", "value")]
    dyn: dict[str, dict[int, str]] = {
        "input_ids": {0: "batch", 1: "sequence"},
        "logits": {0: "batch", 1: "sequence"},
    }
    for n in past_names:
        dyn[n] = {0: "batch", 2: "past_sequence"}
    for n in present_names:
        dyn[n] = {0: "batch", 2: "total_sequence"}
    torch.onnx.export(
        Step(),
        (ids, *past),
        str(folder / "model.onnx"),
        dynamo=False,
        input_names=["input_ids", *past_names],
        output_names=["logits", *present_names],
        dynamic_axes=dyn,
        opset_version=17,
    )


# -- CNNs -----------------------------------------------------------------------------------------------
def _small_cnn() -> Any:
    """A small residual CNN classifier (conv-bn-relu blocks, a skip, global pooling, a linear head)."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(c, c, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(c)
            self.conv2 = nn.Conv2d(c, c, 3, padding=1)
            self.bn2 = nn.BatchNorm2d(c)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = torch.relu(self.bn1(self.conv1(x)))
            return torch.relu(x + self.bn2(self.conv2(y)))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU())
            self.layer1 = Block(16)
            self.down = nn.Sequential(
                nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU()
            )
            self.layer2 = Block(32)
            self.head = nn.Linear(32, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.layer2(self.down(self.layer1(self.stem(x))))
            return self.head(x.mean(dim=(2, 3)))

    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():  # non-trivial BatchNorm statistics, so folding and quantization see real ranges
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    return net.eval()


def _export_cnn_legacy(path: Path, **kw: Any) -> None:
    import torch

    torch.onnx.export(
        _small_cnn(),
        (torch.randn(1, 3, 64, 64),),
        str(path),
        dynamo=False,
        input_names=["image"],
        output_names=["logits"],
        opset_version=17,
        **kw,
    )


@recipe
def small_cnn_dynamo(folder: Path) -> None:
    """The small CNN through torch.onnx.export(dynamo=True)."""
    import torch

    prog = torch.onnx.export(
        _small_cnn(),
        (torch.randn(1, 3, 64, 64),),
        dynamo=True,
        input_names=["image"],
        output_names=["logits"],
    )
    prog.save(str(folder / "model.onnx"))


class _Calibration:
    """A small seeded calibration set for quantize_static."""

    def __init__(self, n: int = 8) -> None:
        rng = np.random.default_rng(0)
        self.items = iter(
            [{"image": rng.standard_normal((1, 3, 64, 64), dtype=np.float32)} for _ in range(n)]
        )

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.items, None)


def _quantize_static(folder: Path, fmt: str) -> None:
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    fp32 = folder / "fp32.onnx"
    pre = folder / "pre.onnx"
    _export_cnn_legacy(fp32)
    quant_pre_process(str(fp32), str(pre))
    quantize_static(
        str(pre),
        str(folder / "model.onnx"),
        _Calibration(),
        quant_format=QuantFormat.QDQ if fmt == "qdq" else QuantFormat.QOperator,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=fmt == "qdq",
    )
    for p in (fp32, pre):
        p.unlink()


@recipe
def small_cnn_qdq(folder: Path) -> None:
    """The small CNN quantized by onnxruntime's quantize_static, QDQ format, per-channel weights."""
    _quantize_static(folder, "qdq")


@recipe
def small_cnn_qoperator(folder: Path) -> None:
    """The small CNN quantized by onnxruntime's quantize_static, QOperator format (QLinearConv, ...)."""
    _quantize_static(folder, "qop")


@recipe
def small_cnn_fp16(folder: Path) -> None:
    """The small CNN converted to float16 by onnxconverter-common (float16 inputs, weights and outputs)."""
    from onnxconverter_common import float16

    fp32 = folder / "fp32.onnx"
    _export_cnn_legacy(fp32)
    m16 = float16.convert_float_to_float16(onnx.load(str(fp32)), keep_io_types=False)
    onnx.save(m16, str(folder / "model.onnx"))
    fp32.unlink()


@recipe
def small_cnn_external(folder: Path) -> None:
    """The small CNN saved with every initializer in one external-data file next to it."""
    fp32 = folder / "fp32.onnx"
    _export_cnn_legacy(fp32)
    m = onnx.load(str(fp32))
    onnx.save_model(
        m,
        str(folder / "model.onnx"),
        save_as_external_data=True,
        location="model.onnx.data",
        size_threshold=0,
    )
    fp32.unlink()


@recipe
def yolo_like(folder: Path) -> None:
    """A tiny YOLOv8-style detector (C2f blocks with Split/Concat, SiLU, SPPF, upsampling, DFL head), exported
    like Ultralytics does: legacy exporter, symbolic batch/height/width, Ultralytics metadata_props."""
    import torch
    from torch import nn

    class ConvBNSiLU(nn.Module):
        def __init__(self, c1: int, c2: int, k: int = 1, s: int = 1) -> None:
            super().__init__()
            self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
            self.bn = nn.BatchNorm2d(c2)
            self.act = nn.SiLU()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.act(self.bn(self.conv(x)))

    class C2f(nn.Module):
        def __init__(self, c1: int, c2: int, n: int = 1) -> None:
            super().__init__()
            self.c = c2 // 2
            self.cv1 = ConvBNSiLU(c1, 2 * self.c)
            self.cv2 = ConvBNSiLU((2 + n) * self.c, c2)
            self.m = nn.ModuleList(
                nn.Sequential(ConvBNSiLU(self.c, self.c, 3), ConvBNSiLU(self.c, self.c, 3)) for _ in range(n)
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = list(self.cv1(x).split((self.c, self.c), 1))
            y.extend(m(y[-1]) for m in self.m)
            return self.cv2(torch.cat(y, 1))

    class SPPF(nn.Module):
        def __init__(self, c1: int, c2: int) -> None:
            super().__init__()
            self.cv1 = ConvBNSiLU(c1, c1 // 2)
            self.cv2 = ConvBNSiLU(c1 * 2, c2)
            self.m = nn.MaxPool2d(5, 1, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.cv1(x)
            y1 = self.m(x)
            y2 = self.m(y1)
            return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))

    class DFL(nn.Module):
        def __init__(self, c1: int = 16) -> None:
            super().__init__()
            self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)
            self.conv.weight.data[:] = torch.arange(c1, dtype=torch.float).view(1, c1, 1, 1)
            self.c1 = c1

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            b, _, a = x.shape
            return self.conv(x.view(b, 4, self.c1, a).transpose(2, 1).softmax(1)).view(b, 4, a)

    class Detect(nn.Module):
        def __init__(self, nc: int, ch: tuple[int, ...]) -> None:
            super().__init__()
            self.nc, self.reg = nc, 16
            self.no = nc + 4 * self.reg
            self.cv2 = nn.ModuleList(
                nn.Sequential(ConvBNSiLU(c, 16, 3), ConvBNSiLU(16, 16, 3), nn.Conv2d(16, 4 * self.reg, 1))
                for c in ch
            )
            self.cv3 = nn.ModuleList(
                nn.Sequential(ConvBNSiLU(c, 16, 3), ConvBNSiLU(16, 16, 3), nn.Conv2d(16, nc, 1)) for c in ch
            )
            self.dfl = DFL(self.reg)
            self.strides = (8, 16, 32)

        def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
            outs = [torch.cat((self.cv2[i](x), self.cv3[i](x)), 1) for i, x in enumerate(xs)]
            b = outs[0].shape[0]
            cat = torch.cat([o.view(b, self.no, -1) for o in outs], 2)
            box, cls = cat.split((self.reg * 4, self.nc), 1)
            anchors, strides = [], []
            for o, s in zip(outs, self.strides, strict=True):
                h, w = o.shape[2], o.shape[3]
                sy, sx = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
                anchors.append(torch.stack((sx, sy), -1).view(-1, 2))
                strides.append(torch.full((h * w, 1), float(s)))
            anc = torch.cat(anchors).transpose(0, 1).unsqueeze(0)
            st = torch.cat(strides).transpose(0, 1)
            lt, rb = self.dfl(box).chunk(2, 1)
            x1y1, x2y2 = anc - lt, anc + rb
            dbox = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * st
            return torch.cat((dbox, cls.sigmoid()), 1)

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = nn.ModuleList(
                [
                    ConvBNSiLU(3, 8, 3, 2),  # 0  /2
                    ConvBNSiLU(8, 16, 3, 2),  # 1  /4
                    C2f(16, 16),  # 2
                    ConvBNSiLU(16, 32, 3, 2),  # 3  /8
                    C2f(32, 32),  # 4  P3
                    ConvBNSiLU(32, 32, 3, 2),  # 5  /16
                    C2f(32, 32),  # 6  P4
                    ConvBNSiLU(32, 64, 3, 2),  # 7  /32
                    SPPF(64, 64),  # 8  P5
                    nn.Upsample(scale_factor=2, mode="nearest"),  # 9
                    C2f(96, 32),  # 10 P4 head
                    nn.Upsample(scale_factor=2, mode="nearest"),  # 11
                    C2f(64, 32),  # 12 P3 out
                    Detect(3, (32, 32, 64)),  # 13
                ]
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            m = self.model
            x = m[2](m[1](m[0](x)))
            p3 = m[4](m[3](x))
            p4 = m[6](m[5](p3))
            p5 = m[8](m[7](p4))
            h4 = m[10](torch.cat((m[9](p5), p4), 1))
            h3 = m[12](torch.cat((m[11](h4), p3), 1))
            return m[13]([h3, h4, p5])

    torch.manual_seed(0)
    net = Model().eval()
    path = folder / "model.onnx"
    torch.onnx.export(
        net,
        (torch.randn(1, 3, 128, 128),),
        str(path),
        dynamo=False,
        input_names=["images"],
        output_names=["output0"],
        dynamic_axes={"images": {0: "batch", 2: "height", 3: "width"}, "output0": {0: "batch", 2: "anchors"}},
        opset_version=17,
        do_constant_folding=True,
    )
    m = onnx.load(str(path))
    meta = {  # what Ultralytics' exporter writes (values as strings, imgsz as a list literal)
        "description": "Ultralytics-style tiny detector exported by the onnx-inspect corpus",
        "author": "onnx-inspect tests",
        "version": "8.3.0",
        "license": "AGPL-3.0 License (https://ultralytics.com/license)",
        "stride": "32",
        "task": "detect",
        "batch": "1",
        "imgsz": "[128, 128]",
        "names": "{0: 'person', 1: 'bicycle', 2: 'car'}",
    }
    for k, v in meta.items():
        m.metadata_props.add(key=k, value=v)
    onnx.save(m, str(path))


# -- control flow ---------------------------------------------------------------------------------------
@recipe
def scripted_loop(folder: Path) -> None:
    """torch.jit.script'ed control flow (a data-dependent loop with a branch inside) through the legacy
    exporter: a Loop whose body holds an If."""
    import torch

    class Decoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cell = torch.nn.Linear(8, 8)

        def forward(self, x: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
            h = x
            for _ in range(int(steps)):
                h = torch.tanh(self.cell(h))
                h = h * 0.5 if bool(h.sum() > 0) else h + 1.0
            return h

    torch.manual_seed(0)
    scripted = torch.jit.script(Decoder().eval())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            scripted,
            (torch.randn(2, 8), torch.tensor(3)),
            str(folder / "model.onnx"),
            dynamo=False,
            input_names=["x", "steps"],
            output_names=["h"],
            opset_version=17,
        )


# -- scikit-learn ---------------------------------------------------------------------------------------
@recipe
def sklearn_pipeline(folder: Path) -> None:
    """StandardScaler + RandomForestClassifier through skl2onnx (ai.onnx.ml Scaler, TreeEnsembleClassifier, ZipMap)."""
    from skl2onnx import to_onnx
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_iris(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(), RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0)
    )
    pipe.fit(x.astype(np.float32), y)
    onx = to_onnx(pipe, x[:1].astype(np.float32), target_opset={"": 17, "ai.onnx.ml": 3})
    onnx.save(onx, str(folder / "model.onnx"))


def main(argv: list[str]) -> int:
    """Run one recipe into a folder."""
    if len(argv) != 2 or argv[0] not in RECIPES:
        print(
            f"usage: python -m tests.corpus.export RECIPE OUTDIR; recipes: {sorted(RECIPES)}", file=sys.stderr
        )
        return 2
    folder = Path(argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    RECIPES[argv[0]](folder)
    onnx.checker.check_model(str(folder / "model.onnx"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
