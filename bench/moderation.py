"""Moderation benchmark: classifier throughput on one core, and comment-to-decision latency.

1. `Classifier().classify_many` over a mix of comments generated here (no dataset needed), in
   this process pinned to one core, in batches of 1, 32 and 256; alt-profanity-check alone on the
   same texts and batches is the baseline.
2. `python -m moderation.worker` (BENCH_WORKERS processes in one consumer group, 1 by default)
   fed `comment.received` for 20 brands at a steady 1,000/s (BENCH_RATE) after a warm-up; each
   comment's latency runs from its send to the moment its `comment.moderated` decision is read.
   Every comment sent must get exactly one decision.

Runs on embedded servers unless DATABASE_URL / KAFKA_BOOTSTRAP are set. Prints a JSON object and
writes bench/results/moderation.json. `make bench-moderation`, i.e. `python -m bench.moderation`
from the repository root: run as a script, bench/ would come first on the path and this file would
shadow the moderation service's package.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from subprocess import Popen

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from profanity_check import predict_prob

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import CommentReceived, InteractionKind
from beacon_shared.contracts.topics import COMMENT_MODERATED, COMMENT_RECEIVED
from beacon_shared.embedded import free_port
from beacon_shared.events import Envelope
from beacon_shared.kafka import create_producer
from beacon_shared.outbox import OutboxRecord, outbox_records
from beacon_shared.settings import ServiceSettings
from beacon_shared.topics import ensure_topics
from bench.cpu import cpu_seconds
from bench.ingest import FETCH_MAX_WAIT_MS, percentile, spawn, stop
from bench.servers import servers
from moderation.classify import Classifier

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "moderation.json"
ALEMBIC_INIS = [ROOT / "shared" / "alembic.ini", ROOT / "services" / "moderation" / "alembic.ini"]
MIX_SIZE = int(os.environ.get("BENCH_COMMENTS", "2000"))
BATCH_SIZES = (1, 32, 256)
RATE = int(os.environ.get("BENCH_RATE", "1000"))  # comments/s offered to the worker
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))  # worker processes in the consumer group
WARMUP_SECONDS = 5.0
MEASURE_SECONDS = float(os.environ.get("BENCH_SECONDS", "25"))
THREADS = 64  # posts the comments are spread over (the records' keys)
TENANTS = int(os.environ.get("BENCH_TENANTS", "20"))  # brands: one worker serves them all
STREAM_SEED = 11  # the worker's stream is generated apart from the classified mix
FIRST_DECISION_SECONDS = 120.0  # the worker starts, then joins its group (a few seconds here)
DRAIN_SECONDS = 15.0  # the missing decisions count as lost after this long without one arriving

# The mix: each kind's share and its templates. Real comments of 30 characters or more are rarely
# word for word the same, and moderation counts a text posted by several authors as spam, so such
# templates carry enough variety: a handle, an order number, a product with a city or a number.
PRODUCTS = ("blue hoodie", "trail shoes", "espresso machine", "phone case", "linen dress", "tote")
CITIES = ("Lyon", "Leeds", "Montréal", "Austin", "Lille", "Dublin", "Nantes", "Perth", "Liège")
NAMES = ("anna", "marco", "léa", "sam_t", "juliette", "kev", "chloe.b", "tom", "inès", "raj")
LINKS = ("https://bit.ly/3xQz{n}", "www.best-deals{n}.shop", "https://t.me/crypto_drop{n}")
KINDS: dict[str, tuple[float, tuple[str, ...]]] = {
    "praise": (
        0.20,
        (
            "Love the {p}! 😍",
            "Great job team, the {p} is perfect @{name}",
            "Got my {p} in {city} after {n} days, amazing quality, thank you!!",
            "Best purchase this year, the {p} is beautiful. @{name} you need one",
            "J'adore le {p}, merci !",
            "Trop beau 😍 @{name} regarde",
            "Magnifique, livraison rapide à {city} en {n} jours, parfait.",
        ),
    ),
    "question": (
        0.18,
        (
            "Is the {p} back in stock?",
            "How much is shipping to {city}? I'd take {n}",
            "Do you ship to {city}? I want {n} of them",
            "@{name} when will the {p} be available in size M",
            "Quel est le prix du {p} à {city} ?",
            "Est-ce que vous livrez à {city} ? @{name}",
            "Combien de temps pour recevoir la commande {order} ?",
        ),
    ),
    "complaint": (
        0.12,
        (
            "Still waiting for my refund after {n} days, unacceptable.",
            "My {p} arrived broken and nobody answers my emails. Order {order}",
            "Worst customer service ever. Order #{order} never arrived",
            "The zip on the {p} doesn't work after {n} days, very disappointed",
            "Commande {order} jamais reçue et toujours pas de réponse, inadmissible",
            "Le {p} est arrivé cassé à {city}, je veux être remboursée",
        ),
    ),
    "chatter": (
        0.10,
        (
            "@{name} look at this",
            "First!",
            "lol same",
            "Tagging @{name}, you need this",
            "haha @{name} c'est toi",
            "moi aussi",
            "ok",
        ),
    ),
    "spam": (
        0.12,
        (
            "Most trustable smm panel on market with cheaper price 👉 {u}",
            "Buy real Instagram followers, likes and views at the cheapest price: {u}",
            "🚀 BITCOIN GIVEAWAY 🚀 send 0.1 BTC and get 0.2 BTC back! {u}",
            "Huge ETH airdrop is live for {n} hours only, claim now {u}",
            "Check out my channel @{name}, I review a new {p} every week!",
            "I earn $500 per day from home, DM me on WhatsApp +44 7700 9{order}",
            "Free iPhone gift card for the first {n} people 🎁 {u}",
            "Gagnez 300€ par jour sans effort, contactez-moi sur Telegram {u}",
            "Abonnés gratuits et likes pas chers ici : {u}",
            "Write to promo{n}@gmail.com for a paid collab",
        ),
    ),
    "insult": (
        0.06,
        (
            "you are all idiots",
            "What a stupid {p}, you people are clowns",
            "shut up you 1d10t",
            "@{name} this company is shit and so are you",
            "go to hell with your overpriced crap, {n} euros lol",
            "t'es vraiment con toi",
            "bande de nuls, ferme-la",
        ),
    ),
    "emoji": (0.08, ("😍", "🔥🔥🔥", "😂😂😂😂", "👏👏", "❤️❤️", "💯", "🙏🏽", "😡😡", "👍", "🤮")),
    "mixed_script": (
        0.05,
        (
            "Очень красиво! love the {p}",
            "太好看了 😍 want the {p}",
            "رائع جدا! thank you",
            "Ｆｒｅｅ ｆｏｌｌｏｗｅｒｓ ｈｅｒｅ {u}",  # noqa: RUF001 (look-alike letters are the point)
            "b\u200bi\u200bt\u200bc\u200bo\u200bi\u200bn giveaway, don't miss it",
            "Μπράβο! great work on the {p} @{name}",
            "¡Me encanta! ¿Envían a {city}?",
            "Harika ürün, teşekkürler! 👍",
        ),
    ),
    "long": (0.088, ()),  # a few sentences of the kinds above, 300 to 1,500 characters
    "huge": (0.002, ()),  # a pasted story or review, 5,000 to 20,000 characters
}
PROSE = ("praise", "question", "complaint", "chatter")


def filled(rng: random.Random, template: str) -> str:
    """A template with its slots drawn at random."""
    return template.format(
        p=rng.choice(PRODUCTS),
        city=rng.choice(CITIES),
        n=rng.randint(2, 99),
        order=rng.randint(10_000, 99_999),
        u=rng.choice(LINKS).format(n=rng.randint(10, 99)),
        name=f"{rng.choice(NAMES)}{rng.choice(('', '_', '.'))}{rng.randint(1, 99)}",
    )


def essay(rng: random.Random, length: int) -> str:
    """Sentences of the ordinary kinds joined until the text is `length` characters or more."""
    sentences: list[str] = []
    while sum(map(len, sentences)) < length:
        sentences.append(filled(rng, rng.choice(KINDS[rng.choice(PROSE)][1])))
    return " ".join(sentences)


def comment_mix(size: int, seed: int = 7) -> tuple[list[str], Counter[str]]:
    """`size` comments in the shares of KINDS, shuffled (the same for a given seed)."""
    rng = random.Random(seed)
    kinds = [k for k, (share, _) in KINDS.items() for _ in range(max(1, round(share * size)))]
    rng.shuffle(kinds)
    texts = []
    for kind in kinds:
        if kind == "long":
            texts.append(essay(rng, rng.randint(300, 1_500)))
        elif kind == "huge":
            texts.append(essay(rng, rng.randint(5_000, 20_000)))
        else:
            texts.append(filled(rng, rng.choice(KINDS[kind][1])))
    return texts, Counter(kinds)


@contextmanager
def pinned_to_one_core() -> Iterator[int]:
    """This process on one core; every thread is pinned, so no library thread runs elsewhere."""
    cores = os.sched_getaffinity(0)
    core = max(cores)
    for thread in os.listdir("/proc/self/task"):
        os.sched_setaffinity(int(thread), {core})
    try:
        yield core
    finally:
        for thread in os.listdir("/proc/self/task"):
            os.sched_setaffinity(int(thread), cores)


def per_second(classify: Callable[[list[str]], object], texts: list[str], batch: int) -> float:
    """Comments/s through `classify` over all of `texts` in batches of `batch`."""
    started = time.perf_counter()
    for first in range(0, len(texts), batch):
        classify(texts[first : first + batch])
    return len(texts) / (time.perf_counter() - started)


def classifier_throughput(texts: list[str]) -> dict[str, object]:
    """The classifier and profanity_check alone, per batch size, on one core."""
    with pinned_to_one_core() as core:
        classifier = Classifier()
        first = classifier.classify_many(texts)  # lingua loads its models on first use
        stages = Counter(c.stage for c in first)
        cpu, wall = time.process_time(), time.perf_counter()
        batches = []
        for batch in BATCH_SIZES:
            ours = per_second(classifier.classify_many, texts, batch)
            baseline = per_second(predict_prob, texts, batch)
            batches.append(
                {
                    "batch": batch,
                    "classifier_per_s": round(ours),
                    "profanity_check_per_s": round(baseline),
                    "classifier_to_baseline": round(ours / baseline, 3),
                }
            )
            print(json.dumps({"classify": batches[-1]}), flush=True)
        # Below 1, something else ran on the core and the rates are understated.
        cpu_share = (time.process_time() - cpu) / (time.perf_counter() - wall)
    return {
        "core": core,
        "cpu_share": round(cpu_share, 3),
        "batches": batches,
        # which stage decided each comment of the mix (one stage ships: see docs/moderation.md)
        "stages": {stage: round(n / len(first), 4) for stage, n in sorted(stages.items())},
    }


def comment_records(tenants: Sequence[str], texts: Sequence[str]) -> list[OutboxRecord]:
    """comment.received records as ingest publishes them: its envelope, encoding and key."""
    now = datetime.now(UTC)
    envelopes, keys = [], []
    for n, text in enumerate(texts):
        thread = f"post-{n % THREADS}"
        payload = CommentReceived(
            interaction_id=uuid.uuid4(),
            network=Network.facebook,
            kind=InteractionKind.comment,
            external_id=f"c-{n}",
            thread_external_id=thread,
            author=Author(network_id=str(1_000_000 + n % 5000)),
            text=text,
            created_at=now,
            received_at=now,
        )
        envelopes.append(
            Envelope.build(
                payload,
                tenant_id=tenants[n % len(tenants)],
                subject=str(payload.interaction_id),
                source="/bench",
            )
        )
        keys.append(thread)  # comment.received is keyed by thread
    return outbox_records(envelopes, keys=keys)


async def send_steadily(
    producer: AIOKafkaProducer, records: list[OutboxRecord], sent_at: dict[str, float]
) -> float:
    """Send at RATE/s on a fixed schedule, as the relay sends; returns the rate really offered."""
    futures = []
    started = time.perf_counter()
    for n, record in enumerate(records):
        delay = started + n / RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent_at[str(record.event_id)] = time.perf_counter()
        futures.append(
            await producer.send(
                record.topic,
                value=record.value,
                key=record.key.encode(),
                headers=[(k, v.encode()) for k, v in record.headers],
            )
        )
    offered = len(records) / (time.perf_counter() - started)
    await asyncio.gather(*futures)
    return offered


async def decisions_reader(bootstrap: str) -> AIOKafkaConsumer:
    """A group-less reader of every comment.moderated partition: no rebalance to wait for."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
    )
    await consumer.start()
    consumer.assign(
        [TopicPartition(COMMENT_MODERATED.name, p) for p in range(COMMENT_MODERATED.partitions)]
    )
    return consumer


