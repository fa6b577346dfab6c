#!/usr/bin/env python3
"""Exports a CLIP-family model from the Hugging Face Hub to the folder libs/embedding loads.

    pip install -r tools/export-metaclip/requirements.txt
    python tools/export-metaclip/export_metaclip.py --out models/metaclip-h14 \
        [--model facebook/metaclip-h14-fullcc2.5b] [--no-int8]

Writes config.json, preprocessor_config.json, tokenizer.json (+ tokenizer_config.json) and
onnx/vision_model.onnx (pixel_values -> image_embeds), onnx/text_model.onnx (input_ids,
attention_mask -> text_embeds), their int8 versions onnx/*_quantized.onnx (dynamic quantization),
then checks every graph against PyTorch and prints what it found. Graphs over 2 GB keep their
weights beside them in <name>.onnx_data.
"""
import argparse
import json
import os
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from PIL import Image
from transformers import CLIPModel, CLIPProcessor

OPSET = 17
TWO_GB = 2**31


class VisionTower(torch.nn.Module):
    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, pixel_values):
        return self.clip.get_image_features(pixel_values=pixel_values)


class TextTower(torch.nn.Module):
    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, input_ids, attention_mask):
        return self.clip.get_text_features(input_ids=input_ids, attention_mask=attention_mask)


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


def files_size(*paths):
    return sum(os.path.getsize(f) for p in paths for f in (p, p + "_data") if os.path.exists(f))


def cosine(a, b):
    a, b = a / np.linalg.norm(a, axis=-1, keepdims=True), b / np.linalg.norm(b, axis=-1, keepdims=True)
    return float((a * b).sum(-1).min())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="facebook/metaclip-h14-fullcc2.5b")
    parser.add_argument("--out", required=True)
    parser.add_argument("--no-int8", action="store_true")
    args = parser.parse_args()
    onnx_dir = os.path.join(args.out, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)

    clip = CLIPModel.from_pretrained(args.model).eval()
    processor = CLIPProcessor.from_pretrained(args.model)
    processor.save_pretrained(args.out)  # preprocessor_config.json, tokenizer.json, tokenizer_config.json
    config = clip.config.to_dict()  # every value, not only those that differ from the defaults
    config["_name_or_path"] = args.model
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    # A gradient image and two texts of different lengths: enough to compare ONNX with PyTorch.
    image = Image.fromarray(np.uint8(np.indices((300, 400)).sum(0)[..., None].repeat(3, -1) % 256))
    batch = processor(text=["a photo of a car", "2 scratches on front (bumper). Specific defects visible: scratch."],
                      images=[image, image.transpose(Image.FLIP_LEFT_RIGHT)], return_tensors="pt", padding=True)
    with torch.no_grad():
        expected_image = clip.get_image_features(pixel_values=batch["pixel_values"]).numpy()
        expected_text = clip.get_text_features(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).numpy()

    vision_path, text_path = os.path.join(onnx_dir, "vision_model.onnx"), os.path.join(onnx_dir, "text_model.onnx")
    with torch.no_grad():
        export(VisionTower(clip), (batch["pixel_values"],), ["pixel_values"], "image_embeds", vision_path,
               {"pixel_values": {0: "batch_size"}})
        export(TextTower(clip), (batch["input_ids"], batch["attention_mask"]), ["input_ids", "attention_mask"], "text_embeds", text_path,
               {"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "sequence_length"}})
    graphs = [(vision_path, text_path, "fp32", 0.9999)]
    if not args.no_int8:
        quantized = [p.replace(".onnx", "_quantized.onnx") for p in (vision_path, text_path)]
        for source, target in zip((vision_path, text_path), quantized):
            quantize_dynamic(source, target, weight_type=QuantType.QInt8)
        graphs.append((*quantized, "int8", 0.98))

    print(f"{args.model}: projection_dim {clip.config.projection_dim}, image {clip.config.vision_config.image_size} px, "
          f"context {clip.config.text_config.max_position_embeddings} tokens, vocabulary {clip.config.text_config.vocab_size}")
    failed = False
    for vision, text, precision, bound in graphs:
        v = ort.InferenceSession(vision, providers=["CPUExecutionProvider"])
        t = ort.InferenceSession(text, providers=["CPUExecutionProvider"])
        image_embeds = v.run(["image_embeds"], {"pixel_values": batch["pixel_values"].numpy()})[0]
        text_embeds = t.run(["text_embeds"], {"input_ids": batch["input_ids"].numpy(), "attention_mask": batch["attention_mask"].numpy()})[0]
        similarity = min(cosine(image_embeds, expected_image), cosine(text_embeds, expected_text))
        size = files_size(vision, text)
        ok = similarity >= bound and image_embeds.shape[1] == clip.config.projection_dim
        failed |= not ok
        print(f"{'ok  ' if ok else 'FAIL'} {precision}: image_embeds {list(image_embeds.shape)}, text_embeds {list(text_embeds.shape)}, "
              f"cosine to PyTorch >= {similarity:.5f} (bound {bound}), {size / 2**30:.2f} GiB")
    print(f"model folder: {args.out}  (npx defect-rag embed <crops-dir> --model {args.out})")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
