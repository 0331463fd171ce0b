"""Compaction on local files with real pyarrow: the same code path Glue runs on S3."""

from __future__ import annotations

import contextlib
import json
import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lake_compaction as lc
from conftest import DAY, Crash, files_in, make_events, part_dir, partition, read_partition, rows_of, write_input

SMALL = lc.CompactionConfig(target_file_bytes=1024 * 1024, row_group_rows=2048, merge_fan_in=4)


def seed_partition(lake, schema, part, files: int, rows: int, seed: int = 1) -> pa.Table:
    rng = random.Random(seed)
    table = make_events(schema, files * rows, rng)
    for i in range(files):
        write_input(lake, part, table.slice(i * rows, rows), f"webstats-events-1-2026-01-05-{i:05d}-{rng.getrandbits(64):016x}.parquet")
    return table


def compacted(lake, part) -> list[str]:
    return [n for n in files_in(lake, part) if n.startswith(lc.COMPACTED_PREFIX)]


def manifests(lake, part) -> list[dict]:
    d = Path(lake.path(lake.manifests_prefix, part.rel))
    return [json.loads(p.read_text()) for p in sorted(d.glob("*.json"))] if d.exists() else []


def assert_sorted(table: pa.Table, column: str) -> None:
    keys = table.column(column).cast(pa.int64()).to_pylist()
    assert keys == sorted(keys)


def test_a_thousand_small_files_become_a_few_with_the_same_rows_and_schema(lake, schema):
    part = partition(schema)
    expected = seed_partition(lake, schema, part, files=1000, rows=30)

    report = lc.compact_days(lake, schema, [DAY], SMALL)

    assert [(r.status, r.inputs, r.rows) for r in report.results] == [("compacted", 1000, 30_000)]
    outputs = compacted(lake, part)
    assert files_in(lake, part) == outputs
    assert 2 <= len(outputs) <= 10
    got = pa.concat_tables(pq.read_table(part_dir(lake, part) / n) for n in outputs)
    assert got.schema.equals(schema.arrow)
    assert rows_of(got) == rows_of(expected)
    assert_sorted(got, schema.sort_column)
    for n in outputs:
        md = pq.ParquetFile(part_dir(lake, part) / n).metadata
        assert all(md.row_group(g).num_rows <= SMALL.row_group_rows for g in range(md.num_row_groups))
        col = pq.ParquetFile(part_dir(lake, part) / n).schema.column(schema.arrow.get_field_index(schema.sort_column))
        assert col.physical_type == "INT64"
        assert json.loads(col.logical_type.to_json())["timeUnit"] == "milliseconds"

    # An independent reader sees the partition, its keys and the same rows.
    glob = str(Path(lake.root) / "events" / "**" / "*.parquet")
    con = duckdb.connect()
    n, distinct, typ = con.execute(
        f"select count(*), count(distinct request_id), typeof(any_value({schema.sort_column})) "
        f"from read_parquet('{glob}', hive_partitioning = true) where event_type = 'page_view' and day = 5"
    ).fetchone()
    assert (n, distinct) == (30_000, 30_000)
    assert typ == "TIMESTAMP WITH TIME ZONE"

    m = manifests(lake, part)
    assert [x["status"] for x in m] == ["done"]
    assert len(m[0]["inputs"]) == 1000
    assert sorted(Path(o["path"]).name for o in m[0]["outputs"]) == outputs


def test_many_sorted_runs_merge_in_several_passes(lake, schema):
    part = partition(schema)
    expected = seed_partition(lake, schema, part, files=40, rows=500, seed=7)
    config = lc.CompactionConfig(target_file_bytes=64 * 2**20, row_group_rows=1000, merge_fan_in=2)

    result = lc.compact_partition(lake, schema, part, config)

    assert (result.status, result.outputs) == ("compacted", 1)
    got = read_partition(lake, part, schema)
    assert rows_of(got) == rows_of(expected)
    assert_sorted(got, schema.sort_column)


