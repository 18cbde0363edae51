"""The effect of per-brand models, measured: `python -m moderation_tools.evaluate_learning DIR`.

For every `spam_*`, `toxic_*` and `hate_*` CSV in DIR (columns `text,label`, label 1 = remove),
the rows are split in two halves, stratified, with a fixed seed. Labels drawn from the first half
(a stratified draw of 50, 200, 1,000 rows and the whole half) are imported as one brand's labels
through the CSV import (`service.import_labels`) into a real PostgreSQL, trained by the function
the worker's job runs (`jobs.retrain_brand`) and loaded as the scoring path loads them
(`service.BrandModels`). Each model is then measured on the second half, against the shared
classifier alone at the threshold the default rules act on, and against the shared score with a
threshold tuned on the same labels. One JSON object per file and size goes to stdout, a Markdown
table to stderr.

PostgreSQL is an embedded throw-away server unless `--database-url` names one (it is migrated,
and the experiment's rows are left under a tenant of their own). The datasets stay where they are
and the models are never written anywhere but that database.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split

import beacon_shared
import moderation
from beacon_shared.db import create_engine, create_sessionmaker
from beacon_shared.logging import configure_logging
from beacon_shared.migrations import upgrade
from moderation.classify import Classification, Classifier
from moderation.learning import jobs, service
from moderation.learning.training import best_threshold
from moderation_tools.evaluate import BINARY

SEED = 20261124
SIZES = ("50", "200", "1000", "all")
TASKS = ("spam", "toxic", "hate")
SCORING_BATCH = 500
# The platform's schemas first (moderation's migrations read its brand registry), then moderation's.
ALEMBIC_INIS = (
    Path(beacon_shared.__file__).resolve().parents[2] / "alembic.ini",
    Path(moderation.__file__).resolve().parents[2] / "alembic.ini",
)
Result = dict[str, Any]


def _rows(path: Path) -> tuple[list[str], list[int]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("text") and r.get("label")]
    return [r["text"] for r in rows], [int(r["label"]) for r in rows]


def _csv(texts: Sequence[str], labels: Sequence[int]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "label"])
    writer.writerows(zip(texts, labels, strict=True))
    return out.getvalue().encode()


def _measured(truth: Sequence[int], scores: Sequence[float], threshold: float) -> Result:
    predicted = [int(s >= threshold) for s in scores]
    return {
        "threshold": round(threshold, 4),
        "precision": round(float(precision_score(truth, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(truth, predicted, zero_division=0)), 4),
        "f1": round(float(f1_score(truth, predicted, zero_division=0)), 4),
        "roc_auc": round(float(roc_auc_score(truth, scores)), 4),
    }


async def run_file(
    path: Path,
    *,
    classifier: Classifier,
    sessionmaker: Any,
    tenant_id: str,
    sizes: Sequence[str],
) -> list[Result]:
    """Train and measure one file's brands; one result per size."""
    task = path.name.split("_", 1)[0]
    texts, labels = _rows(path)
    train_rows, test_rows = train_test_split(
        np.arange(len(labels)), test_size=0.5, stratify=labels, random_state=SEED
    )
    classified = classifier.classify_many(texts)
    shared_score, shared_threshold = BINARY[task]
    truth = [labels[i] for i in test_rows]
    test_texts = [texts[i] for i in test_rows]
    test_classified = [classified[i] for i in test_rows]
    shared = _measured(truth, [shared_score(c) for c in test_classified], shared_threshold)
    results = []
    for size in sizes:
        if size != "all" and int(size) >= len(train_rows):
            continue  # the whole half: measured as "all"
        if size == "all":
            drawn = list(train_rows)
        else:
            drawn, _ = train_test_split(
                train_rows,
                train_size=int(size),
                stratify=[labels[i] for i in train_rows],
                random_state=SEED,
            )
        brand_id = f"{path.stem}-{size}"
        result: Result = {"file": path.name, "task": task, "labels": size, "brand_id": brand_id}
        result |= await _brand(
            drawn,
            texts=texts,
            labels=labels,
            classified=classified,
            sessionmaker=sessionmaker,
            classifier=classifier,
            tenant_id=tenant_id,
            brand_id=brand_id,
        )
        threshold, _ = best_threshold(
            np.array([labels[i] == 1 for i in drawn]),
            np.array([shared_score(classified[i]) for i in drawn]),
        )
        # Datasets repeat texts (spam most of all): held-out rows whose text is among the labels
        # are measured apart too, since a model may just remember them.
        labelled = {service.text_digest(texts[i]) for i in drawn}
        unseen = [service.text_digest(text) not in labelled for text in test_texts]
        result["held_out"] = {
            "rows": len(truth),
            "positives": sum(truth),
            "text_among_labels": unseen.count(False),
        }
        result["shared"] = shared
        result["shared_tuned"] = _measured(
            truth, [shared_score(c) for c in test_classified], threshold
        )
        result["brand"] = await _held_out(
            sessionmaker, tenant_id, brand_id, truth, test_texts, test_classified, unseen
        )
        results.append(result)
    return results


