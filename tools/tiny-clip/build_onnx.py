#!/usr/bin/python3
"""Writes random-weight CLIP towers with the I/O contract of a real CLIP/MetaCLIP ONNX export.

Usage: /usr/bin/python3 tools/tiny-clip/build_onnx.py MODEL_DIR [--seed N]

Reads the sizes from MODEL_DIR/config.json (written by generate.ts) and writes
  onnx/vision_model.onnx            pixel_values [batch, 3, S, S] float32 -> image_embeds [batch, D]
  onnx/text_model.onnx              input_ids, attention_mask [batch, seq] int64 -> text_embeds [batch, D]
  onnx/*_quantized.onnx             the same with int8 weights (dynamic quantization, see quantize())
  onnx/*.onnx_data                  the weights of a graph over 2 GB (ViT-H/14's vision tower)
The towers are pre-LayerNorm ViT / causal text transformers like CLIP's; the weights are random
(seeded), so the vectors are deterministic but carry no meaning. Needs Debian's python3-onnx
(onnx.helper + numpy); onnxruntime is not needed.
"""
import argparse
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # the first opset with LayerNormalization
NEG = -1e9  # added to masked attention scores
PROTOBUF_LIMIT = 2**31 - 2**26  # 2 GB less room for the graph itself


class Graph:
    """Collects nodes and initialisers; every name carries the tower's prefix so that the two
    graphs can be merged into one combined model without clashes."""

    def __init__(self, prefix, rng):
        self.prefix = prefix
        self.rng = rng
        self.nodes = []
        self.initializers = []
        self.count = 0

    def name(self, hint):
        self.count += 1
        return f"{self.prefix}/{hint}_{self.count}"

    def const(self, hint, array):
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def ints(self, hint, values):
        return self.const(hint, np.array(values, dtype=np.int64))

    def weight(self, hint, shape, std=None):
        # Scaled by fan-in so that activations keep unit scale and attention stays input-dependent:
        # with tiny weights every image would map to nearly the same vector.
        fan_in = int(np.prod(shape[1:])) if len(shape) == 4 else shape[0]
        scale = fan_in**-0.5 if std is None else std
        return self.const(hint, (self.rng.standard_normal(shape) * scale).astype(np.float32))

    def op(self, op_type, inputs, outputs=1, hint=None, out=None, **attrs):
        names = [out] if out else [self.name(hint or op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=names[0], **attrs))
        return names[0] if outputs == 1 else names


def layer_norm(g, x, width):
    scale = g.const("ln_scale", np.ones(width, dtype=np.float32))
    bias = g.const("ln_bias", np.zeros(width, dtype=np.float32))
    return g.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=1e-5)


def linear(g, x, n_in, n_out, bias=True):
    y = g.op("MatMul", [x, g.weight("w", (n_in, n_out))])
    return g.op("Add", [y, g.const("b", np.zeros(n_out, dtype=np.float32))]) if bias else y


def quick_gelu(g, x):
    gate = g.op("Sigmoid", [g.op("Mul", [x, g.const("k", np.array(1.702, dtype=np.float32))])])
    return g.op("Mul", [x, gate])


def attention(g, x, width, heads, mask):
    head = width // heads
    split = g.ints("heads_shape", [0, -1, heads, head])

    def project(perm):
        return g.op("Transpose", [g.op("Reshape", [linear(g, x, width, width), split])], perm=perm)

    q = project([0, 2, 1, 3])  # [B, H, T, d]
    k = project([0, 2, 3, 1])  # [B, H, d, T]
    v = project([0, 2, 1, 3])
    scores = g.op("Mul", [g.op("MatMul", [q, k]), g.const("scale", np.array(head**-0.5, dtype=np.float32))])
    if mask is not None:
        scores = g.op("Add", [scores, mask])
    context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
    merged = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), g.ints("merge_shape", [0, -1, width])])
    return linear(g, merged, width, width)


def block(g, x, cfg, mask=None):
    width = cfg["hidden_size"]
    x = g.op("Add", [x, attention(g, layer_norm(g, x, width), width, cfg["num_attention_heads"], mask)])
    h = quick_gelu(g, linear(g, layer_norm(g, x, width), width, cfg["intermediate_size"]))
    return g.op("Add", [x, linear(g, h, cfg["intermediate_size"], width)])


