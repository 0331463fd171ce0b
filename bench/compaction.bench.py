"""Benchmark of the Glue compaction job (glue/lake_compaction.py) on local files.

Compacts 1,000 small Parquet files holding 1,000,000 rows of generated events into
one partition, several times, and reports the median wall time, rows per second and
the peak resident memory (VmHWM) of the compacting process; then the same for 4x the rows
(1,000 files of 4,000 rows), whose peak memory must not grow with the input:
memory is bounded by the row-group size (the sorted-run size), not the partition.

Each compaction runs in a fresh child process, so its peak RSS is its own.
Run: npm run bench -- --only compaction   (or: .venv/bin/python bench/compaction.bench.py)
Env: COMPACTION_BENCH_REPEATS (default 5), COMPACTION_BENCH_ROWS (default 1000000).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "glue"))

import pyarrow as pa  # noqa: E402
import pyarrow.fs as pafs  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import lake_compaction as lc  # noqa: E402

SCHEMA_JSON = REPO / "schemas" / "generated" / "events.schema.json"
EVENTS, MANIFESTS = "events/", "_compaction/"
DAY = dt.date(2026, 1, 5)
FILES = 1000


def partition(schema: lc.LakeSchema) -> lc.Partition:
    values = {"event_type": "page_view", "year": "2026", "month": "01", "day": "05"}
    return lc.Partition(tuple((k.name, values[k.name]) for k in schema.partition_keys))


def generate(schema: lc.LakeSchema, rows: int, seed: int = 1) -> pa.Table:
    """Realistic-looking rows: each column drawn from a pool of values of its type, unique request ids, random times in the day."""
    rng = random.Random(seed)
    start = int(dt.datetime(DAY.year, DAY.month, DAY.day, tzinfo=dt.UTC).timestamp() * 1000)
    cols = {}
    for f in schema.arrow:
        t = f.type
        if f.name == schema.sort_column:
            cols[f.name] = pa.array([start + rng.randrange(86_400_000) for _ in range(rows)], t)
            continue
        if f.name == "request_id":
            cols[f.name] = pa.array([f"{i:08d}{rng.getrandbits(96):024x}" for i in range(rows)], t)
            continue
        if pa.types.is_string(t):
            pool = pa.array([None] + [f"{f.name}-{i}-{rng.getrandbits(40):010x}" for i in range(500)], t)
        elif pa.types.is_boolean(t):
            pool = pa.array([True, False], t)
        elif pa.types.is_integer(t):
            pool = pa.array([None] + [rng.randrange(0, 2**31) for _ in range(500)], t)
        else:
            pool = pa.array([rng.random() for _ in range(500)], t)
        idx = pa.array(rng.choices(range(len(pool)), k=rows), pa.int32())
        cols[f.name] = pool.take(idx)
    return pa.table(cols, schema=schema.arrow)


def seed_lake(root: Path, schema: lc.LakeSchema, rows: int) -> int:
    table = generate(schema, rows)
    d = root / EVENTS / partition(schema).rel
    d.mkdir(parents=True)
    per = rows // FILES
    for i in range(FILES):
        pq.write_table(table.slice(i * per, per), d / f"webstats-events-1-2026-01-05-{i:05d}.parquet", compression="snappy")
    return sum(p.stat().st_size for p in d.iterdir())


def peak_rss_kib() -> int:
    """VmHWM: this process's peak resident set. (ru_maxrss is not reset by exec, so it would report the parent's peak.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(root: str) -> None:
    """One compaction in this process; prints JSON with its wall time and peak RSS."""
    schema = lc.load_schema(pafs.LocalFileSystem(), str(SCHEMA_JSON))
    lake = lc.Lake(pafs.LocalFileSystem(), root, EVENTS, MANIFESTS)
    baseline = peak_rss_kib()
    t0 = time.perf_counter()
    report = lc.compact_days(lake, schema, [DAY], lc.CompactionConfig(spill_dir=str(Path(root).parent)))
    seconds = time.perf_counter() - t0
    peak = peak_rss_kib()
    (r,) = report.results
    assert r.status == "compacted", r
    print(json.dumps({"seconds": seconds, "peak_kib": peak, "baseline_kib": baseline, "rows": r.rows, "outputs": r.outputs}))


def run_case(rows: int, repeats: int) -> dict:
    schema = lc.load_schema(pafs.LocalFileSystem(), str(SCHEMA_JSON))
    with tempfile.TemporaryDirectory(prefix="compaction-bench-") as tmp:
        pristine = Path(tmp) / "pristine"
        input_bytes = seed_lake(pristine, schema, rows)
        results = []
        for _ in range(repeats):
            work = Path(tmp) / "work"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(pristine, work)
            out = subprocess.run([sys.executable, __file__, "--child", str(work)], check=True, capture_output=True, text=True)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert all(r["rows"] == rows for r in results)
    secs = statistics.median(r["seconds"] for r in results)
    return {
        "rows": rows,
        "files": FILES,
        "input_mib": input_bytes / 2**20,
        "outputs": results[0]["outputs"],
        "median_s": secs,
        "rows_per_s": rows / secs,
        "peak_rss_mib": statistics.median(r["peak_kib"] for r in results) / 1024,
        "baseline_rss_mib": statistics.median(r["baseline_kib"] for r in results) / 1024,
        "runs": len(results),
    }


def machine() -> str:
    model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")), "?")
    return f"{os.cpu_count()} x {model}, Python {platform.python_version()}, pyarrow {pa.__version__}"


def main() -> None:
    repeats = int(os.environ.get("COMPACTION_BENCH_REPEATS", "5"))
    rows = int(os.environ.get("COMPACTION_BENCH_ROWS", "1000000"))
    print(f"compaction benchmark on {machine()}")
    cfg = lc.CompactionConfig()
    print(f"defaults: target file {cfg.target_file_bytes // 2**20} MiB, row group and sorted run {cfg.row_group_rows} rows")
    base = run_case(rows, repeats)
    big = run_case(rows * 4, max(1, repeats // 2))
    for r in (base, big):
        print(
            f"{r['files']} files, {r['rows']:>9,} rows ({r['input_mib']:.0f} MiB) -> {r['outputs']} file(s): "
            f"median {r['median_s']:.2f} s, {r['rows_per_s']:,.0f} rows/s, peak RSS {r['peak_rss_mib']:.0f} MiB "
            f"(after imports {r['baseline_rss_mib']:.0f} MiB), {r['runs']} runs"
        )
    growth = big["peak_rss_mib"] / base["peak_rss_mib"]
    print(f"peak memory 4x rows / 1x rows: {growth:.2f}")
    if growth > 1.5:
        print("FAIL: peak memory grows with the input", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
