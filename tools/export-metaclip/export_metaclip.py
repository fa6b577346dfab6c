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
import sys

import numpy as np
import torch
from PIL import Image
from transformers import CLIPModel, CLIPProcessor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "export-common"))
from onnx_towers import check_graphs, export_towers  # noqa: E402


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

    tokens = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    graphs = export_towers(VisionTower(clip), TextTower(clip), batch["pixel_values"], tokens, onnx_dir, int8=not args.no_int8)
    print(f"{args.model}: projection_dim {clip.config.projection_dim}, image {clip.config.vision_config.image_size} px, "
          f"context {clip.config.text_config.max_position_embeddings} tokens, vocabulary {clip.config.text_config.vocab_size}")
    passed = check_graphs(graphs, batch["pixel_values"], tokens, expected_image, expected_text)
    print(f"model folder: {args.out}  (npx defect-rag embed <crops-dir> --model {args.out})")
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