def vision_tower(cfg, dim, rng):
    g = Graph("vision", rng)
    width, size, patch = cfg["hidden_size"], cfg["image_size"], cfg["patch_size"]
    patches = (size // patch) ** 2
    x = g.op("Conv", ["pixel_values", g.weight("patch_embedding", (width, 3, patch, patch))], strides=[patch, patch])
    x = g.op("Transpose", [g.op("Reshape", [x, g.ints("flat", [0, width, -1])])], perm=[0, 2, 1])  # [B, N, W]
    batch = g.op("Shape", ["pixel_values"], start=0, end=1)
    cls_shape = g.op("Concat", [batch, g.ints("one_width", [1, width])], axis=0)
    cls = g.op("Expand", [g.weight("class_embedding", (1, 1, width), std=1.0), cls_shape])
    x = g.op("Concat", [cls, x], axis=1)
    x = g.op("Add", [x, g.weight("position_embedding", (1, patches + 1, width), std=0.1)])
    x = layer_norm(g, x, width)
    for _ in range(cfg["num_hidden_layers"]):
        x = block(g, x, cfg)
    pooled = layer_norm(g, g.op("Gather", [x, g.const("cls_index", np.array(0, dtype=np.int64))], axis=1), width)
    g.op("MatMul", [pooled, g.weight("visual_projection", (width, dim))], out="image_embeds")
    return g, [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch_size", 3, size, size])]


def text_tower(cfg, dim, rng):
    g = Graph("text", rng)
    width, context, vocab = cfg["hidden_size"], cfg["max_position_embeddings"], cfg["vocab_size"]
    x = g.op("Gather", [g.weight("token_embedding", (vocab, width), std=1.0), "input_ids"], axis=0)  # [B, L, W]
    length = g.op("Shape", ["input_ids"], start=1, end=2)  # [1]
    zero = g.ints("zero", [0])
    positions = g.op("Slice", [g.weight("position_embedding", (context, width), std=0.1), zero, length, zero])
    x = g.op("Add", [x, positions])

    causal = np.triu(np.full((context, context), NEG, dtype=np.float32), k=1)[None, None]
    square = g.op("Concat", [length, length], axis=0)
    causal = g.op("Slice", [g.const("causal_mask", causal), g.ints("zeros2", [0, 0]), square, g.ints("axes23", [2, 3])])
    keep = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    padding = g.op("Mul", [g.op("Sub", [g.const("one", np.array(1, dtype=np.float32)), keep]), g.const("neg", np.array(NEG, dtype=np.float32))])
    padding = g.op("Unsqueeze", [padding, g.ints("axes12", [1, 2])])  # [B, 1, 1, L]
    mask = g.op("Add", [causal, padding])

    for _ in range(cfg["num_hidden_layers"]):
        x = block(g, x, cfg, mask)
    x = layer_norm(g, x, width)

    # Pool at the end token, found as the largest id (as Hugging Face's CLIP does): a one-hot row
    # over the positions times the hidden states.
    end = g.op("ArgMax", ["input_ids"], axis=1, keepdims=1)  # [B, 1]
    scalar_length = g.op("Squeeze", [length, zero])
    index = g.op("Range", [g.const("r0", np.array(0, dtype=np.int64)), scalar_length, g.const("r1", np.array(1, dtype=np.int64))])
    one_hot = g.op("Cast", [g.op("Equal", [g.op("Unsqueeze", [index, zero]), end])], to=TensorProto.FLOAT)
    pooled = g.op("Squeeze", [g.op("MatMul", [g.op("Unsqueeze", [one_hot, g.ints("axis1", [1])]), x]), g.ints("axis1b", [1])])
    g.op("MatMul", [pooled, g.weight("text_projection", (width, dim))], out="text_embeds")
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "sequence_length"]),
    ]
    return g, inputs


def finish(g, inputs, output_name, dim, doc):
    graph = helper.make_graph(
        g.nodes,
        f"{g.prefix}_model",
        inputs,
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["batch_size", dim])],
        initializer=g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="defect-rag tools/tiny-clip")
    model.doc_string = doc
    if not too_big(model):
        onnx.checker.check_model(model)
    return model


