"""Benchmark of the daily rollups (glue/lake_rollups.py) on local files: what they add to the Glue run.

Writes one day of generated events (one file per event type, as many as after compaction),
then rolls it up with the real spec (schemas/generated/rollups.json) several times, each in a
fresh child process, and reports the median wall time, seconds per 100,000 rows and peak
resident memory; then the same for 10x the rows. Local disk, not S3: on Glue the reads add
the S3 transfer of the day's compacted files (one GET each). CPU seconds (all threads) are
printed beside wall time: on a loaded machine they are the steadier figure.

Run: npm run bench -- --only rollups   (or: .venv/bin/python bench/rollups.bench.py)
Env: ROLLUPS_BENCH_REPEATS (default 3), ROLLUPS_BENCH_ROWS (default 100000).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "glue"))

import duckdb  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.fs as pafs  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import lake_compaction as lc  # noqa: E402
import lake_rollups as lr  # noqa: E402

SCHEMA_JSON = REPO / "schemas" / "generated" / "events.schema.json"
SPEC_JSON = REPO / "schemas" / "generated" / "rollups.json"
EVENTS, MANIFESTS = "events/", "_compaction/"
DAY = dt.date(2026, 1, 5)


def generate(schema: lc.LakeSchema, rows: int, rng: random.Random) -> pa.Table:
    """Rows of one day: each column drawn from a small pool of its type (so groups repeat), unique request ids."""
    start = int(dt.datetime(DAY.year, DAY.month, DAY.day, tzinfo=dt.UTC).timestamp() * 1000)
    cols = {}
    for f in schema.arrow:
        t = f.type
        if f.name == schema.sort_column:
            cols[f.name] = pa.array(sorted(start + rng.randrange(86_400_000) for _ in range(rows)), t)
            continue
        if f.name == "request_id":
            cols[f.name] = pa.array([f"{i:08d}{rng.getrandbits(64):016x}" for i in range(rows)], t)
            continue
        if pa.types.is_string(t):
            size = 5000 if f.name == "visitor_id" else 200
            pool = pa.array([None] + [f"{f.name}-{i}" for i in range(size)], t)
        elif pa.types.is_boolean(t):
            pool = pa.array([True, False, False, False], t)
        elif pa.types.is_integer(t):
            pool = pa.array([None, 200, 206, 304, 404] + [rng.randrange(0, 2**20) for _ in range(100)], t)
        else:
            pool = pa.array([rng.random() for _ in range(100)], t)
        cols[f.name] = pool.take(pa.array(rng.choices(range(len(pool)), k=rows), pa.int32()))
    return pa.table(cols, schema=schema.arrow)


def seed_lake(root: Path, schema: lc.LakeSchema, rows: int) -> int:
    event_types = next(k["values"] for k in json.loads(SCHEMA_JSON.read_text())["x-partition-keys"] if k["kind"] == "enum")
    rng = random.Random(1)
    for event_type in event_types:
        values = {k.name: event_type if k.date_part is None else lc.date_value(k, DAY) for k in schema.partition_keys}
        d = root / EVENTS / "/".join(f"{k.name}={values[k.name]}" for k in schema.partition_keys)
        d.mkdir(parents=True)
        # page views dominate, as on a real site: half the rows; the rest split evenly.
        n = rows // 2 if event_type == "page_view" else (rows - rows // 2) // (len(event_types) - 1)
        pq.write_table(generate(schema, n, rng), d / "day-0000.parquet", compression="snappy")
    return sum(pq.ParquetFile(p).metadata.num_rows for p in (root / EVENTS).rglob("*.parquet"))


def peak_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def child(root: str) -> None:
    schema = lc.load_schema(pafs.LocalFileSystem(), str(SCHEMA_JSON))
    spec = lr.load_spec(pafs.LocalFileSystem(), str(SPEC_JSON))
    lake = lc.Lake(pafs.LocalFileSystem(), root, EVENTS, MANIFESTS)
    baseline = peak_rss_kib()
    t0, cpu0 = time.perf_counter(), time.process_time()
    results = lr.rollup_day(lake, schema, spec, DAY, force=True)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    assert all(r.status == "written" for r in results), results
    rollup_rows = sum(r.rows for r in results)
    print(json.dumps({"seconds": seconds, "cpu_s": cpu, "peak_kib": peak_rss_kib(), "baseline_kib": baseline, "rollup_rows": rollup_rows}))


def run_case(rows: int, repeats: int) -> dict:
    schema = lc.load_schema(pafs.LocalFileSystem(), str(SCHEMA_JSON))
    with tempfile.TemporaryDirectory(prefix="rollups-bench-") as tmp:
        total = seed_lake(Path(tmp), schema, rows)
        runs = []
        for _ in range(repeats):
            out = subprocess.run([sys.executable, __file__, "--child", tmp], check=True, capture_output=True, text=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    secs = statistics.median(r["seconds"] for r in runs)
    return {
        "rows": total,
        "median_s": secs,
        "per_100k_s": secs / total * 100_000,
        "cpu_per_100k_s": statistics.median(r["cpu_s"] for r in runs) / total * 100_000,
        "peak_rss_mib": statistics.median(r["peak_kib"] for r in runs) / 1024,
        "baseline_rss_mib": statistics.median(r["baseline_kib"] for r in runs) / 1024,
        "rollup_rows": runs[0]["rollup_rows"],
        "runs": len(runs),
    }


def main() -> None:
    repeats = int(os.environ.get("ROLLUPS_BENCH_REPEATS", "3"))
    rows = int(os.environ.get("ROLLUPS_BENCH_ROWS", "100000"))
    spec = lr.load_spec(pafs.LocalFileSystem(), str(SPEC_JSON))
    print(
        f"rollups benchmark on {os.cpu_count()} CPUs, Python {platform.python_version()}, pyarrow {pa.__version__}, "
        f"duckdb {duckdb.__version__}; {len(spec.rollups)} rollups; load average {os.getloadavg()[0]:.2f}"
    )
    for r in (run_case(rows, repeats), run_case(rows * 10, max(1, repeats // 2))):
        print(
            f"{r['rows']:>9,} rows of a day -> {r['rollup_rows']:,} rollup rows: median {r['median_s']:.2f} s "
            f"({r['per_100k_s']:.2f} s per 100,000 rows; CPU {r['cpu_per_100k_s']:.2f} s per 100,000 rows), "
            f"peak RSS {r['peak_rss_mib']:.0f} MiB "
            f"(after imports {r['baseline_rss_mib']:.0f} MiB), {r['runs']} runs"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