@pytest.mark.parametrize(
    ("step", "nth"),
    [
        ("outputs-written", 1),
        ("manifest-committed", 1),
        ("input-deleted", 1),
        ("input-deleted", 37),
        ("output-published", 1),
        ("manifest-done", 1),
    ],
)
def test_a_crash_at_any_step_then_a_rerun_leaves_every_row_exactly_once(lake, schema, step, nth):
    part = partition(schema)
    expected = seed_partition(lake, schema, part, files=80, rows=25, seed=3)
    seen = {"n": 0}

    def crash_at(name, _info):
        if name == step:
            seen["n"] += 1
            if seen["n"] == nth:
                raise Crash(step)

    with pytest.raises(Crash):
        lc.compact_days(lake, schema, [DAY], SMALL, on_step=crash_at)

    rerun = lc.compact_days(lake, schema, [DAY], SMALL)

    assert not rerun.failed
    got = read_partition(lake, part, schema)
    assert got.num_rows == expected.num_rows
    assert rows_of(got) == rows_of(expected)
    assert files_in(lake, part) == compacted(lake, part)
    assert {m["status"] for m in manifests(lake, part)} == {"done"}


def test_a_partial_output_a_version_1_run_left_in_the_partition_is_deleted_not_counted(lake, schema):
    part = partition(schema)
    expected = seed_partition(lake, schema, part, files=20, rows=10)
    (part_dir(lake, part) / f"{lc.COMPACTED_PREFIX}20260106T000000Zdeadbeef-0000.parquet").write_bytes(b"PAR1 truncated")

    result = lc.compact_partition(lake, schema, part, SMALL)

    assert result.status == "compacted"
    assert rows_of(read_partition(lake, part, schema)) == rows_of(expected)
    assert not any("deadbeef" in n for n in files_in(lake, part))


def test_a_file_arriving_during_the_run_survives_and_is_compacted_next_time(lake, schema):
    part = partition(schema)
    expected = seed_partition(lake, schema, part, files=30, rows=20)
    late = make_events(schema, 15, random.Random(99))

    def arrive(name, _info):
        if name == "outputs-written":
            write_input(lake, part, late, "webstats-events-1-2026-01-05-late.parquet")

    first = lc.compact_partition(lake, schema, part, SMALL, on_step=arrive)

    assert first.inputs == 30
    assert "webstats-events-1-2026-01-05-late.parquet" in files_in(lake, part)
    all_rows = pa.concat_tables([expected, late])
    assert rows_of(read_partition(lake, part, schema)) == rows_of(all_rows)

    second = lc.compact_partition(lake, schema, part, SMALL)

    assert second.status == "compacted"
    assert files_in(lake, part) == compacted(lake, part)
    got = read_partition(lake, part, schema)
    assert rows_of(got) == rows_of(all_rows)


def test_a_second_run_is_a_no_op(lake, schema):
    part = partition(schema)
    seed_partition(lake, schema, part, files=10, rows=10)
    lc.compact_days(lake, schema, [DAY], SMALL)
    before = {n: (part_dir(lake, part) / n).stat().st_mtime_ns for n in files_in(lake, part)}

    again = lc.compact_days(lake, schema, [DAY], SMALL)

    assert [r.status for r in again.results] == ["nothing-to-do"]
    assert {n: (part_dir(lake, part) / n).stat().st_mtime_ns for n in files_in(lake, part)} == before
    assert len(manifests(lake, part)) == 1


def test_an_empty_partition_and_an_empty_file(lake, schema):
    empty = partition(schema, "qr_scan")
    part_dir(lake, empty).mkdir(parents=True)
    zero_rows = partition(schema, "asset")
    write_input(lake, zero_rows, schema.arrow.empty_table(), "empty.parquet")

    report = lc.compact_days(lake, schema, [DAY], SMALL)

    assert sorted((r.partition.split("/")[0], r.status) for r in report.results) == [
        ("event_type=asset", "compacted"),
        ("event_type=qr_scan", "nothing-to-do"),
    ]
    assert files_in(lake, empty) == []
    assert files_in(lake, zero_rows) == []
    assert manifests(lake, zero_rows)[0]["rows"] == 0


