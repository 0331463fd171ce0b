"""AWS Glue entry point of the daily compaction: parses arguments, calls lake_compaction.

Glue passes the job's arguments as ``--name value`` pairs, together with its own
(``--JOB_ID``, ``--JOB_RUN_ID``, ...), which are ignored. Locally:

    python glue/compaction_job.py --lake-root /tmp/lake --schema-uri schemas/generated/events.schema.json \\
        --events-prefix events/ --manifests-prefix _compaction/ --day 2026-01-05
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from collections.abc import Sequence

import pyarrow.fs as pafs

import lake_compaction as lc


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--day must be YYYY-MM-DD, got {value!r}") from None


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {n}")
    return n


def _non_negative(value: str) -> int:
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {n}")
    return n


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="compaction_job", description="Compact the lake's small Parquet files, crash-safe.")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--lake-bucket", help="S3 bucket of the lake (AWS)")
    where.add_argument("--lake-root", help="local directory of the lake (tests, local runs)")
    p.add_argument("--lake-prefix", default="", help="key prefix of the lake inside the bucket (default: the bucket's root)")
    p.add_argument("--events-prefix", required=True, help="prefix of the events table, e.g. events/")
    p.add_argument("--manifests-prefix", required=True, help="prefix of the compaction manifests, e.g. _compaction/")
    p.add_argument("--schema-uri", required=True, help="the generated events.schema.json: s3://bucket/key or a local path")
    p.add_argument("--region", default=None, help="AWS region of the buckets (default: the SDK's)")
    p.add_argument("--day", type=_day, default=None, help="day to compact, YYYY-MM-DD (default: yesterday, UTC)")
    p.add_argument(
        "--lookback-days", type=_non_negative, default=2, help="also compact this many days before --day, for late files (default 2)"
    )
    p.add_argument("--target-file-size-mb", type=_positive, default=128, help="size of an output file (default 128)")
    p.add_argument(
        "--row-group-rows", type=_positive, default=lc.CompactionConfig.row_group_rows, help="rows per row group and per sorted run"
    )
    return p


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    args, _glue_own = parser().parse_known_args(argv)
    return args


def yesterday_utc(now: dt.datetime | None = None) -> dt.date:
    now = now or dt.datetime.now(dt.UTC)
    return (now - dt.timedelta(days=1)).date()


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stdout)
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.lake_bucket:
        fs: pafs.FileSystem = pafs.S3FileSystem(region=args.region) if args.region else pafs.S3FileSystem()
        root = "/".join(p for p in (args.lake_bucket, args.lake_prefix.strip("/")) if p)
    else:
        fs, root = pafs.LocalFileSystem(), args.lake_root.rstrip("/")
    schema_fs, schema_path = (
        pafs.FileSystem.from_uri(args.schema_uri) if "://" in args.schema_uri else (pafs.LocalFileSystem(), args.schema_uri)
    )
    if isinstance(schema_fs, pafs.S3FileSystem) and args.region:
        schema_fs = pafs.S3FileSystem(region=args.region)

    lake = lc.Lake(fs, root, args.events_prefix, args.manifests_prefix)
    schema = lc.load_schema(schema_fs, schema_path)
    config = lc.CompactionConfig(target_file_bytes=args.target_file_size_mb * 2**20, row_group_rows=args.row_group_rows)
    days = lc.days_to_compact(args.day or yesterday_utc(), args.lookback_days)
    report = lc.compact_days(lake, schema, days, config)

    for r in report.results:
        print(
            f"{r.status:14} {r.partition}  inputs={r.inputs} outputs={r.outputs} rows={r.rows}" + (f"  ERROR: {r.error}" if r.error else "")
        )
    if report.failed:
        print(f"COMPACTION FAILED for {len(report.failed)} partition(s); nothing was deleted in them", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
