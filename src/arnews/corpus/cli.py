"""Command line for the demo corpus.

    arnews-corpus validate            # check the shipped corpus, print its counts
    arnews-corpus build --parts corpus/parts   # rebuild the splits from the authored parts
"""
from __future__ import annotations

import argparse
from pathlib import Path

from arnews.corpus.build import build
from arnews.data.demo import demo_dir


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="arnews-corpus", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="assemble corpus/parts into the shipped train/dev/test splits")
    b.add_argument("--parts", type=Path, default=Path("corpus/parts"),
                   help="folder of authored parts (default: corpus/parts)")
    b.add_argument("--out", type=Path, default=None,
                   help="output folder (default: the package's demo_corpus folder)")
    b.add_argument("--seed", type=int, default=13, help="seed of the cluster-to-split assignment")
    v = sub.add_parser("validate", help="check schema, duplicates across splits and label counts")
    v.add_argument("--root", type=Path, default=None,
                   help="corpus folder to check (default: the shipped demo corpus)")
    v.add_argument("--no-minimums", action="store_true",
                   help="skip the minimum label counts (for partial or custom corpora)")
    args = parser.parse_args(argv)
    if args.command == "build":
        out = args.out or demo_dir("topic").parent
        for split, c in build(args.parts, out, args.seed).items():
            print(f"{split}: {c['articles']} articles, {c['pairs']} stance pairs")
        return 0
    from arnews.corpus.validate import validate

    root = args.root or demo_dir("topic").parent
    return validate(root, minimums=not args.no_minimums)
