"""Sentence embeddings on the CPU: the shipped model2vec static model (content/models/minilm-m2v).

A static model is a table of one vector per WordPiece token, distilled once from
all-MiniLM-L6-v2 (`tools/distil_model.py`; licence and attribution beside the model). A text's
vector is the mean of its tokens' vectors, normalised: a tokenizer call and a table look-up,
so a query costs well under a millisecond and needs only numpy, tokenizers and safetensors.
Nothing is fetched from anywhere: the files are package data.

    embed(["we run a minibus hire firm"])  -> float32 matrix, one unit-length row per text
"""

from __future__ import annotations

import json
import threading
from array import array
from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

import content

MODEL_DIR = Path(content.__file__).resolve().parent / "models" / "minilm-m2v"
MAX_TOKENS = 256  # a business description is a few sentences; more says little more
DENSE_VOCABULARY = 1024  # distinct words up to which embed_words uses a matrix product


class StaticModel:
    """A model2vec static model: token table + tokenizer, read once."""

    def __init__(self, folder: Path = MODEL_DIR) -> None:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        tensors = load_file(str(folder / "model.safetensors"))
        # Kept as stored (float16: half the memory); rows are widened only when looked up.
        self.table: np.ndarray = tensors["embeddings"]
        self.mapping: np.ndarray | None = tensors.get("mapping")
        self.weights: np.ndarray | None = tensors.get("weights")
        self.normalize = bool(config.get("normalize", True))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        unk = self.tokenizer.token_to_id("[UNK]")
        self.unk = -1 if unk is None else unk
        self.dim = int(self.table.shape[1])

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """WordPiece ids of each text, without special or unknown tokens, at most MAX_TOKENS."""
        if len(texts) == 1:  # no thread pool for one text
            encoded = [self.tokenizer.encode(texts[0], add_special_tokens=False)]
        else:
            encoded = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        unk = self.unk
        return [[i for i in e.ids[:MAX_TOKENS] if i != unk] for e in encoded]

    def embed_ids(self, ids: list[list[int]]) -> np.ndarray:
        """Mean token vector of each id list (a zero row for an empty one), normalised."""
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        filled = np.flatnonzero(lengths)
        if filled.size:
            flat = np.fromiter((i for x in ids for i in x), dtype=np.int64, count=int(lengths.sum()))
            rows = flat if self.mapping is None else self.mapping[flat]
            vectors = self.table[rows].astype(np.float32)
            if self.weights is not None:
                vectors *= self.weights[flat, None].astype(np.float32)
            starts = np.concatenate(([0], np.cumsum(lengths[filled])[:-1]))
            sums = np.add.reduceat(vectors, starts, axis=0)
            out[filled] = sums / lengths[filled, None]
        if self.normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            np.divide(out, norms, out=out, where=norms > 0)
        return out

    def embed_words(self, docs: Iterable[Iterable[str]]) -> np.ndarray:
        """Like embed([" ".join(d) for d in docs]) for docs given as plain lower-case words, but
        each distinct word is tokenized and summed once (a catalogue repeats the same words),
        and the documents are read once, as they come, into compact arrays."""
        vocab: dict[str, int] = {}
        number = vocab.setdefault
        flat = array("i")
        ends = array("q")
        for d in docs:
            flat.extend(number(w, len(vocab)) for w in d)
            ends.append(len(flat))
        n = len(ends)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if not vocab:
            return out
        if self.weights is not None or self.mapping is not None:  # not the shipped model's case
            words = list(vocab)
            ids = np.frombuffer(flat, dtype=np.int32)
            bounds = [0, *ends]
            return self.embed([" ".join(words[j] for j in ids[a:b]) for a, b in pairwise(bounds)])
        word_ids = self.token_ids(list(vocab))
        counts = np.fromiter((len(x) for x in word_ids), dtype=np.float32, count=len(word_ids))
        # Sum of each word's token vectors (the mean is taken per document, over its tokens).
        sums = self._unnormalised(word_ids)
        ids = np.frombuffer(flat, dtype=np.int32)
        stop = np.frombuffer(ends, dtype=np.int64)
        lengths = np.diff(stop, prepend=0)
        # A catalogue written from a few hundred words: a document x word count matrix times the
        # words' sums is one small matrix product per chunk. A large vocabulary: gather and add.
        v = len(vocab)
        dense = v <= DENSE_VOCABULARY
        table = np.hstack([sums, counts[:, None]]) if dense else sums
        batch = max(64, min(512, 500_000 // v)) if dense else 64  # small temporaries
        for start in range(0, n, batch):
            end = min(n, start + batch)
            a, b = (int(stop[start - 1]) if start else 0), int(stop[end - 1])
            chunk_ids, chunk_len = ids[a:b], lengths[start:end]
            if dense:
                rows = np.repeat(np.arange(end - start), chunk_len)
                bag = np.bincount(rows * v + chunk_ids, minlength=(end - start) * v)
                both = bag.reshape(end - start, v).astype(np.float32) @ table
                out[start:end] = both[:, :-1] / np.maximum(both[:, -1:], 1)
                continue
            filled = np.flatnonzero(chunk_len)
            if not filled.size:
                continue
            starts = np.concatenate(([0], np.cumsum(chunk_len[filled])[:-1]))
            total = np.add.reduceat(sums[chunk_ids], starts, axis=0)
            tokens = np.add.reduceat(counts[chunk_ids], starts)
            out[start + filled] = total / np.maximum(tokens, 1)[:, None]
        if self.normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            np.divide(out, norms, out=out, where=norms > 0)
        return out

    def _unnormalised(self, ids: list[list[int]], batch: int = 2048) -> np.ndarray:
        """The sum of each id list's token vectors (zeros for an empty one), in batches so the
        gathered token vectors stay a few MB."""
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            lengths = np.fromiter((len(x) for x in chunk), dtype=np.int64, count=len(chunk))
            filled = np.flatnonzero(lengths)
            if filled.size:
                flat = np.fromiter((i for x in chunk for i in x), dtype=np.int64, count=int(lengths.sum()))
                starts = np.concatenate(([0], np.cumsum(lengths[filled])[:-1]))
                out[start + filled] = np.add.reduceat(self.table[flat].astype(np.float32), starts, axis=0)
        return out

    def embed(self, texts: Sequence[str], batch: int = 512) -> np.ndarray:
        """One unit-length float32 row per text (zeros for a text with no known token)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self.embed_ids(self.token_ids(texts[i : i + batch])) for i in range(0, len(texts), batch)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


_model: StaticModel | None = None
_lock = threading.Lock()


def model() -> StaticModel:
    """The shipped model, loaded once per process (thread-safe: indexes build in threads)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = StaticModel()
    return _model


def embed(texts: Sequence[str]) -> np.ndarray:
    """Normalised float32 embeddings of `texts` (rows in order) with the shipped model."""
    return model().embed(texts)
