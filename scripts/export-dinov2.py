#!/usr/bin/env python3
"""Export DINOv2 ViT-S/14 (timm `vit_small_patch14_dinov2.lvd142m`) to ONNX the way the original backend used it.

Outputs: the raw outputs of blocks 9, 10 and 11 (no final LayerNorm, CLS token included, [1, 1 + T, 384] each);
the backend drops CLS and concatenates them into 1152 channels. Input `pixel_values` [1, 3, H, W] with dynamic H
and W (multiples of 14). As in the original, the pretrained 37x37 position embedding is resized to the token grid
with bicubic interpolation (align_corners=False, no antialias); the CLS position is kept.

Needs: torch, timm (the original pinned timm==0.9.12), onnx; onnxruntime optionally (to verify the export).
    python scripts/export-dinov2.py --out build/dinov2-vits14
    npm run backbone:install -- --onnx build/dinov2-vits14/model.onnx --manifest build/dinov2-vits14/backbone.json
    BDI_BACKBONE=dinov2-vits14 npm start
"""
import argparse
import json
import os

import torch
import torch.nn.functional as F

MODEL_ID = "vit_small_patch14_dinov2.lvd142m"
BLOCKS = (9, 10, 11)
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


class Dinov2Blocks(torch.nn.Module):
    """timm ViT forward up to the last wanted block, returning the raw block outputs."""

    def __init__(self, vit, blocks=BLOCKS):
        super().__init__()
        self.vit = vit
        self.blocks = tuple(blocks)
        self.patch = vit.patch_embed.patch_size[0]
        n = vit.pos_embed.shape[1] - vit.num_prefix_tokens
        self.pos_side = int(round(n ** 0.5))

    def forward(self, pixel_values):
        proj = self.vit.patch_embed.proj
        # Conv directly (timm's PatchEmbed asserts the pretrained 518 px size).
        x = F.conv2d(pixel_values, proj.weight, proj.bias, stride=self.patch)  # [B, C, h, w]
        b, c, h, w = x.shape
        x = x.flatten(2).transpose(1, 2)  # [B, h*w, C]
        pos = self.vit.pos_embed
        cls_pos = pos[:, :1]
        patch_pos = pos[:, 1:].reshape(1, self.pos_side, self.pos_side, c).permute(0, 3, 1, 2)
        patch_pos = F.interpolate(patch_pos, size=(h, w), mode="bicubic", align_corners=False)
        patch_pos = patch_pos.permute(0, 2, 3, 1).reshape(1, h * w, c)
        cls = (self.vit.cls_token + cls_pos).expand(b, -1, -1)
        x = torch.cat([cls, x + patch_pos], dim=1)
        x = self.vit.norm_pre(x)
        outs = []
        for i, block in enumerate(self.vit.blocks):
            x = block(x)
            if i in self.blocks:
                outs.append(x)
            if i >= max(self.blocks):
                break
        return tuple(outs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="build/dinov2-vits14", help="output directory (model.onnx + backbone.json)")
    parser.add_argument("--name", default="dinov2-vits14")
    parser.add_argument("--size", type=int, default=448, help="input width = height written to the manifest")
    parser.add_argument("--opset", type=int, default=17)
    args = parser.parse_args()
    if args.size % 14:
        parser.error("--size must be a multiple of 14")

    import timm

    vit = timm.create_model(MODEL_ID, pretrained=True).eval()
    if vit.num_prefix_tokens != 1:
        raise SystemExit(f"expected 1 prefix token (CLS), model has {vit.num_prefix_tokens}")
    model = Dinov2Blocks(vit).eval()
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    names = [f"block{i}" for i in BLOCKS]
    dummy = torch.randn(1, 3, args.size, args.size)
    with torch.no_grad():
        expected = model(dummy)
        torch.onnx.export(
            model,
            (dummy,),
            onnx_path,
            input_names=["pixel_values"],
            output_names=names,
            dynamic_axes={"pixel_values": {2: "height", 3: "width"}, **{n: {1: "tokens"} for n in names}},
            opset_version=args.opset,
            do_constant_folding=True,
        )

    manifest = {
        "name": args.name,
        "version": f"timm-{MODEL_ID}-blocks{'-'.join(map(str, BLOCKS))}",
        "description": "DINOv2 ViT-S/14 (timm vit_small_patch14_dinov2.lvd142m), raw outputs of blocks 9-11, "
        "CLS dropped, concatenated (1152 channels), as the original BrakeDiscInspector backend.",
        "model": "model.onnx",
        "input": {
            "name": "pixel_values",
            "width": args.size,
            "height": args.size,
            "layout": "NCHW",
            "colour": "RGB",
            "scale": 1 / 255,
            "mean": IMAGENET_MEAN,
            "std": IMAGENET_STD,
        },
        "patchStride": 14,
        "dim": 384 * len(BLOCKS),
        "outputs": [{"name": n, "layout": "tokens", "prefixTokens": 1} for n in names],
        "combine": {"mode": "concat", "grid": "first", "neighbourhoodAverage": 1},
    }
    with open(os.path.join(args.out, "backbone.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")

    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError:
        print(f"exported {onnx_path} (onnxruntime not installed: skipped verification)")
        return
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    got = session.run(names, {"pixel_values": dummy.numpy()})
    for name, ours, ref in zip(names, got, expected):
        err = float(np.max(np.abs(ours - ref.numpy())))
        print(f"{name}: shape {ours.shape}, max |onnx - torch| = {err:.2e}")
        if err > 1e-3:
            raise SystemExit(f"{name}: ONNX output differs from PyTorch ({err})")
    print(f"exported and verified {onnx_path}")


if __name__ == "__main__":
    main()
