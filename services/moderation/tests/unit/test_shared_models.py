"""The shared models: trained deterministically, shipped in the package, refused when broken."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from moderation.classify import Classifier
from moderation.classify.classifier import HEADS_FILE, MODELS_DIR, STATIC_FILE
from moderation.classify.features import (
    FRENCH_TONE_FILE,
    Featurizer,
    ModelFileError,
    load_french_tone,
    load_static_table,
)
from moderation.classify.heads import load_heads, save_heads
from moderation.classify.signals import signals_of
from moderation.classify.spam import SpamShift, carries_contact, head_spam
from moderation.rules.default import SPAM_HIDE, SPAM_HIDE_QUESTION
from moderation_tools.train import spam_shift
from moderation_tools.train.matrix import Row, featurize
from moderation_tools.train.ordinary import ordinary_comments
from moderation_tools.train.pipeline import train_heads, written_rows

SPAM = (
    "Buy cheap followers now at {n}smm.shop",
    "BITCOIN giveaway, send 0.1 BTC get 0.2 back t.me/drop{n}",
    "check out my channel, new video every day {n}",
    "Earn ${n}00 a day from home, DM me on WhatsApp",
)
HAM = (
    "Is the blue hoodie back in stock? Order {n}",
    "My parcel {n} never arrived, can you help?",
    "Love the new colours, thank you!",
    "Do you ship to Lyon? I would take {n}",
)


def _sample() -> list[Row]:
    """Every 8th written example and a few spam/ham rows: small enough to train in seconds."""
    rows = written_rows()[::8]
    for n in range(12):
        rows += [Row(t.format(n=n), "en", f"spam{i}", spam=1) for i, t in enumerate(SPAM)]
        rows += [Row(t.format(n=n), "en", f"ham{i}", spam=0) for i, t in enumerate(HAM)]
    return rows


def _margin(head, comments):
    return head.decision(comments.matrix.dense, comments.matrix.ngrams)[:, 0]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def featurizer() -> Featurizer:
    return Featurizer(
        load_static_table(MODELS_DIR / STATIC_FILE),
        load_french_tone(MODELS_DIR / FRENCH_TONE_FILE),
    )


@pytest.fixture(scope="module")
def sample(featurizer):
    """The sample's rows and features, and the written ordinary comments."""
    rows = _sample()
    return rows, featurize(featurizer, rows), spam_shift.ordinary(featurizer)


def _train(rows, matrix, ordinary):
    """Heads trained on the sample, and the spam shift chosen for them."""
    heads = train_heads(matrix, rows, matrix.dense.shape[1])
    return heads, spam_shift.choose_shift(_margin(heads["spam"], ordinary), ordinary)


@pytest.fixture(scope="module")
def trained(sample):
    """One training on the sample, shared by the tests that only read what it made."""
    return _train(*sample)


class TestTraining:
    def test_the_same_sample_trains_the_same_heads(self, featurizer, sample, trained, tmp_path):
        rows = _sample()
        again = _train(rows, featurize(featurizer, rows), sample[2])
        paths = []
        for run, (heads, shift) in (("a", trained), ("b", again)):
            path = tmp_path / f"{run}.npz"
            save_heads(path, "test", heads, {"rows": len(rows)}, spam_shift=shift)
            paths.append(path)

        assert _digest(paths[0]) == _digest(paths[1])

    def test_heads_trained_on_the_sample_separate_what_they_learned(
        self, sample, trained, tmp_path
    ):
        rows, matrix, _ = sample
        heads, _ = trained
        save_heads(tmp_path / "heads.npz", "test", heads, {}, spam_shift=SpamShift())
        loaded = load_heads(tmp_path / "heads.npz", required=["spam", "threat"])

        spam = [i for i, r in enumerate(rows) if r.spam >= 0]
        scores = loaded["spam"].probability(matrix.dense[spam], matrix.ngrams[spam])
        labels = np.asarray([rows[i].spam for i in spam])
        assert scores[labels == 1].min() > scores[labels == 0].max()
        threat = [i for i, r in enumerate(rows) if r.kinds[1] == 1]
        assert (
            loaded["threat"].probability(matrix.dense[threat], matrix.ngrams[threat]).mean() > 0.5
        )

    def test_the_shipped_files_are_small_and_name_their_training_data(self):
        sizes = [(MODELS_DIR / name).stat().st_size for name in (STATIC_FILE, HEADS_FILE)]
        heads = load_heads(MODELS_DIR / HEADS_FILE, required=[])

        assert sum(sizes) < 8 * 2**20
        assert any("CC BY 4.0" in str(source) for source in heads.info["trained_on"])  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def chosen(sample, trained):
    """The sample's spam head: its margins on the written ordinary comments and its shifts."""
    _, _, ordinary = sample
    heads, shift = trained
    return _margin(heads["spam"], ordinary), ordinary, shift


