"""Helper of bench/dashboard.bench.ts: the daily job's rollups (glue/lake_rollups.py) over a local lake's closed days.

The dashboard bench counts the bytes Athena would scan, so it reads the rollup files the Glue job writes (pyarrow),
not the local run's (hyparquet-writer): this rewrites every rollup of every given day in place, as the job does.

    python bench/job_rollups.py LAKE_DIR EVENTS_PREFIX MANIFESTS_PREFIX FIRST_DAY LAST_DAY

(the prefixes as the bench passes them from schemas/lake.ts LAKE_PREFIXES).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pyarrow.fs as pafs

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "glue"))

import lake_compaction as lc  # noqa: E402  (glue/ is not a package)
import lake_rollups as lr  # noqa: E402

GENERATED = REPO / "schemas" / "generated"


def main(argv: list[str]) -> int:
    root, events, manifests = argv[0], argv[1], argv[2]
    first, last = dt.date.fromisoformat(argv[3]), dt.date.fromisoformat(argv[4])
    fs = pafs.LocalFileSystem()
    lake = lc.Lake(fs, root, events, manifests)
    schema = lc.load_schema(fs, str(GENERATED / "events.schema.json"))
    spec = lr.load_spec(fs, str(GENERATED / "rollups.json"))
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    failed = [r for r in lr.rollup_days(lake, schema, spec, days, force=True) if r.status != "written"]
    for r in failed:
        print(f"rollup {r.rollup} {r.day}: {r.status} {r.error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
