"""Shared fixtures: the table schema from the generated JSON Schema, a local lake, generated events."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

import lake_compaction as lc

REPO = Path(__file__).resolve().parents[2]
SCHEMA_JSON = REPO / "schemas" / "generated" / "events.schema.json"
# Test values for the job's prefix arguments; in AWS they come from schemas/lake.ts through the construct.
EVENTS, MANIFESTS = "events/", "_compaction/"
DAY = dt.date(2026, 1, 5)


class Crash(BaseException):
    """A simulated crash: a BaseException, so the job's per-partition error handling does not catch it."""


@pytest.fixture(scope="session")
def schema() -> lc.LakeSchema:
    return lc.load_schema(pafs.LocalFileSystem(), str(SCHEMA_JSON))


@pytest.fixture
def lake(tmp_path: Path) -> lc.Lake:
    root = tmp_path / "lake"
    root.mkdir()
    return lc.Lake(pafs.LocalFileSystem(), str(root), EVENTS, MANIFESTS)


def partition(schema: lc.LakeSchema, event_type: str = "page_view", day: dt.date = DAY) -> lc.Partition:
    """The partition of an event type on a day; the date keys (and their padding) come from the generated schema."""
    return lc.Partition(tuple((k.name, event_type if k.date_part is None else lc.date_value(k, day)) for k in schema.partition_keys))


def part_dir(lake: lc.Lake, part: lc.Partition) -> Path:
    return Path(lake.path(lake.events_prefix, part.rel))


_counter = iter(range(10**9))


def make_events(schema: lc.LakeSchema, n: int, rng: random.Random, day: dt.date = DAY) -> pa.Table:
    """n rows of the table, every column filled by its type (about 1 in 10 nullable values null), unique request ids."""
    start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)
    cols = {}
    for f in schema.arrow:
        t = f.type
        if f.name == schema.sort_column:
            cols[f.name] = pa.array([start + rng.randrange(86_400_000) for _ in range(n)], t)
        elif f.name == "request_id":
            cols[f.name] = pa.array([f"req-{next(_counter)}-{rng.getrandbits(32):08x}" for _ in range(n)], t)
        elif pa.types.is_string(t):
            cols[f.name] = pa.array([None if rng.random() < 0.1 else f"{f.name}-{rng.randrange(1000)}" for _ in range(n)], t)
        elif pa.types.is_boolean(t):
            cols[f.name] = pa.array([rng.random() < 0.5 for _ in range(n)], t)
        elif pa.types.is_integer(t):
            cols[f.name] = pa.array([None if rng.random() < 0.1 else rng.randrange(-(2**31), 2**31) for _ in range(n)], t)
        elif pa.types.is_floating(t):
            cols[f.name] = pa.array([rng.random() for _ in range(n)], t)
        else:
            raise AssertionError(f"no generator for {f.name}: {t}")
    return pa.table(cols, schema=schema.arrow)


def write_input(lake: lc.Lake, part: lc.Partition, table: pa.Table, name: str, **kwargs: object) -> Path:
    """Write one small input file the way Firehose would: into the partition, a unique name."""
    d = part_dir(lake, part)
    d.mkdir(parents=True, exist_ok=True)
    path = d / name
    pq.write_table(table, path, compression="snappy", **kwargs)
    return path


def rows_of(table: pa.Table) -> pa.Table:
    """The rows in a canonical order (by request id, unique in generated data), so `==` compares multisets exactly."""
    return Rows(table.sort_by([("request_id", "ascending")]))


class Rows:
    def __init__(self, table: pa.Table):
        self.table = table

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rows) and self.table.num_rows == other.table.num_rows and self.table.equals(other.table)

    def __repr__(self) -> str:
        return f"<{self.table.num_rows} rows>"


def read_partition(lake: lc.Lake, part: lc.Partition, schema: lc.LakeSchema) -> pa.Table:
    d = part_dir(lake, part)
    files = sorted(p for p in d.iterdir() if p.is_file() and not p.name.startswith(("_", ".")))
    tables = [pq.read_table(p, coerce_int96_timestamp_unit="ms").select(schema.arrow.names).cast(schema.arrow) for p in files]
    return pa.concat_tables(tables) if tables else schema.arrow.empty_table()


def files_in(lake: lc.Lake, part: lc.Partition) -> list[str]:
    d = part_dir(lake, part)
    return sorted(p.name for p in d.iterdir() if p.is_file()) if d.exists() else []


@pytest.fixture
def s3lake(tmp_path: Path):
    """A lake on the S3-like filesystem (tests/s3like.py) with a reader that checks every request: (lake, handler, reader)."""
    from s3like import Reader, S3LikeHandler  # imported here: s3like imports Crash from this module

    root = tmp_path / "s3lake"
    root.mkdir()
    reader = Reader(root, EVENTS, MANIFESTS)
    handler = S3LikeHandler(tmp_path / "uploads", reader)
    return lc.Lake(pafs.PyFileSystem(handler), str(root), EVENTS, MANIFESTS), handler, reader