def test_a_corrupt_input_stops_its_partition_and_deletes_nothing_there(lake, schema):
    bad = partition(schema, "document_download")
    seed_partition(lake, schema, bad, files=5, rows=10)
    (part_dir(lake, bad) / "webstats-events-1-2026-01-05-corrupt.parquet").write_bytes(b"this is not parquet at all")
    before = files_in(lake, bad)
    good = partition(schema, "page_view")
    expected_good = seed_partition(lake, schema, good, files=5, rows=10, seed=5)

    report = lc.compact_days(lake, schema, [DAY], SMALL)

    failed = report.failed
    assert [r.partition for r in failed] == [bad.rel]
    assert "unreadable input" in (failed[0].error or "")
    assert "corrupt.parquet" in (failed[0].error or "")
    assert files_in(lake, bad) == before
    assert manifests(lake, bad) == []
    assert rows_of(read_partition(lake, good, schema)) == rows_of(expected_good)
    assert files_in(lake, good) == compacted(lake, good)


def test_a_file_corrupt_after_its_footer_deletes_the_partial_output_and_no_input(lake, schema):
    part = partition(schema)
    seed_partition(lake, schema, part, files=3, rows=50)
    victim = part_dir(lake, part) / sorted(files_in(lake, part))[1]
    data = bytearray(victim.read_bytes())
    data[8:400] = b"\x00" * 392  # the footer survives, the column chunks do not
    victim.write_bytes(bytes(data))
    before = files_in(lake, part)

    with pytest.raises(lc.CompactionError, match="unreadable input"):
        lc.compact_partition(lake, schema, part, SMALL)

    assert files_in(lake, part) == before
    assert manifests(lake, part) == []
    assert [p for p in Path(lake.root, lake.manifests_prefix).rglob("*") if p.is_file()] == []  # nothing staged is left


def test_int96_timestamps_and_a_missing_column_become_the_table_schema(lake, schema):
    part = partition(schema)
    rng = random.Random(11)
    modern = make_events(schema, 40, rng)
    legacy = make_events(schema, 40, rng)
    write_input(lake, part, modern, "a.parquet")
    # Hive-style writers (Firehose's Parquet conversion among them) store timestamps as INT96; older files lack new columns.
    write_input(lake, part, legacy.drop_columns(["ip_prefix"]), "b.parquet", use_deprecated_int96_timestamps=True, store_schema=False)
    assert pq.ParquetFile(part_dir(lake, part) / "b.parquet").schema.column(0).physical_type == "INT96"

    lc.compact_partition(lake, schema, part, SMALL)

    (out,) = compacted(lake, part)
    pf = pq.ParquetFile(part_dir(lake, part) / out)
    assert pf.schema.column(0).physical_type == "INT64"
    assert json.loads(pf.schema.column(0).logical_type.to_json())["isAdjustedToUTC"] is True
    got = pf.read()
    legacy_filled = legacy.set_column(legacy.schema.get_field_index("ip_prefix"), "ip_prefix", pa.nulls(40, pa.string()))
    assert rows_of(got) == rows_of(pa.concat_tables([modern, legacy_filled]))


def test_an_input_with_a_column_the_table_lacks_is_refused(lake, schema):
    part = partition(schema)
    t = make_events(schema, 10, random.Random(2))
    write_input(lake, part, t.append_column("surprise", pa.array(["x"] * 10)), "extra.parquet")

    with pytest.raises(lc.CompactionError, match="surprise"):
        lc.compact_partition(lake, schema, part, SMALL)
    assert files_in(lake, part) == ["extra.parquet"]


