"""What a reader (Athena) sees while compaction runs, after every single storage request, crashes included.

The lake lives on the S3-like filesystem of tests/s3like.py: PUTs and copies appear whole, a move is a copy and a
delete, and a Reader checks after every request that changes storage that no row is visible twice and that rows are
missing only inside the one window the protocol allows (a committed run whose inputs are partly deleted and outputs
partly unpublished; docs/compaction.md)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

import lake_compaction as lc
from conftest import DAY, EVENTS, MANIFESTS, Crash, files_in, make_events, part_dir, partition, read_partition, rows_of, write_input
from s3like import Reader, S3LikeHandler, visible_ids

#: One row group per output file, each its own file: several outputs, so the window spans several publishes.
MULTI = lc.CompactionConfig(target_file_bytes=1, row_group_rows=100, merge_fan_in=4)
FILES, ROWS = 12, 25  # 300 rows in 12 inputs -> 3 outputs


def seed(lake: lc.Lake, schema: lc.LakeSchema, reader: Reader, seed: int = 1) -> tuple[lc.Partition, pa.Table]:
    """The same inputs for every test, plus a second partition the run also compacts."""
    rng = random.Random(seed)
    part = partition(schema)
    table = make_events(schema, FILES * ROWS, rng)
    for i in range(FILES):
        write_input(lake, part, table.slice(i * ROWS, ROWS), f"webstats-events-1-2026-01-05-{i:05d}.parquet")
    other = make_events(schema, 40, rng)
    write_input(lake, partition(schema, "qr_scan"), other, "webstats-events-1-2026-01-05-qr.parquet")
    reader.add(table.column("request_id").to_pylist() + other.column("request_id").to_pylist())
    return part, pa.concat_tables([table, other])


def assert_exactly_once(lake: lc.Lake, reader: Reader) -> None:
    seen = visible_ids(Path(lake.root) / lake.events_prefix)
    assert set(seen) == reader.truth
    assert max(seen.values()) == 1
    for p in Path(lake.root, lake.manifests_prefix).rglob("*"):
        # Only done manifests remain: no staged output, no temporary file, no manifest left committed.
        assert p.is_dir() or (p.suffix == ".json" and json.loads(p.read_text())["status"] == "done"), p


def test_a_clean_run_never_shows_a_row_twice_and_misses_rows_only_in_one_window_per_partition(s3lake, schema):
    lake, _handler, reader = s3lake
    part, _ = seed(lake, schema, reader)

    report = lc.compact_days(lake, schema, [DAY], MULTI)

    assert not report.failed
    by_partition = {r.partition: r for r in report.results}
    assert (by_partition[part.rel].inputs, by_partition[part.rel].outputs) == (FILES, 3)
    assert_exactly_once(lake, reader)
    assert reader.max_ratio == 1.0
    # One window per compacted partition, each exactly its input deletes and its output copies long.
    windows = reader.windows()
    assert sorted(windows) == sorted(r.inputs + r.outputs for r in report.results)
    # Inside the main partition's window the reader saw some of its rows missing, at worst all of them.
    assert reader.min_ratio < 1.0


def test_a_crash_after_any_storage_request_then_a_rerun_never_shows_a_row_twice_and_ends_exactly_once(tmp_path, schema):
    """Every crash point: the first run dies right after request k, for every k a clean run makes; the rerun
    recovers. The reader checks after each request of both runs."""

    def fresh(k: int, crash_at: int | None) -> tuple[lc.Lake, S3LikeHandler, Reader]:
        root = tmp_path / f"lake-{k}"
        root.mkdir()
        reader = Reader(root, EVENTS, MANIFESTS)

        def after(kind: str, path: str) -> None:
            reader(kind, path)
            if crash_at is not None and len(handler.requests) == crash_at:
                raise Crash(f"after request {crash_at}: {kind} {path}")

        handler = S3LikeHandler(tmp_path / f"uploads-{k}", after)
        return lc.Lake(pafs.PyFileSystem(handler), str(root), EVENTS, MANIFESTS), handler, reader

    lake, handler, reader = fresh(0, None)
    seed(lake, schema, reader)
    lc.compact_days(lake, schema, [DAY], MULTI)
    crash_points = len(handler.requests)
    assert crash_points >= 2 * (FILES + 3)  # puts, manifest writes, every delete and copy

    worst, least, windows = reader.max_ratio, reader.min_ratio, reader.windows()
    for k in range(1, crash_points + 1):
        lake, handler, reader = fresh(k, k)
        seed(lake, schema, reader)
        with pytest.raises(Crash):
            lc.compact_days(lake, schema, [DAY], MULTI)
        handler.dead, handler.after = False, reader  # the rerun: a new process, the same storage, no crash

        rerun = lc.compact_days(lake, schema, [DAY], MULTI)

        assert not rerun.failed, (k, rerun.failed)
        assert_exactly_once(lake, reader)
        worst, least = max(worst, reader.max_ratio), min(least, reader.min_ratio)
        windows += reader.windows()
    assert worst == 1.0
    # A crash inside a window leaves it open until the rerun's recovery publishes: one window, split by the crash.
    assert max(windows) <= FILES + 3
    print(
        f"crash points: {crash_points}; visible/truth after every request: max {worst:.2f}x, min {least:.2f}x (in a window); "
        f"longest window: {max(windows)} requests"
    )


@pytest.mark.parametrize("seed_", range(6))
def test_random_crashes_and_late_files_over_several_runs_never_show_a_row_twice(tmp_path, schema, seed_):
    """Several runs in a row on the S3-like lake, each possibly crashing after a random request and receiving late
    files at a random step, then one clean run; the reader checks after every request of every run."""
    rng = random.Random(seed_)
    root = tmp_path / "lake"
    root.mkdir()
    reader = Reader(root, EVENTS, MANIFESTS)
    crash_at: list[int] = []  # the request count to crash at, while a run may crash

    def after(kind: str, path: str) -> None:
        reader(kind, path)
        if crash_at and len(handler.requests) >= crash_at[0]:
            crash_at.clear()
            raise Crash(kind)

    handler = S3LikeHandler(tmp_path / "uploads", after)
    lake = lc.Lake(pafs.PyFileSystem(handler), str(root), EVENTS, MANIFESTS)
    part = partition(schema)
    config = lc.CompactionConfig(target_file_bytes=rng.choice([1, 64 * 1024]), row_group_rows=rng.choice([64, 1024]), merge_fan_in=2)
    first = make_events(schema, rng.randint(20, 200), rng)
    per_file = -(-first.num_rows // rng.randint(1, 15))
    for i, start in enumerate(range(0, first.num_rows, per_file)):
        write_input(lake, part, first.slice(start, per_file), f"in-{i:04d}.parquet")
    reader.add(first.column("request_id").to_pylist())

    def arrive(name: str) -> None:
        late = make_events(schema, rng.randint(1, 20), rng)
        with handler.lock:  # Firehose's PUT: the rows exist from the moment the object does
            reader.add(late.column("request_id").to_pylist())
            with lake.filesystem.open_output_stream(f"{lake.path(lake.events_prefix, part.rel)}/late-{name}.parquet") as f:
                pq.write_table(late, f)

    for attempt in range(rng.randint(1, 4)):
        late_at = rng.choice([None, *lc.STEPS])
        crash_at[:] = [len(handler.requests) + rng.randint(1, 30)]

        def on_step(name, _info, late_at=late_at, attempt=attempt):
            if name == late_at:
                arrive(f"{attempt}-{rng.getrandbits(32):08x}")

        try:
            lc.compact_partition(lake, schema, part, config, on_step=on_step)
        except Crash:
            handler.dead = False  # the next attempt is a new process on the same storage

    crash_at.clear()
    lc.compact_partition(lake, schema, part, config)

    assert_exactly_once(lake, reader)
    assert all(n.startswith(lc.COMPACTED_PREFIX) for n in files_in(lake, part))
    assert reader.max_ratio == 1.0


@pytest.mark.parametrize("run_id", ["r-1", "", "_r1", ".r1", "r/1", "r.1", "r 1", "r_1", "x" * 65, "ré1"])
def test_a_run_id_that_could_be_misread_is_refused_before_anything_is_touched(lake, schema, run_id):
    part = partition(schema)
    write_input(lake, part, make_events(schema, 10, random.Random(1)), "a.parquet")
    before = files_in(lake, part)

    with pytest.raises(ValueError, match="run id"):
        lc.compact_partition(lake, schema, part, run_id=run_id)

    assert files_in(lake, part) == before
    assert not Path(lake.root, MANIFESTS).exists()


def test_a_valid_run_id_names_the_outputs_and_the_manifest(lake, schema):
    part = partition(schema)
    write_input(lake, part, make_events(schema, 10, random.Random(1)), "a.parquet")

    lc.compact_partition(lake, schema, part, run_id="Run2026x")

    assert files_in(lake, part) == [f"{lc.COMPACTED_PREFIX}Run2026x-0000.parquet"]
    assert (Path(lake.root, MANIFESTS, part.rel) / "Run2026x.json").exists()


def test_a_committed_output_with_a_hyphenated_run_id_survives_later_runs(lake, schema):
    """Finding 2: a lake where an earlier version compacted with run id "r-1" (it accepted any id). The next run's
    recovery read the run as "r", found no such manifest and deleted the committed output: 150 rows -> 0."""
    part = partition(schema)
    rng = random.Random(4)
    first = make_events(schema, 150, rng)
    for i in range(3):
        write_input(lake, part, first.slice(i * 50, 50), f"in-{i}.parquet")
    lc.compact_partition(lake, schema, part, run_id="r1")
    # What the earlier version left: the output under the hyphenated id, and its manifest (version 1) naming it.
    mdir = Path(lake.root, MANIFESTS, part.rel)
    m = json.loads((mdir / "r1.json").read_text())
    (mdir / "r1.json").unlink()
    old, new = part_dir(lake, part) / f"{lc.COMPACTED_PREFIX}r1-0000.parquet", f"{lc.COMPACTED_PREFIX}r-1-0000.parquet"
    old.rename(old.with_name(new))
    outputs = [{"path": o["path"].replace(old.name, new), "size": o["size"], "rows": o["rows"]} for o in m["outputs"]]
    m.update(run_id="r-1", version=1, outputs=outputs)
    (mdir / "r-1.json").write_text(json.dumps(m))
    late = make_events(schema, 10, rng)
    write_input(lake, part, late, "late.parquet")

    lc.compact_partition(lake, schema, part)  # recovery runs first, then the late file is merged with the small output

    assert rows_of(read_partition(lake, part, schema)) == rows_of(pa.concat_tables([first, late]))
    assert lc.compact_partition(lake, schema, part).status == "nothing-to-do"
    assert read_partition(lake, part, schema).num_rows == 160


def test_what_an_uncommitted_run_staged_is_deleted_and_never_visible(lake, schema):
    part = partition(schema)
    rng = random.Random(5)
    expected = make_events(schema, 30, rng)
    write_input(lake, part, expected, "a.parquet")
    staged = Path(lake.root, MANIFESTS, part.rel, "20260106T000000Zdeadbeef")
    staged.mkdir(parents=True)
    (staged / f"{lc.COMPACTED_PREFIX}20260106T000000Zdeadbeef-0000.parquet").write_bytes(b"PAR1 truncated")

    assert lc.recover(lake, part) is True

    assert not staged.exists()
    assert files_in(lake, part) == ["a.parquet"]
    assert rows_of(read_partition(lake, part, schema)) == rows_of(expected)


def test_an_earlier_versions_committed_manifest_is_finished(lake, schema):
    """A version 1 run that crashed after its commit: outputs in the partition beside some inputs. It is finished
    (its remaining inputs deleted), as before."""
    part = partition(schema)
    rng = random.Random(6)
    table = make_events(schema, 40, rng)
    for i in range(4):
        write_input(lake, part, table.slice(i * 10, 10), f"in-{i}.parquet")
    lc.compact_partition(lake, schema, part, run_id="old1")
    mdir = Path(lake.root, MANIFESTS, part.rel)
    m = json.loads((mdir / "old1.json").read_text())
    m.update(version=1, status="committed", outputs=[{k: v for k, v in o.items() if k != "staged"} for o in m["outputs"]])
    (mdir / "old1.json").write_text(json.dumps(m))
    write_input(lake, part, table.slice(0, 10), "in-0.parquet")  # an input the crash left behind

    assert lc.recover(lake, part) is True

    assert files_in(lake, part) == [f"{lc.COMPACTED_PREFIX}old1-0000.parquet"]
    assert rows_of(read_partition(lake, part, schema)) == rows_of(table)
    assert json.loads((mdir / "old1.json").read_text())["status"] == "done"
