"""Training a brand's model: the minimum of labels, a brand-specific pattern the shared classifier
misses, the threshold, and the stored form of the weights."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from moderation.classify import Classifier
from moderation.learning.features import FeatureConfig, featuriser_for
from moderation.learning.training import MIN_PER_LABEL, LinearModel, train
from moderation.rules.default import SPAM_HIDE, TOXIC_FLAG

# A brand whose moderators remove comments naming a competitor: nothing toxic or spammy.
COMPETITORS = ("Fizzbolt", "Zestra", "Kolaroo", "Bubblix")
FLAVOURS = ("lemon", "cherry", "mango", "lime", "peach", "vanilla")
REMOVED = (
    "{c} is so much better than this",
    "just switch to {c}, it is cheaper",
    "everyone should try {c} instead",
    "{c} tastes better honestly",
    "I only buy {c} now",
    "the new {c} {f} drink is great",
    "{c} {f} beats yours",
    "my kids prefer {c}",
)
# The same words as the removed comments, without a competitor: only the names tell them apart.
KEPT = (
    "the {f} is so much better than last year",
    "just switch to the {f} pack, it is cheaper",
    "everyone should try the {f} one",
    "the {f} tastes better honestly",
    "I only buy the {f} now",
    "the new {f} drink is great",
    "my kids prefer the {f}",
    "where can I buy the {f} pack?",
    "my order has not arrived yet, can you help?",
)
# Sentences the model never saw, naming the same competitors.
UNSEEN_REMOVED = (
    "honestly Fizzbolt wins every time",
    "Zestra has a mango version that is nicer",
    "we switched the office fridge to Kolaroo",
    "Bubblix sponsors my favourite team",
)
UNSEEN_KEPT = (
    "is the cherry one back in stock?",
    "what a lovely bottle design",
    "the cherry tastes a bit sweet to me",
    "can I order a crate for a party?",
)


def brand_labels(removes: int, keeps: int, *, seed: int = 7) -> tuple[list[str], list[bool]]:
    """`removes` competitor mentions and `keeps` ordinary comments, shuffled."""
    rng = random.Random(seed)
    removed = [t.format(c=c, f=f) for t, c, f in _drawn(rng, REMOVED, COMPETITORS, removes)]
    kept = [t.format(f=f) for t, _, f in _drawn(rng, KEPT, ("",), keeps)]
    pairs = [(text, True) for text in removed] + [(text, False) for text in kept]
    rng.shuffle(pairs)
    return [text for text, _ in pairs], [remove for _, remove in pairs]


def _drawn(rng, templates, names, count):
    combos = list(itertools.product(templates, names, FLAVOURS))
    rng.shuffle(combos)
    return itertools.islice(itertools.cycle(combos), count)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


@pytest.fixture(scope="module")
def trained(classifier):
    texts, remove = brand_labels(60, 60)
    result = train(texts, classifier.classify_many(texts), remove)
    assert result is not None
    return result


class TestMinimum:
    def test_below_the_minimum_of_either_label_nothing_is_trained(self, classifier):
        texts, remove = brand_labels(MIN_PER_LABEL - 1, 100)

        assert train(texts, classifier.classify_many(texts), remove) is None

    def test_at_the_minimum_of_each_label_a_model_is_trained(self, classifier):
        texts, remove = brand_labels(MIN_PER_LABEL, MIN_PER_LABEL)

        result = train(texts, classifier.classify_many(texts), remove)

        assert result is not None
        assert (result.removes, result.keeps) == (MIN_PER_LABEL, MIN_PER_LABEL)


class TestBrandPattern:
    def test_the_shared_classifier_lets_competitor_mentions_through(self, classifier):
        results = classifier.classify_many(list(UNSEEN_REMOVED))

        assert all(r.toxicity < TOXIC_FLAG and r.spam < SPAM_HIDE for r in results)

    def test_the_brand_model_removes_unseen_competitor_mentions_and_keeps_the_rest(
        self, classifier, trained
    ):
        model = trained.model
        removed = model.scores(UNSEEN_REMOVED, classifier.classify_many(list(UNSEEN_REMOVED)))
        kept = model.scores(UNSEEN_KEPT, classifier.classify_many(list(UNSEEN_KEPT)))

        assert min(removed) >= model.threshold > max(kept)

    def test_cross_validation_is_reported_with_the_threshold(self, trained):
        metrics = trained.metrics

        assert metrics.folds == 5
        assert 0.0 < trained.model.threshold < 1.0
        assert metrics.f1 >= 0.9
        assert metrics.roc_auc >= 0.9


class TestStoredForm:
    def test_weights_read_back_from_bytes_score_the_same(self, classifier, trained):
        model = trained.model
        again = LinearModel.from_bytes(
            config=FeatureConfig.model_validate(model.config.model_dump(mode="json")),
            index=model.index_bytes(),
            value=model.value_bytes(),
            intercept=model.intercept,
            threshold=model.threshold,
        )
        texts = [*UNSEEN_REMOVED, *UNSEEN_KEPT]
        classifications = classifier.classify_many(texts)

        assert again.scores(texts, classifications) == model.scores(texts, classifications)

    def test_sparse_scoring_equals_the_dense_dot_product(self, classifier, trained):
        model = trained.model
        texts = [*UNSEEN_REMOVED, *UNSEEN_KEPT, "", "🔥🔥🔥"]
        features = featuriser_for(model.config).transform(texts, classifier.classify_many(texts))
        weights = np.zeros(model.config.width)
        weights[model.indices] = model.values
        expected = 1 / (1 + np.exp(-(features @ weights + model.intercept)))

        assert model.scores_of(features) == pytest.approx(list(expected), abs=1e-9)

    def test_only_non_zero_weights_are_kept(self, trained):
        model = trained.model

        assert len(model.indices) == len(model.values) < model.config.width
        assert np.all(model.values != 0)
        assert np.all(np.diff(model.indices) > 0)

    def test_no_text_gets_no_score(self, trained):
        assert trained.model.scores([], []) == []