class TestSpamShift:
    def test_the_head_hides_at_most_half_a_percent_of_the_written_comments_beyond_the_clues(
        self, chosen
    ):
        margin, ordinary, shift = chosen
        by_head = spam_shift.hidden(spam_shift.spam_scores(margin, ordinary, shift), ordinary)
        by_clues = spam_shift.hidden(ordinary.clues, ordinary)

        assert shift.linked <= 0 <= shift.bare
        assert (by_head & ~by_clues).sum() <= int(0.005 * len(ordinary.signals))

    def test_the_shift_for_comments_without_a_link_is_the_largest_that_keeps_to_the_budget(
        self, chosen
    ):
        margin, ordinary, shift = chosen
        bare = np.asarray([not carries_contact(s) for s in ordinary.signals])
        allowed = (spam_shift.hidden(ordinary.clues, ordinary) & bare).sum() + int(
            0.005 * len(bare)
        )
        larger = SpamShift(bare=round(shift.bare + 0.1, 1), linked=shift.linked)
        hidden = spam_shift.hidden(spam_shift.spam_scores(margin, ordinary, larger), ordinary)

        assert shift.bare == spam_shift.UP[-1] or (hidden & bare).sum() > allowed

    def test_each_comment_gets_the_shift_of_what_it_carries(self):
        signals = [signals_of(t) for t in ("sub to my channel", "see https://x.example.com/a")]
        margins = np.zeros(2, dtype=np.float32)

        bare, linked = head_spam(margins, signals, SpamShift(bare=2.0, linked=-2.0))

        assert bare == pytest.approx(1 / (1 + np.exp(-2.0)))
        assert linked == pytest.approx(1 / (1 + np.exp(2.0)))

    def test_the_shipped_classifier_hides_few_of_the_written_ordinary_comments(self):
        texts = [text for text, _ in ordinary_comments()]
        results = Classifier().classify_many(texts)
        hidden = [
            r.spam >= SPAM_HIDE and (r.spam >= SPAM_HIDE_QUESTION or "question" not in r.intents)
            for r in results
        ]

        assert sum(hidden) <= 0.005 * len(texts)


class TestBrokenModelFiles:
    def test_a_missing_model_file_is_a_clear_error(self, tmp_path):
        with pytest.raises(ModelFileError, match=r"static word vectors at .*static\.npz"):
            Classifier(tmp_path)

    def test_a_corrupt_model_file_is_a_clear_error(self, tmp_path):
        (tmp_path / STATIC_FILE).write_bytes((MODELS_DIR / STATIC_FILE).read_bytes())
        (tmp_path / HEADS_FILE).write_bytes(b"PK\x03\x04 not really a zip")
        with pytest.raises(ModelFileError, match="heads"):
            Classifier(tmp_path)

    def test_heads_written_before_the_spam_shifts_are_a_clear_error(self, tmp_path):
        with np.load(MODELS_DIR / HEADS_FILE, allow_pickle=False) as shipped:
            older = {name: shipped[name] for name in shipped.files if name != "spam_shift"}
        np.savez_compressed(tmp_path / HEADS_FILE, **older)

        with pytest.raises(ModelFileError, match="spam_shift"):
            load_heads(tmp_path / HEADS_FILE, required=[])

    def test_a_missing_french_tone_lexicon_is_a_clear_error(self, tmp_path):
        for name in (STATIC_FILE, HEADS_FILE):
            (tmp_path / name).write_bytes((MODELS_DIR / name).read_bytes())
        with pytest.raises(ModelFileError, match=r"French tone lexicon at .*fr_tone\.tsv"):
            Classifier(tmp_path)

    def test_the_worker_stops_at_start_without_its_models(self, tmp_path):
        env = {
            **os.environ,
            "MODERATION_MODELS_DIR": str(tmp_path / "nowhere"),
            # never reached: the worker stops before it connects to anything
            "DATABASE_URL": "postgresql+asyncpg://beacon@127.0.0.1:9/beacon",
            "KAFKA_BOOTSTRAP": "127.0.0.1:9",
        }
        done = subprocess.run(
            [sys.executable, "-m", "moderation.worker"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

        assert done.returncode == 3
        assert "moderation worker not started" in done.stderr
        assert "static word vectors" in done.stderr