def too_big(model):
    """Whether the weights exceed what one protobuf message holds (2 GB, ViT-H/14's size)."""
    return sum(t.ByteSize() for t in model.graph.initializer) > PROTOBUF_LIMIT


def quantize(model):
    """Dynamic int8 quantisation of every MatMul by a weight matrix, in the node pattern that
    onnxruntime's own quantize_dynamic writes and fuses at load time:
      DynamicQuantizeLinear(x) -> MatMulInteger(x_q, W_q, x_zero, W_zero) -> Cast -> Mul(x_scale * W_scale)
    Weights get one symmetric scale per tensor. Embedding tables and the patch convolution stay float,
    as with quantize_dynamic's defaults for Gather/Conv-light models."""
    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    nodes, extra = [], []
    quantized = set()
    for node in graph.node:
        weight = weights.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if weight is None or len(weight.dims) != 2:
            nodes.append(node)
            continue
        w = numpy_helper.to_array(weight)
        scale = np.float32(max(np.abs(w).max(), 1e-8) / 127.0)
        base = node.name
        extra += [
            numpy_helper.from_array(np.clip(np.round(w / scale), -127, 127).astype(np.int8), f"{weight.name}_quantized"),
            numpy_helper.from_array(np.array(0, dtype=np.int8), f"{weight.name}_zero_point"),
            numpy_helper.from_array(np.array(scale, dtype=np.float32), f"{weight.name}_scale"),
        ]
        quantized.add(weight.name)
        x_q, x_scale, x_zero = f"{base}/x_quantized", f"{base}/x_scale", f"{base}/x_zero_point"
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [node.input[0]], [x_q, x_scale, x_zero], name=f"{base}/quantize"),
            helper.make_node("MatMulInteger", [x_q, f"{weight.name}_quantized", x_zero, f"{weight.name}_zero_point"], [f"{base}/int32"], name=f"{base}/matmul_integer"),
            helper.make_node("Cast", [f"{base}/int32"], [f"{base}/float"], name=f"{base}/cast", to=TensorProto.FLOAT),
            helper.make_node("Mul", [x_scale, f"{weight.name}_scale"], [f"{base}/scale"], name=f"{base}/scale"),
            helper.make_node("Mul", [f"{base}/float", f"{base}/scale"], [node.output[0]], name=f"{base}/rescale"),
        ]
    kept = [t for t in graph.initializer if t.name not in quantized] + extra
    new_graph = helper.make_graph(nodes, graph.name, graph.input, graph.output, initializer=kept)
    new_model = helper.make_model(new_graph, opset_imports=model.opset_import, producer_name=model.producer_name)
    new_model.doc_string = model.doc_string + " Weights quantized to int8 (dynamic quantization)."
    if not too_big(new_model):
        onnx.checker.check_model(new_model)
    return new_model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with open(os.path.join(args.model_dir, "config.json")) as f:
        config = json.load(f)
    dim = config["projection_dim"]
    doc = f"defect-rag random-weight CLIP (seed {args.seed}): deterministic vectors, no retrieval quality."
    os.makedirs(os.path.join(args.model_dir, "onnx"), exist_ok=True)

    # One generator per tower, so changing one tower's size leaves the other's weights unchanged.
    for name, build, output in [("vision_model", vision_tower, "image_embeds"), ("text_model", text_tower, "text_embeds")]:
        seed = args.seed * 2 + (0 if name == "vision_model" else 1)
        g, inputs = build(config[f"{name.split('_')[0]}_config"], dim, np.random.default_rng(seed))
        model = finish(g, inputs, output, dim, doc)
        for suffix, variant in [("", model), ("_quantized", quantize(model))]:
            path = os.path.join(args.model_dir, "onnx", f"{name}{suffix}.onnx")
            if too_big(variant):
                # Weights beside the graph, where libs/embedding's model folder finds them.
                onnx.save(variant, path, save_as_external_data=True, all_tensors_to_one_file=True, location=f"{name}{suffix}.onnx_data")
                onnx.checker.check_model(path)
            else:
                onnx.save(variant, path)
            print(f"wrote {path} ({os.path.getsize(path) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
