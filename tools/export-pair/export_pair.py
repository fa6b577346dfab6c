#!/usr/bin/env python3
"""Exports an encoder pair (a vision model + a sentence encoder) to the folder libs/embedding loads.

    pip install -r tools/export-pair/requirements.txt
    python tools/export-pair/export_pair.py --out models/dinov2-minilm \
        [--image-model facebook/dinov2-small] [--text-model sentence-transformers/all-MiniLM-L6-v2] \
        [--id NAME] [--no-int8]

The two towers come from different models and do not share a space, so config.json declares
"defect_rag": {"towers": ["image", "text"], "space": "separate", "image_dim": D, "text_dim": E}
(models/README.md). Writes config.json, the image model's preprocessor_config.json, the sentence
encoder's tokenizer.json + tokenizer_config.json and
  onnx/vision_model.onnx  pixel_values -> image_embeds [n, D]: the vision model's pooled output
                          (DINOv2: the layer-normalised CLS token), L2-normalised;
  onnx/text_model.onnx    input_ids, attention_mask -> text_embeds [n, E]: mean of the token
                          embeddings over the attention mask, L2-normalised (sentence-transformers'
                          recipe for all-MiniLM-L6-v2; token_type_ids are zeros inside the graph);
their int8 versions onnx/*_quantized.onnx (dynamic quantization), then checks every graph against
PyTorch and prints what it found.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "export-common"))
from onnx_towers import check_graphs, export_towers  # noqa: E402


class VisionTower(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        pooled = self.model(pixel_values=pixel_values).pooler_output
        return torch.nn.functional.normalize(pooled, dim=-1)


class TextTower(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        tokens = self.model(input_ids=input_ids, attention_mask=attention_mask,
                            token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
        mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, dim=-1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-model", default="facebook/dinov2-small")
    parser.add_argument("--text-model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--id", help="the model id written to config.json (default: image-model+text-model)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--no-int8", action="store_true")
    args = parser.parse_args()
    model_id = args.id or f"{args.image_model}+{args.text_model.split('/')[-1]}"
    onnx_dir = os.path.join(args.out, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)

    vision = AutoModel.from_pretrained(args.image_model).eval()
    processor = AutoImageProcessor.from_pretrained(args.image_model)
    processor.save_pretrained(args.out)  # preprocessor_config.json
    text = AutoModel.from_pretrained(args.text_model).eval()
    tokenizer = AutoTokenizer.from_pretrained(args.text_model)
    # libs/embedding cuts and pads itself (to config.json's max_position_embeddings); a
    # tokenizer.json that truncated or padded on its own would miscount tokens.
    tokenizer.backend_tokenizer.no_truncation()
    tokenizer.backend_tokenizer.no_padding()
    tokenizer.save_pretrained(args.out)  # tokenizer.json, tokenizer_config.json
    max_length = min(tokenizer.model_max_length, text.config.max_position_embeddings)

    # A gradient image and two texts of different lengths: enough to compare ONNX with PyTorch.
    image = Image.fromarray(np.uint8(np.indices((300, 400)).sum(0)[..., None].repeat(3, -1) % 256))
    pixels = processor(images=[image, image.transpose(Image.FLIP_LEFT_RIGHT)], return_tensors="pt")["pixel_values"]
    tokens = tokenizer(["a photo of a car", "2 scratches on front (bumper). Specific defects visible: scratch."],
                       return_tensors="pt", padding=True)
    vision_tower, text_tower = VisionTower(vision), TextTower(text)
    with torch.no_grad():
        expected_image = vision_tower(pixels).numpy()
        expected_text = text_tower(tokens["input_ids"], tokens["attention_mask"]).numpy()
    image_dim, text_dim = expected_image.shape[1], expected_text.shape[1]
    crop = pixels.shape[-1]

    config = {
        "_name_or_path": model_id,
        "vision_config": {"image_size": crop},
        "text_config": {"max_position_embeddings": max_length},
        "defect_rag": {
            "random_weights": False,
            "towers": ["image", "text"],
            "space": "separate",
            "image_dim": image_dim,
            "text_dim": text_dim,
            "image_model": args.image_model,
            "text_model": args.text_model,
            "generator": "python tools/export-pair/export_pair.py",
        },
    }
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    graphs = export_towers(vision_tower, text_tower, pixels, tokens, onnx_dir, int8=not args.no_int8)
    print(f"{model_id}: image {args.image_model} ({image_dim}-d, {crop} px), text {args.text_model} "
          f"({text_dim}-d, {max_length} tokens); fused vectors {image_dim + text_dim}-d")
    passed = check_graphs(graphs, pixels, tokens, expected_image, expected_text)
    print(f"model folder: {args.out}  (npx defect-rag embed <crops-dir> --model {args.out})")
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
