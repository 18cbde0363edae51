"""The shared classifier's trained heads: linear models over `Featurizer`'s features.

Stored without pickle in one `.npz`: per head its dense weights, the non-zero n-gram weights
(indices and values), its intercept(s) and class names; the spam head's shifts; a JSON header
names the heads, the version and the data they were trained on.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

from moderation.classify.features import ModelFileError
from moderation.classify.spam import SpamShift

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Head:
    """One linear model: binary (one class, the positive) or multinomial (a row per class)."""

    classes: tuple[str, ...]
    dense: FloatArray  # (rows, dense width + extra inputs)
    ngrams: sparse.csr_matrix  # (rows, n-gram width)
    intercept: FloatArray  # (rows,)

    def decision(self, dense: FloatArray, ngrams: sparse.csr_matrix) -> FloatArray:
        """Raw margins, one column per row of weights."""
        margin = dense @ self.dense.T + np.asarray((ngrams @ self.ngrams.T).todense())
        return np.asarray(margin + self.intercept, dtype=np.float32)

    def probability(self, dense: FloatArray, ngrams: sparse.csr_matrix) -> FloatArray:
        """Binary: P(positive) per text. Multinomial: a row of class probabilities per text."""
        margin = self.decision(dense, ngrams)
        if len(self.classes) == 1:
            return np.asarray(1.0 / (1.0 + np.exp(-margin[:, 0])), dtype=np.float32)
        shifted = np.exp(margin - margin.max(axis=1, keepdims=True))
        return np.asarray(shifted / shifted.sum(axis=1, keepdims=True), dtype=np.float32)


@dataclass(frozen=True)
class Heads:
    version: str
    heads: Mapping[str, Head]
    info: Mapping[str, object]
    spam_shift: SpamShift

    def __getitem__(self, name: str) -> Head:
        return self.heads[name]


def save_heads(
    path: Path,
    version: str,
    heads: Mapping[str, Head],
    info: Mapping[str, object],
    *,
    spam_shift: SpamShift,
) -> None:
    arrays: dict[str, npt.NDArray[np.generic]] = {
        "spam_shift": np.asarray([spam_shift.bare, spam_shift.linked], dtype=np.float64)
    }
    for name, head in heads.items():
        coo = head.ngrams.tocoo()
        arrays[f"{name}.dense"] = head.dense.astype(np.float32)
        arrays[f"{name}.rows"] = coo.row.astype(np.int8)
        arrays[f"{name}.cols"] = coo.col.astype(np.int32)
        arrays[f"{name}.values"] = coo.data.astype(np.float16)
        arrays[f"{name}.intercept"] = head.intercept.astype(np.float32)
        arrays[f"{name}.width"] = np.asarray([head.ngrams.shape[1]], dtype=np.int64)
    header = {
        "version": version,
        "heads": {name: list(head.classes) for name, head in heads.items()},
        "info": info,
    }
    arrays["header"] = np.frombuffer(
        json.dumps(header, sort_keys=True, ensure_ascii=False).encode(), dtype=np.uint8
    )
    with path.open("wb") as handle:
        np.savez_compressed(handle, allow_pickle=False, **arrays)


def load_heads(path: Path, *, required: Sequence[str]) -> Heads:
    """The heads `make train-moderation` writes; ModelFileError when missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            heads = {}
            for name, classes in header["heads"].items():
                rows = len(classes)
                width = int(data[f"{name}.width"][0])
                ngrams = sparse.csr_matrix(
                    (
                        data[f"{name}.values"].astype(np.float32),
                        (data[f"{name}.rows"].astype(np.int64), data[f"{name}.cols"]),
                    ),
                    shape=(rows, width),
                )
                heads[name] = Head(
                    classes=tuple(classes),
                    dense=data[f"{name}.dense"].astype(np.float32),
                    ngrams=ngrams,
                    intercept=data[f"{name}.intercept"].astype(np.float32),
                )
            bare, linked = (float(v) for v in data["spam_shift"])
            spam_shift = SpamShift(bare=bare, linked=linked)
    except (OSError, KeyError, ValueError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"cannot load the classifier's heads at {path}: {exc}") from exc
    missing = [name for name in required if name not in heads]
    if missing:
        raise ModelFileError(f"the heads at {path} lack {', '.join(missing)}")
    return Heads(
        version=str(header["version"]),
        heads=heads,
        info=header.get("info", {}),
        spam_shift=spam_shift,
    )
