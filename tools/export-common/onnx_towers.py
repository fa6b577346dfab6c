"""What the model exporters (tools/export-metaclip, tools/export-pair) share: exporting an image and
a text tower to the ONNX files libs/embedding loads, their int8 versions, and the check of every
graph against PyTorch. The exporters differ only in the models they load and how they pool.
"""
import os
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic

OPSET = 17
TWO_GB = 2**31
# How close each graph's vectors must be to PyTorch's (lowest cosine over the test inputs).
BOUNDS = {"fp32": 0.9999, "int8": 0.98}
TEXT_AXES = {"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "sequence_length"}}


def export(tower, inputs, input_names, output_name, path, dynamic):
    with tempfile.TemporaryDirectory() as scratch:
        # Big models come out of the exporter as one file per tensor: load them all and save
        # one graph, with its weights in <name>.onnx_data when it is over protobuf's 2 GB.
        raw = os.path.join(scratch, "model.onnx")
        torch.onnx.export(
            tower, inputs, raw, input_names=input_names, output_names=[output_name],
            dynamic_axes={**dynamic, output_name: {0: "batch_size"}}, opset_version=OPSET, do_constant_folding=True, dynamo=False,
        )
        model = onnx.load(raw)
    external = sum(len(tensor.raw_data) for tensor in model.graph.initializer) > TWO_GB * 0.9
    onnx.save_model(model, path, save_as_external_data=external, all_tensors_to_one_file=True, location=os.path.basename(path) + "_data")


def export_towers(vision_tower, text_tower, pixels, tokens, onnx_dir, int8=True):
    """Writes onnx/vision_model.onnx (pixel_values -> image_embeds), onnx/text_model.onnx
    (input_ids, attention_mask -> text_embeds) and, with int8, their dynamically quantized
    versions onnx/*_quantized.onnx; returns [(vision file, text file, precision)]."""
    vision_path, text_path = os.path.join(onnx_dir, "vision_model.onnx"), os.path.join(onnx_dir, "text_model.onnx")
    with torch.no_grad():
        export(vision_tower, (pixels,), ["pixel_values"], "image_embeds", vision_path, {"pixel_values": {0: "batch_size"}})
        export(text_tower, (tokens["input_ids"], tokens["attention_mask"]), ["input_ids", "attention_mask"], "text_embeds",
               text_path, TEXT_AXES)
    graphs = [(vision_path, text_path, "fp32")]
    if int8:
        quantized = [p.replace(".onnx", "_quantized.onnx") for p in (vision_path, text_path)]
        for source, target in zip((vision_path, text_path), quantized):
            quantize_dynamic(source, target, weight_type=QuantType.QInt8)
        graphs.append((*quantized, "int8"))
    return graphs


def check_graphs(graphs, pixels, tokens, expected_image, expected_text):
    """Runs every graph on the test inputs and prints how close it is to PyTorch; True when all pass."""
    passed = True
    for vision, text, precision in graphs:
        v = ort.InferenceSession(vision, providers=["CPUExecutionProvider"])
        t = ort.InferenceSession(text, providers=["CPUExecutionProvider"])
        image_embeds = v.run(["image_embeds"], {"pixel_values": pixels.numpy()})[0]
        text_embeds = t.run(["text_embeds"], {"input_ids": tokens["input_ids"].numpy(),
                                              "attention_mask": tokens["attention_mask"].numpy()})[0]
        similarity = min(cosine(image_embeds, expected_image), cosine(text_embeds, expected_text))
        bound = BOUNDS[precision]
        ok = similarity >= bound and image_embeds.shape == expected_image.shape and text_embeds.shape == expected_text.shape
        passed &= ok
        print(f"{'ok  ' if ok else 'FAIL'} {precision}: image_embeds {list(image_embeds.shape)}, text_embeds {list(text_embeds.shape)}, "
              f"cosine to PyTorch >= {similarity:.5f} (bound {bound}), {files_size(vision, text) / 2**30:.2f} GiB")
    return passed


def files_size(*paths):
    return sum(os.path.getsize(f) for p in paths for f in (p, p + "_data") if os.path.exists(f))


def cosine(a, b):
    a, b = a / np.linalg.norm(a, axis=-1, keepdims=True), b / np.linalg.norm(b, axis=-1, keepdims=True)
    return float((a * b).sum(-1).min())