async def read_decisions(
    consumer: AIOKafkaConsumer,
    tenants: set[str],
    decided: dict[str, list[float]],
    actions: Counter[str],
) -> None:
    """Note when each of our decisions is read, under the id of the event it answers."""
    while True:
        batches = await consumer.getmany(timeout_ms=200, max_records=2000)
        read_at = time.perf_counter()
        for records in batches.values():
            for record in records:
                value = orjson.loads(record.value)
                if value["tenantid"] in tenants:
                    decided.setdefault(value["causationid"], []).append(read_at)
                    actions[value["data"]["action"]] += 1


async def until(
    condition: Callable[[], bool],
    workers: Sequence[Popen[bytes]],
    decided: dict[str, list[float]],
    *,
    idle: float,
) -> bool:
    """Wait for `condition`; give up once no new decision has arrived for `idle` seconds."""
    seen, last_news = len(decided), time.perf_counter()
    while not condition():
        for worker in workers:
            if worker.poll() is not None:
                raise RuntimeError(f"a moderation worker exited with code {worker.returncode}")
        if len(decided) != seen:
            seen, last_news = len(decided), time.perf_counter()
        elif time.perf_counter() - last_news > idle:
            return False
        await asyncio.sleep(0.1)
    return True


def worker_env(settings: ServiceSettings) -> dict[str, str]:
    """The environment `make up` gives a worker; logs cut to warnings, as in the other benches."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "MODERATION_WORKER_PORT": str(free_port()),  # not 9002, which `make up` may hold
        "BIND_HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    if not settings.kafka_enable_idempotence:
        env["KAFKA_ENABLE_IDEMPOTENCE"] = "false"
    return env


async def decision_latency(settings: ServiceSettings) -> dict[str, object]:
    """Latency from sending a comment to reading its decision, at RATE/s, after a warm-up."""
    await ensure_topics(settings.kafka_bootstrap, [COMMENT_RECEIVED, COMMENT_MODERATED])
    run = uuid.uuid4().hex[:8]
    tenants = [f"bench-{run}-{n}" for n in range(TENANTS)]
    # A stream of its own, not the mix repeated: repeated texts would read as copy-paste spam.
    texts, _ = comment_mix(int(RATE * (WARMUP_SECONDS + MEASURE_SECONDS)), seed=STREAM_SEED)
    records = comment_records(tenants, texts)
    warmup, measured = records[: int(RATE * WARMUP_SECONDS)], records[int(RATE * WARMUP_SECONDS) :]
    sent_at: dict[str, float] = {}
    decided: dict[str, list[float]] = {}
    actions: Counter[str] = Counter()
    producer = create_producer(settings, client_id="bench-moderation")
    await producer.start()
    reader = await decisions_reader(settings.kafka_bootstrap)
    reading = asyncio.create_task(read_decisions(reader, set(tenants), decided, actions))
    workers = [spawn(["-m", "moderation.worker"], worker_env(settings)) for _ in range(WORKERS)]
    try:
        # One comment first: its decision shows the worker has started, joined its group and
        # decides; the warm-up follows at the full rate.
        await send_steadily(producer, warmup[:1], sent_at)
        if not await until(lambda: bool(decided), workers, decided, idle=FIRST_DECISION_SECONDS):
            raise RuntimeError(f"no decision within {FIRST_DECISION_SECONDS} s")
        await send_steadily(producer, warmup[1:], sent_at)
        cpu, wall = sum(cpu_seconds(w.pid) for w in workers), time.perf_counter()
        offered = await send_steadily(producer, measured, sent_at)
        busy = (sum(cpu_seconds(w.pid) for w in workers) - cpu) / (time.perf_counter() - wall)
        await until(lambda: sent_at.keys() <= decided.keys(), workers, decided, idle=DRAIN_SECONDS)
        await asyncio.sleep(1.0)  # a trailing duplicate would arrive now
    finally:
        for worker in workers:
            stop(worker)
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
        await reader.stop()
        await producer.stop()
    read_at = {
        str(r.event_id): min(decided[str(r.event_id)])
        for r in measured
        if str(r.event_id) in decided
    }
    latencies = [(read - sent_at[event]) * 1000 for event, read in read_at.items()]
    # Below the offered rate, the worker fell behind and latency grew through the run.
    span = max(read_at.values(), default=0.0) - sent_at[str(measured[0].event_id)]
    return {
        "rate_per_s": RATE,
        "workers": WORKERS,
        "offered_per_s": round(offered),
        "decided_per_s": round(len(read_at) / span) if span > 0 else 0,
        "seconds": MEASURE_SECONDS,
        "measured": len(measured),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": round(max(latencies, default=0.0), 2),
        "sent": len(sent_at),  # the warm-up's comments included
        "lost": sum(1 for event in sent_at if event not in decided),
        "duplicated": sum(1 for reads in decided.values() if len(reads) > 1),
        "actions": dict(actions),
        "worker_cpu_percent": round(100 * busy),  # all workers, of one core
        "worker_fetch_max_wait_ms": settings.kafka_fetch_max_wait_ms,
        "reader_fetch_max_wait_ms": FETCH_MAX_WAIT_MS,
    }


def main() -> None:
    texts, mix = comment_mix(MIX_SIZE)
    # First, while no server runs: pinned, the classifier shares its core with nothing of ours.
    classify = classifier_throughput(texts)
    with servers(migrate=ALEMBIC_INIS) as found:
        settings = ServiceSettings(
            database_url=found.database_url,
            kafka_bootstrap=found.bootstrap,
            kafka_enable_idempotence=found.idempotence,
        )
        latency = asyncio.run(decision_latency(settings))
    result = {
        "comments": len(texts),
        "mix": dict(mix),
        "characters": sum(map(len, texts)),
        "classify": classify,
        "latency": latency,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
