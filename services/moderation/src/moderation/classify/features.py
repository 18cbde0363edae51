"""What the shared models read of a comment: a static sentence vector, word and character n-grams,
lexicon counts and the words' tone (VADER's, and a French lexicon's for French words), computed
for a whole batch at once.

The static vector is the weighted mean of per-word vectors distilled once from
multilingual-e5-small (`distill` in `moderation_tools.train.pipeline`): each word of the table
was embedded alone by the encoder, so at run time a comment costs a few dictionary look-ups and
one sparse product instead of a transformer pass (thousands of comments a second instead of about
25). A word the table lacks is spelled with the encoder's sub-word pieces the table holds.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from moderation.classify.lexicon import NAMES as LEXICON_NAMES
from moderation.classify.lexicon import lists_holding
from moderation.classify.words import words_of

FloatArray = npt.NDArray[np.float32]
# Beyond this the tone and intent of a comment are set; the cost of n-grams grows with length.
FEATURE_CHARS = 1_000
CHAR_NGRAM_CHARS = 400
# The words' tone (`StaticTable.valence`): mean, most negative, most positive; a negation
# before a word turns its tone.
TONE_FEATURES = ("tone_mean", "tone_min", "tone_max")
# The same from a French lexicon's polarities (`models/fr_tone.tsv`), for French words.
FRENCH_TONE_FEATURES = ("fr_tone_mean", "fr_tone_min", "fr_tone_max")
FRENCH_TONE_FILE = "fr_tone.tsv"
_NEGATIONS = frozenset(
    (
        "not",
        "no",
        "never",
        "don",
        "doesn",
        "didn",
        "isn",
        "aren",
        "wasn",
        "won",
        "ne",
        "pas",
        "jamais",
        "plus",
        "sans",
        "aucun",
        "aucune",
        "rien",
    )
)
HASH_BITS = 18
_LINK = re.compile(
    r"\b(?:https?://|www\.)\S+|(?<!@)\b[a-z0-9-]+\.(?:com|net|org|io|ly|me|gg|xyz|shop|fr)\b/?\S*"
)
_HANDLE = re.compile(r"@\w+")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_NUMBER = re.compile(r"\d{4,}")
_CACHE_MAX = 200_000


class ModelFileError(RuntimeError):
    """A model file the classifier needs is missing or unreadable."""


@dataclass(frozen=True)
class StaticTable:
    words: dict[str, int]
    pieces: dict[str, int]
    vectors: FloatArray  # one row per entry, words first then pieces
    weights: FloatArray  # how much each entry counts in the mean (rare words more)
    valence: FloatArray  # each entry's tone in [-1, 1] (0 for sub-word pieces)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


def load_static_table(path: Path) -> StaticTable:
    """The distilled word vectors `make train-moderation` writes; ModelFileError when unusable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            entries = bytes(data["entries"]).decode("utf-8").split("\n")
            word_count = int(data["word_count"])
            codes = data["codes"].astype(np.float32)
            scales = data["scales"].astype(np.float32)
            weights = data["weights"].astype(np.float32)
            valence = data["valence"].astype(np.float32)
    except (OSError, KeyError, ValueError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"cannot load the static word vectors at {path}: {exc}") from exc
    if not codes.shape[0] == weights.shape[0] == valence.shape[0] == len(entries):
        raise ModelFileError(f"the static word vectors at {path} are inconsistent")
    return StaticTable(
        words={w: i for i, w in enumerate(entries[:word_count])},
        pieces={p: word_count + i for i, p in enumerate(entries[word_count:])},
        vectors=codes * scales[:, None],
        weights=weights,
        valence=valence,
    )


def load_french_tone(path: Path) -> dict[str, float]:
    """The French lexicon's tone per word form; ModelFileError when unusable."""
    tone: dict[str, float] = {}
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line or line.startswith("#"):
                continue
            word, _, value = line.partition("\t")
            tone[word] = float(value)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(f"cannot load the French tone lexicon at {path}: {exc}") from exc
    if not tone:
        raise ModelFileError(f"the French tone lexicon at {path} is empty")
    return tone


def model_text(normalised: str) -> str:
    """What the models read: e-mail addresses, links, handles and long numbers as one token
    each, cut short."""
    text = normalised[:FEATURE_CHARS]
    text = _EMAIL.sub(" xxemail ", text)
    text = _LINK.sub(" xxlink ", text)
    text = _HANDLE.sub(" xxhandle ", text)
    return _NUMBER.sub(" xxnumber ", text)