def test_an_epoch_number_is_not_taken_for_a_timestamp(lake, schema):
    part = partition(schema)
    t = make_events(schema, 10, random.Random(2))
    i = t.schema.get_field_index(schema.sort_column)
    write_input(lake, part, t.set_column(i, schema.sort_column, t.column(i).cast(pa.int64())), "epoch.parquet")

    with pytest.raises(lc.CompactionError, match=f"column {schema.sort_column} is int64"):
        lc.compact_partition(lake, schema, part, SMALL)


def test_recovery_keeps_the_inputs_when_a_committed_output_is_missing(lake, schema):
    part = partition(schema)
    seed_partition(lake, schema, part, files=10, rows=10)

    def crash(name, _info):
        if name == "manifest-committed":
            raise Crash(name)

    with pytest.raises(Crash):
        lc.compact_partition(lake, schema, part, SMALL, on_step=crash)
    inputs = [n for n in files_in(lake, part) if not n.startswith(lc.COMPACTED_PREFIX)]
    staged = list(Path(lake.root, lake.manifests_prefix, part.rel).glob(f"*/{lc.COMPACTED_PREFIX}*.parquet"))
    assert staged  # committed: the outputs are staged, none published yet
    assert compacted(lake, part) == []
    for p in staged:
        p.unlink()

    with pytest.raises(lc.CompactionError, match="missing or changed"):
        lc.compact_partition(lake, schema, part, SMALL)
    assert [n for n in files_in(lake, part) if not n.startswith(lc.COMPACTED_PREFIX)] == inputs


def test_small_earlier_outputs_are_merged_with_late_files(lake, schema):
    part = partition(schema)
    first = seed_partition(lake, schema, part, files=5, rows=10)
    lc.compact_partition(lake, schema, part, SMALL)
    late = make_events(schema, 10, random.Random(8))
    write_input(lake, part, late, "late.parquet")

    result = lc.compact_partition(lake, schema, part, SMALL)

    assert (result.inputs, result.outputs) == (2, 1)
    assert len(compacted(lake, part)) == 1
    assert rows_of(read_partition(lake, part, schema)) == rows_of(pa.concat_tables([first, late]))


@pytest.mark.parametrize("seed", range(12))
def test_random_crashes_and_late_files_over_several_runs_keep_every_row_exactly_once(lake, schema, seed):
    """Several runs in a row, each possibly crashing at a random step and receiving late files, then one clean run."""
    rng = random.Random(seed)
    part = partition(schema)
    config = lc.CompactionConfig(target_file_bytes=rng.choice([64 * 1024, 2**20]), row_group_rows=1024, merge_fan_in=2)
    written = [seed_partition(lake, schema, part, files=rng.randint(1, 25), rows=rng.randint(1, 60), seed=seed)]

    for attempt in range(rng.randint(1, 4)):
        step, nth = rng.choice(lc.STEPS), rng.randint(1, 5)
        late_at = rng.choice([None, *lc.STEPS])
        seen: dict[str, int] = {}

        def on_step(name, _info, step=step, nth=nth, late_at=late_at, attempt=attempt, seen=seen):
            seen[name] = seen.get(name, 0) + 1
            if name == late_at and seen[name] == 1:
                late = make_events(schema, rng.randint(1, 20), rng)
                write_input(lake, part, late, f"late-{attempt}-{rng.getrandbits(32):08x}.parquet")
                written.append(late)
            if name == step and seen[name] == nth:
                raise Crash(name)

        with contextlib.suppress(Crash):
            lc.compact_partition(lake, schema, part, config, on_step=on_step)
        # Mid-way a crash may leave rows missing (inputs deleted, outputs still staged), never a row twice.
        present = read_partition(lake, part, schema).column("request_id").to_pylist()
        assert len(present) == len(set(present))
        assert set(present) <= set(pa.concat_tables(written).column("request_id").to_pylist())

    lc.compact_partition(lake, schema, part, config)

    assert files_in(lake, part) == compacted(lake, part)
    assert rows_of(read_partition(lake, part, schema)) == rows_of(pa.concat_tables(written))
    assert {m["status"] for m in manifests(lake, part)} == {"done"}
