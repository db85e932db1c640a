"""The shipped sentence-embedding model: in the package, loaded offline, fast, and meaningful."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from handlers.engines import semantic


def test_model_files_and_licence_ship_together() -> None:
    folder = semantic.MODEL_DIR
    for name in ("model.safetensors", "tokenizer.json", "config.json", "LICENSE", "NOTICE.md"):
        assert (folder / name).is_file(), name
    assert "Apache License" in (folder / "LICENSE").read_text()
    notice = (folder / "NOTICE.md").read_text()
    assert "all-MiniLM-L6-v2" in notice and "model2vec" in notice
    config = json.loads((folder / "config.json").read_text())
    assert config["teacher"] == "sentence-transformers/all-MiniLM-L6-v2"
    size = (folder / "model.safetensors").stat().st_size
    assert size < 20_000_000  # float16, 256 dimensions


def test_embed_gives_unit_rows_in_order() -> None:
    texts = ["we run a minibus hire firm", "", "food hubs for local producers"]
    out = semantic.embed(texts)
    assert out.dtype == np.float32 and out.shape == (3, semantic.model().dim)
    norms = np.linalg.norm(out, axis=1)
    assert np.allclose(norms[[0, 2]], 1.0, atol=1e-5) and norms[1] == 0.0
    assert np.allclose(semantic.embed(texts[2:]), out[2:], atol=1e-6)  # batching changes nothing
    assert semantic.embed([]).shape == (0, semantic.model().dim)


def test_meaning_not_spelling() -> None:
    vectors = semantic.embed([
        "minibus hire with online booking",
        "community transport and shared vehicles",
        "surplus vegetables turned into cheap meals",
        "local food producers and neighbourhood food hubs",
    ])
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 3]
    assert sims[2, 3] > sims[2, 1]


def test_a_query_costs_well_under_a_millisecond() -> None:
    semantic.embed(["warm up"])
    query = ["our community kitchen turns surplus veg into cheap meals for families"]
    times = []
    for _ in range(50):
        started = time.perf_counter()
        semantic.embed(query)
        times.append(time.perf_counter() - started)
    assert sorted(times)[25] < 0.001


def test_no_torch_at_run_time() -> None:
    import sys

    semantic.embed(["anything"])
    assert "torch" not in sys.modules and "model2vec" not in sys.modules


def test_word_lists_embed_as_their_sentences() -> None:
    docs = [["minibus", "hire", "booking"], [], ["food", "hubs", "food", "urban", "farm"]]
    joined = semantic.embed([" ".join(d) for d in docs])
    assert np.allclose(semantic.model().embed_words(docs), joined, atol=1e-5)


def test_word_lists_embed_alike_with_a_large_vocabulary(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [["minibus", "hire", "booking"], [], ["food", "hubs", "food", "urban", "farm"]]
    dense = semantic.model().embed_words(docs)
    monkeypatch.setattr(semantic, "DENSE_VOCABULARY", 2)
    assert np.allclose(semantic.model().embed_words(docs), dense, atol=1e-5)


def test_run_time_dependencies_are_light() -> None:
    """numpy, tokenizers and safetensors at run time; torch and model2vec only to rebuild."""
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    deps = " ".join(project["project"]["dependencies"]).lower()
    assert all(name in deps for name in ("numpy", "tokenizers", "safetensors"))
    assert "torch" not in deps and "model2vec" not in deps
    assert "models/*/*" in project["tool"]["setuptools"]["package-data"]["content"]
