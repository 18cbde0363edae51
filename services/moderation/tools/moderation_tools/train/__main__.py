"""Train the shared classifier: `python -m moderation_tools.train DATA_DIR`.

Reads only sets whose licence allows shipping a model trained on them (see `SHIPPABLE`), plus
Beacon's own written examples; writes the static word vectors and the heads into
`moderation/classify/models/`. Deterministic: the same data gives the same files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from moderation.classify.classifier import MODELS_DIR
from moderation_tools.train.pipeline import held_out_by_set, train


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m moderation_tools.train")
    parser.add_argument("data_dir", type=Path, help="directory of the labelled CSVs")
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    parser.add_argument(
        "--keep-vectors",
        action="store_true",
        help="reuse the static vectors already in --out (train the heads only)",
    )
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="print cross-validated figures on the sets the heads train on, train nothing",
    )
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"{args.data_dir} is not a directory")
    if args.held_out:
        for figures in held_out_by_set(args.data_dir, args.out):
            sys.stdout.write(json.dumps(figures) + "\n")
        return 0
    report = train(args.data_dir, args.out, keep_vectors=args.keep_vectors)
    sys.stdout.write(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
