"""AWS Glue entry point of the daily compaction and rollups: parses arguments, calls lake_compaction, then lake_rollups.

Glue passes the job's arguments as ``--name value`` pairs, together with its own
(``--JOB_ID``, ``--JOB_RUN_ID``, ...), which are ignored. Locally:

    python glue/compaction_job.py --lake-root /tmp/lake --schema-uri schemas/generated/events.schema.json \\
        --events-prefix events/ --manifests-prefix _compaction/ --day 2026-01-05 \\
        --rollups-uri schemas/generated/rollups.json

With --rollups-uri, every day of the run whose partitions all compacted is then rolled up
(lake_rollups: only rollups whose inputs or definition changed since their file was written).
A failed rollup fails the job like a failed partition does; rollups never touch events/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from collections.abc import Sequence

import pyarrow.fs as pafs

import lake_compaction as lc
import lake_rollups as lr


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
    p.add_argument("--rollups-uri", default=None, help="the generated rollups.json: s3://bucket/key or a local path (default: no rollups)")
    p.add_argument(
        "--rerun-rollups", action="store_true", help="write every rollup of every day of the run, even those whose inputs did not change"
    )
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

    lake = lc.Lake(fs, root, args.events_prefix, args.manifests_prefix)
    schema = lc.load_schema(*_open_uri(args.schema_uri, args.region))
    # Loaded before any work: a bad spec fails the run at once, with nothing written.
    spec = lr.load_spec(*_open_uri(args.rollups_uri, args.region)) if args.rollups_uri else None
    if spec:
        lr.check_prefix(lake, spec)
    config = lc.CompactionConfig(target_file_bytes=args.target_file_size_mb * 2**20, row_group_rows=args.row_group_rows)
    days = lc.days_to_compact(args.day or yesterday_utc(), args.lookback_days)
    # One day at a time, so a day is rolled up only when all its partitions compacted (a failed one may hold rows twice).
    reports = {day: lc.compact_days(lake, schema, [day], config) for day in days}

    failed = 0
    for report in reports.values():
        for r in report.results:
            print(
                f"{r.status:14} {r.partition}  inputs={r.inputs} outputs={r.outputs} rows={r.rows}"
                + (f"  ERROR: {r.error}" if r.error else "")
            )
        failed += len(report.failed)
    if failed:
        print(f"COMPACTION FAILED for {failed} partition(s); nothing was deleted in them", file=sys.stderr)
    if spec is None:
        return 1 if failed else 0

    rollup_failed = 0
    for day, report in reports.items():
        if report.failed:
            print(f"ROLLUPS SKIPPED for {day}: compaction failed there; the day's rollups keep their last version", file=sys.stderr)
            continue
        for res in lr.rollup_day(lake, schema, spec, day, force=args.rerun_rollups):
            print(f"{res.status:14} rollup {res.rollup} {day}  rows={res.rows}" + (f"  ERROR: {res.error}" if res.error else ""))
            rollup_failed += res.status == "failed"
    if rollup_failed:
        print(f"ROLLUPS FAILED for {rollup_failed} rollup-day(s); events/ untouched, the next run retries them", file=sys.stderr)
    return 1 if failed or rollup_failed else 0


def _open_uri(uri: str, region: str | None) -> tuple[pafs.FileSystem, str]:
    """A file the job reads: s3://bucket/key (in the job's region when given) or a local path."""
    if "://" not in uri:
        return pafs.LocalFileSystem(), uri
    filesystem, path = pafs.FileSystem.from_uri(uri)
    if isinstance(filesystem, pafs.S3FileSystem) and region:
        filesystem = pafs.S3FileSystem(region=region)
    return filesystem, path


if __name__ == "__main__":
    sys.exit(main())