class Featurizer:
    """Turns undisguised, normalised texts into the models' feature matrix."""

    def __init__(self, table: StaticTable, french_tone: dict[str, float]) -> None:
        self.table = table
        self._french_tone = french_tone
        self._spelled: dict[str, tuple[tuple[int, ...], tuple[int, ...], float]] = {}
        self._words = HashingVectorizer(
            n_features=2**HASH_BITS,
            analyzer="word",
            token_pattern=r"(?u)\b\w+\b",  # noqa: S106 (a regular expression, not a secret)
            ngram_range=(1, 2),
            alternate_sign=False,
            norm="l2",
            lowercase=False,
            dtype=np.float32,
        )
        self._chars = HashingVectorizer(
            n_features=2**HASH_BITS,
            analyzer="char_wb",
            ngram_range=(3, 5),
            alternate_sign=False,
            norm="l2",
            lowercase=False,
            dtype=np.float32,
        )

    @property
    def dense_width(self) -> int:
        return (
            self.table.dim + len(LEXICON_NAMES) + 3 + len(TONE_FEATURES) + len(FRENCH_TONE_FEATURES)
        )

    def spell(self, word: str) -> tuple[int, ...]:
        """The table entries a word reads as: itself, or sub-word pieces, longest first."""
        return self._word(word)[0]

    def _word(self, word: str) -> tuple[tuple[int, ...], tuple[int, ...], float]:
        """The word's table entries, the lexicon lists holding it and its French tone (cached)."""
        found = self._spelled.get(word)
        if found is not None:
            return found
        index = self.table.words.get(word)
        entries = (index,) if index is not None else self._pieces_of(word)
        found = (entries, lists_holding(word), self._french_tone.get(word, 0.0))
        if len(self._spelled) < _CACHE_MAX and len(word) <= 40:
            self._spelled[word] = found
        return found

    def _pieces_of(self, word: str) -> tuple[int, ...]:
        word = word[:40]
        out: list[int] = []
        start = 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end]
                index = (
                    self.table.words.get(piece) if start == 0 else None
                ) or self.table.pieces.get(piece)
                if index is not None:
                    out.append(index)
                    start = end
                    break
            else:
                start += 1  # a character no entry holds (another script): skipped
        return tuple(out)

    def dense(self, texts: Sequence[str]) -> FloatArray:
        """Static vector, lexicon counts, and length / shouting / link shares: one row a text."""
        rows: list[int] = []
        cols: list[int] = []
        extra = np.zeros((len(texts), len(LEXICON_NAMES) + 3), dtype=np.float32)
        lists = len(LEXICON_NAMES)
        hits = np.zeros((len(texts), lists), dtype=np.float32)
        tone = np.zeros((len(texts), len(TONE_FEATURES)), dtype=np.float32)
        french = np.zeros((len(texts), len(FRENCH_TONE_FEATURES)), dtype=np.float32)
        valence = self.table.valence
        for row, text in enumerate(texts):
            words = words_of(text)
            tones: list[float] = []
            french_tones: list[float] = []
            turned = 0
            for word in words:
                entries, held, french_value = self._word(word)
                for index in entries:
                    rows.append(row)
                    cols.append(index)
                if any(held):
                    hits[row] += held
                if word in _NEGATIONS:
                    turned = 3  # the next three words
                    continue
                value = float(valence[entries[0]]) if len(entries) == 1 else 0.0
                if value:
                    tones.append(-value if turned else value)
                if french_value:
                    french_tones.append(-french_value if turned else french_value)
                turned = max(0, turned - 1)
            if tones:
                tone[row] = (sum(tones) / len(tones), min(tones), max(tones))
            if french_tones:
                french[row] = (
                    sum(french_tones) / len(french_tones),
                    min(french_tones),
                    max(french_tones),
                )
            extra[row, lists] = np.log1p(len(words)) / 5
            extra[row, lists + 1] = min(text.count("xxlink"), 3) / 3
            extra[row, lists + 2] = 1.0 if not words else 0.0
        extra[:, :lists] = np.log1p(hits)
        weights = self.table.weights[np.asarray(cols, dtype=np.int64)] if cols else np.zeros(0)
        bag = sparse.csr_matrix(
            (weights, (rows, cols)),
            shape=(len(texts), self.table.vectors.shape[0]),
            dtype=np.float32,
        )
        pooled = np.asarray(bag @ self.table.vectors, dtype=np.float32)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        pooled /= np.maximum(norms, 1e-6)
        return np.hstack([pooled, extra, tone, french])

    def ngrams(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Hashed word uni- and bigrams beside character 3- to 5-grams within words."""
        return sparse.hstack(
            [
                self._words.transform(texts),
                self._chars.transform([text[:CHAR_NGRAM_CHARS] for text in texts]),
            ],
            format="csr",
        )
