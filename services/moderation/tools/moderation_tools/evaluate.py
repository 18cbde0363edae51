"""Measure the shipped classifiers on labelled CSVs: `python -m moderation_tools.evaluate DIR…`.

Every `*.csv` in DIR with the columns `text,label` (and optionally `lang`) is read; the task
comes from the file name's prefix: `toxic_` and `hate_` (label 1 = offensive), `spam_`
(1 = spam), `sentiment_` (negative/neutral/positive), `langid_` (ISO 639-1 code). One JSON object
per file goes to stdout. Binary tasks are scored at the thresholds the default rules use.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from moderation.classify.classifier import Classification, Classifier
from moderation.rules.default import SPAM_HIDE, SPAM_HIDE_QUESTION, TOXIC_FLAG

# Each score is measured at the threshold where the default rules act on it.
BINARY: dict[str, tuple[Callable[[Classification], float], float]] = {
    "toxic": (lambda c: c.toxicity, TOXIC_FLAG),
    "hate": (lambda c: c.toxicity, TOXIC_FLAG),
    "spam": (lambda c: c.spam, SPAM_HIDE),
}
Metrics = dict[str, Any]


def task_of(path: Path) -> str | None:
    prefix = path.name.split("_", 1)[0]
    return prefix if prefix in (*BINARY, "sentiment", "langid") else None


def evaluate_file(path: Path, classifier: Classifier) -> Metrics:
    task = task_of(path)
    if task is None:
        return {
            "file": path.name,
            "skipped": "no task prefix (toxic_, hate_, spam_, sentiment_, langid_)",
        }
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("text") is not None and r.get("label")]
    if not rows:
        return {"file": path.name, "task": task, "skipped": "no rows with text and label"}
    started = time.perf_counter()
    results = classifier.classify_many([r["text"] for r in rows])
    rate = len(rows) / (time.perf_counter() - started)
    languages = sorted({r.get("lang") or "und" for r in rows})
    measured: Metrics = {
        "file": path.name,
        "task": task,
        "language": ",".join(languages),
        "rows": len(rows),
        **_metrics(task, [r["label"] for r in rows], results),
        "classified_per_second": round(rate),
    }
    if len(languages) > 1:
        measured["by_language"] = {
            lang: {
                "rows": len(idx),
                **_metrics(task, [rows[i]["label"] for i in idx], [results[i] for i in idx]),
            }
            for lang in languages
            if (idx := [i for i, r in enumerate(rows) if (r.get("lang") or "und") == lang])
        }
    return measured


def _metrics(task: str, labels: Sequence[str], results: Sequence[Classification]) -> Metrics:
    if task in BINARY:
        score_of, threshold = BINARY[task]
        truth = [int(label) for label in labels]
        scores = [score_of(r) for r in results]
        predicted = [int(s >= threshold) for s in scores]
        return {
            "threshold": threshold,
            "positives": sum(truth),
            # of the texts labelled negative, the share at or over the threshold (for spam: the
            # ordinary comments that would be hidden)
            "negatives_over_threshold": _round(
                sum(p for p, t in zip(predicted, truth, strict=True) if not t)
                / max(1, len(truth) - sum(truth))
            ),
            "precision": _round(precision_score(truth, predicted, zero_division=0)),
            "recall": _round(recall_score(truth, predicted, zero_division=0)),
            "f1": _round(f1_score(truth, predicted, zero_division=0)),
            "roc_auc": _round(roc_auc_score(truth, scores))
            if 0 < sum(truth) < len(truth)
            else None,
            **(_hidden(truth, results) if task == "spam" else {}),
        }
    predicted_labels = [r.sentiment if task == "sentiment" else r.language for r in results]
    classes = sorted(set(labels))
    recalls = recall_score(labels, predicted_labels, labels=classes, average=None, zero_division=0)
    return {
        "accuracy": _round(accuracy_score(labels, predicted_labels)),
        "macro_recall": _round(sum(recalls) / len(classes)),
        "recall_by_class": {c: _round(r) for c, r in zip(classes, recalls, strict=True)},
        "macro_f1": _round(
            f1_score(labels, predicted_labels, labels=classes, average="macro", zero_division=0)
        ),
    }


def _hidden(truth: Sequence[int], results: Sequence[Classification]) -> Metrics:
    """Shares hidden by the default rules, which hide a question only when spam is near certain."""
    hidden = [
        int(c.spam >= SPAM_HIDE and (c.spam >= SPAM_HIDE_QUESTION or "question" not in c.intents))
        for c in results
    ]
    negatives = len(truth) - sum(truth)
    return {
        "negatives_hidden_by_default_rules": _round(
            sum(h for h, t in zip(hidden, truth, strict=True) if not t) / max(1, negatives)
        ),
        "positives_hidden_by_default_rules": _round(
            sum(h for h, t in zip(hidden, truth, strict=True) if t) / max(1, sum(truth))
        ),
    }


def _round(value: float) -> float:
    return round(float(value), 4)


def main(argv: Sequence[str]) -> int:
    if not argv or not all(Path(arg).is_dir() for arg in argv):
        sys.stderr.write(
            "usage: python -m moderation_tools.evaluate DIR [DIR ...]"
            "  (directories of labelled CSVs)\n"
        )
        return 2
    classifier = Classifier()
    for directory in argv:
        for path in sorted(Path(directory).glob("*.csv")):
            sys.stdout.write(json.dumps(evaluate_file(path, classifier), ensure_ascii=False) + "\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
