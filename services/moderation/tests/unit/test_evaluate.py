"""The evaluation command reads any directory of labelled CSVs laid out like the shared datasets."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from moderation.classify import Classifier
from moderation_tools.evaluate import evaluate_file, main


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_binary_file_gets_precision_recall_f1_and_auc(tmp_path, classifier):
    path = write(
        tmp_path / "spam_mine.csv",
        [
            {"text": "Most trustable smm panel on market ... cheaper price", "label": "1"},
            {"text": "check out my channel and subscribe http://x.example.com", "label": "1"},
            {"text": "Is the blue one back in stock?", "label": "0"},
            {"text": "Love this song", "label": "0"},
        ],
    )

    result = evaluate_file(path, classifier)

    assert (result["task"], result["rows"], result["positives"]) == ("spam", 4, 2)
    assert (result["precision"], result["recall"], result["f1"], result["roc_auc"]) == (1, 1, 1, 1)
    assert result["language"] == "und"  # no lang column


def test_a_multilingual_file_is_also_measured_per_language(tmp_path, classifier):
    path = write(
        tmp_path / "langid_two.csv",
        [
            {"text": "Where is my order? It has been two weeks.", "label": "en", "lang": "en"},
            {"text": "Où est ma commande ? Cela fait deux semaines.", "label": "fr", "lang": "fr"},
        ],
    )

    result = evaluate_file(path, classifier)

    assert result["accuracy"] == 1.0
    assert set(result["by_language"]) == {"en", "fr"}
    assert result["by_language"]["fr"]["rows"] == 1


def test_sentiment_reports_macro_recall_over_the_classes_present(tmp_path, classifier):
    path = write(
        tmp_path / "sentiment_x.csv",
        [
            {"text": "I love it, thank you!", "label": "positive"},
            {"text": "This is awful, I hate it", "label": "negative"},
            {"text": "The shop opens at nine", "label": "neutral"},
        ],
    )

    result = evaluate_file(path, classifier)

    assert result["macro_recall"] == 1.0
    assert set(result["recall_by_class"]) == {"negative", "neutral", "positive"}


def test_unknown_prefixes_and_empty_files_are_reported_not_fatal(tmp_path, capsys):
    write(tmp_path / "notes_misc.csv", [{"text": "hello", "label": "1"}])
    write(tmp_path / "toxic_empty.csv", [{"text": "", "label": ""}])
    write(tmp_path / "toxic_one.csv", [{"text": "you are an idiot", "label": "1"}])

    assert main([str(tmp_path)]) == 0

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == [
        "notes_misc.csv",
        "toxic_empty.csv",
        "toxic_one.csv",
    ]
    assert "skipped" in lines[0]
    assert "skipped" in lines[1]
    assert lines[2]["roc_auc"] is None  # one class only: no AUC, but no crash
    assert lines[2]["recall"] == 1.0


def test_a_missing_directory_is_a_usage_error(tmp_path):
    assert main([str(tmp_path / "nowhere")]) == 2


def test_a_spam_file_reports_what_the_default_rules_would_hide(tmp_path, classifier):
    path = write(
        tmp_path / "spam_ordinary.csv",
        [
            {"text": "Here is my order page https://shop.example.com/orders/55120", "label": "0"},
            {"text": "Could you follow up on my refund? Order 48213", "label": "0"},
            {"text": "Buy real Instagram followers cheap at smm-panel.shop", "label": "1"},
        ],
    )

    result = evaluate_file(path, classifier)

    assert result["negatives_over_threshold"] == 0.0
    assert result["negatives_hidden_by_default_rules"] == 0.0
    assert result["positives_hidden_by_default_rules"] == 1.0