async def _brand(
    drawn: Sequence[int],
    *,
    texts: Sequence[str],
    labels: Sequence[int],
    classified: Sequence[Classification],
    sessionmaker: Any,
    classifier: Classifier,
    tenant_id: str,
    brand_id: str,
) -> Result:
    data = _csv([texts[i] for i in drawn], [labels[i] for i in drawn])
    started = time.perf_counter()
    async with sessionmaker() as session, session.begin():
        imported = await service.import_labels(
            session, tenant_id=tenant_id, brand_id=brand_id, data=data, labelled_by="experiment"
        )
    import_seconds = time.perf_counter() - started
    started = time.perf_counter()
    version = await jobs.retrain_brand(
        sessionmaker, tenant_id=tenant_id, brand_id=brand_id, classifier=classifier
    )
    return {
        "imported": imported.labels.model_dump(),
        "import_seconds": round(import_seconds, 2),
        "trained": version is not None,
        "train_seconds": round(time.perf_counter() - started, 2),
    }


async def _held_out(
    sessionmaker: Any,
    tenant_id: str,
    brand_id: str,
    truth: Sequence[int],
    texts: Sequence[str],
    classified: Sequence[Classification],
    unseen: Sequence[bool],
) -> Result | None:
    models = service.BrandModels()
    async with sessionmaker() as session:
        model = await models.get(session, tenant_id=tenant_id, brand_id=brand_id)
        if model is None:
            return None
        started = time.perf_counter()
        scores: list[float] = []
        for start in range(0, len(texts), SCORING_BATCH):
            batch = await models.score_many(
                session,
                tenant_id=tenant_id,
                brand_id=brand_id,
                texts=texts[start : start + SCORING_BATCH],
                classifications=classified[start : start + SCORING_BATCH],
            )
            assert batch is not None
            scores.extend(batch)
        rate = len(texts) / (time.perf_counter() - started)
    new = [i for i, is_new in enumerate(unseen) if is_new]
    return {
        **_measured(truth, scores, model.threshold),
        "unseen_texts": _measured(
            [truth[i] for i in new], [scores[i] for i in new], model.threshold
        ),
        "cross_validated_f1": model.metrics.f1,
        "weights": len(model.model.indices),
        "scored_per_second": round(rate),
    }


def markdown(results: Sequence[Result]) -> str:
    """The results as the table in docs/moderation.md."""
    lines = [
        "| file | labels (remove/keep) | scored by | threshold "
        "| precision | recall | F1 | ROC AUC | F1, texts not among the labels |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def row(name: str, counts: str, scorer: str, m: Result | None) -> str:
        if m is None:
            return f"| {name} | {counts} | {scorer} | too few labels: none trained | | | | | |"
        unseen = f"{m['unseen_texts']['f1']:.3f}" if "unseen_texts" in m else ""
        return (
            f"| {name} | {counts} | {scorer} | {m['threshold']:.3f} | {m['precision']:.3f} "
            f"| {m['recall']:.3f} | {m['f1']:.3f} | {m['roc_auc']:.3f} | {unseen} |"
        )

    shown: set[str] = set()
    for r in results:
        name = Path(r["file"]).stem
        if name not in shown:
            shown.add(name)
            lines.append(row(name, "—", "shared, default rule", r["shared"]))
        counts = f"{r['imported']['remove']:,}/{r['imported']['keep']:,}"
        lines.append(row(name, counts, "shared, threshold from the labels", r["shared_tuned"]))
        lines.append(row(name, counts, "**brand model**", r["brand"]))
    return "\n".join(lines) + "\n"


async def experiment(
    paths: Sequence[Path], *, database_url: str, sizes: Sequence[str]
) -> list[Result]:
    """Run the files; print and return the results."""
    for ini in ALEMBIC_INIS:
        await asyncio.to_thread(upgrade, ini, database_url)
    engine = create_engine(database_url, pool_size=2, app_name="moderation-learning-experiment")
    sessionmaker = create_sessionmaker(engine)
    classifier = Classifier()
    tenant_id = f"experiment-{uuid.uuid4().hex[:8]}"
    results: list[Result] = []
    try:
        for path in paths:
            for result in await run_file(
                path,
                classifier=classifier,
                sessionmaker=sessionmaker,
                tenant_id=tenant_id,
                sizes=sizes,
            ):
                sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
                sys.stdout.flush()
                results.append(result)
    finally:
        await engine.dispose()
    sys.stderr.write(markdown(results))
    return results


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m moderation_tools.evaluate_learning", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("directory", type=Path, help="a directory of labelled CSVs")
    parser.add_argument("--sizes", default=",".join(SIZES), help="labels per brand: 50,200,all")
    parser.add_argument("--files", default="", help="only these file stems, comma-separated")
    parser.add_argument("--database-url", help="a PostgreSQL to use instead of an embedded one")
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        parser.error(f"{args.directory} is not a directory")
    configure_logging(fmt="console", level="WARNING")
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    only = {f.strip() for f in args.files.split(",") if f.strip()}
    paths = [
        path
        for path in sorted(args.directory.glob("*.csv"))
        if path.name.split("_", 1)[0] in TASKS and (not only or path.stem in only)
    ]
    if args.database_url:
        asyncio.run(experiment(paths, database_url=args.database_url, sizes=sizes))
        return 0
    from beacon_shared.embedded import start_postgres  # a development dependency

    with tempfile.TemporaryDirectory(prefix="beacon-learning-") as scratch:
        pg = start_postgres(Path(scratch) / "pg", database="learning", ephemeral=True)
        try:
            asyncio.run(experiment(paths, database_url=pg.url, sizes=sizes))
        finally:
            pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
