"""Daily rollups on local files with real pyarrow and DuckDB: the same code path Glue runs on S3."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

import compaction_job
import lake_compaction as lc
import lake_rollups as lr
from conftest import DAY, EVENTS, MANIFESTS, SCHEMA_JSON, Crash, make_events, partition, write_input

FIXTURE = Path(__file__).parent / "fixtures" / "rollups.json"
SMALL = lc.CompactionConfig(target_file_bytes=1024 * 1024, row_group_rows=2048, merge_fan_in=4)


@pytest.fixture(scope="session")
def spec() -> lr.RollupSpec:
    return lr.load_spec(pafs.LocalFileSystem(), str(FIXTURE))


def day_events(schema: lc.LakeSchema, n: int, seed: int, day: dt.date = DAY) -> pa.Table:
    """Generated rows with few distinct documents, visitors and countries, so the groups hold many rows."""
    rng = random.Random(seed)
    table = make_events(schema, n, rng, day)
    few = {"document_id": 5, "visitor_id": 20, "country": 4}
    for name, k in few.items():
        values = [None if rng.random() < 0.1 else f"{name}-{rng.randrange(k)}" for _ in range(n)]
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(values, pa.string()))
    return table


def seed_day(lake, schema, seed: int = 1, day: dt.date = DAY, files: int = 3, rows: int = 400) -> dict[str, pa.Table]:
    """Several files in two event types' partitions of the day; returns the rows written per event type."""
    written = {}
    for i, event_type in enumerate(("document_download", "page_view")):
        table = day_events(schema, files * rows, seed * 10 + i, day)
        for f in range(files):
            write_input(lake, partition(schema, event_type, day), table.slice(f * rows, rows), f"firehose-{seed}-{f:03d}.parquet")
        written[event_type] = table
    return written


def add_late_file(lake, schema, seed: int, day: dt.date = DAY) -> dict[str, pa.Table]:
    table = day_events(schema, 150, seed, day)
    write_input(lake, partition(schema, "document_download", day), table, f"late-{seed}.parquet")
    return {"document_download": table}


def merge(*parts: dict[str, pa.Table]) -> dict[str, pa.Table]:
    out: dict[str, list[pa.Table]] = defaultdict(list)
    for p in parts:
        for k, v in p.items():
            out[k].append(v)
    return {k: pa.concat_tables(v) for k, v in out.items()}


def _key(row: tuple) -> tuple:
    return tuple((v is not None, v) for v in row)


def expected_rollups(written: dict[str, pa.Table], schema: lc.LakeSchema) -> dict[str, list[tuple]]:
    """The fixture's three rollups computed by hand in Python from the generated rows (no SQL involved)."""
    docs: dict[str | None, list] = defaultdict(lambda: [0, set()])
    hours: dict[dt.datetime, list] = defaultdict(lambda: [0, [], []])
    countries: dict[tuple, int] = defaultdict(int)
    for event_type, table in written.items():
        for r in table.to_pylist():
            if event_type == "document_download":
                d = docs[r["document_id"]]
                d[0] += 1
                if r["visitor_id"] is not None:
                    d[1].add(r["visitor_id"])
            h = hours[r[schema.sort_column].replace(minute=0, second=0, microsecond=0)]
            h[0] += 1
            h[1] += [r["bytes_sent"]] if r["bytes_sent"] is not None else []
            h[2] += [r["time_taken_ms"]] if r["time_taken_ms"] is not None else []
            countries[(event_type, r["country"])] += 1
    return {
        "documents_daily": sorted(((k, n, len(v)) for k, (n, v) in docs.items()), key=_key),
        "hours_daily": sorted(((k, n, sum(b) if b else None, sum(t) / len(t) if t else None) for k, (n, b, t) in hours.items()), key=_key),
        "countries_daily": sorted(((et, c, n) for (et, c), n in countries.items()), key=_key),
    }


def read_rollup(lake, schema, spec, name: str, day: dt.date = DAY) -> list[tuple]:
    rollup = next(r for r in spec.rollups if r.name == name)
    table = pq.read_table(lr.rollup_path(lake, schema, spec, rollup, day))
    return [tuple(r.values()) for r in table.to_pylist()]


def visible_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith(("_", "."))) if directory.exists() else []


def snapshot(root: Path, prefix: str) -> dict[str, bytes]:
    base = root / prefix
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()} if base.exists() else {}


def assert_equal_rollups(got: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> None:
    assert got.keys() == want.keys()
    for name in want:
        assert len(got[name]) == len(want[name]), name
        for g, w in zip(got[name], want[name], strict=True):
            # Doubles (the mean) to 1e-12 relative: DuckDB and Python may sum in another order. Everything else exactly.
            assert [pytest.approx(b, rel=1e-12) if isinstance(b, float) else b for b in w] == list(g), name


def all_rollups(lake, schema, spec, day: dt.date = DAY) -> dict[str, list[tuple]]:
    return {r.name: read_rollup(lake, schema, spec, r.name, day) for r in spec.rollups}


# ---------------------------------------------------------------------------


def test_rollups_of_a_generated_day_equal_a_hand_computed_expectation(lake, schema, spec):
    written = seed_day(lake, schema)
    seed_day(lake, schema, seed=7, day=DAY - dt.timedelta(days=1))  # another day: must not count
    lc.compact_days(lake, schema, [DAY], SMALL)
    events_before = snapshot(Path(lake.root), EVENTS) | snapshot(Path(lake.root), MANIFESTS)

    results = lr.rollup_day(lake, schema, spec, DAY)

    assert [(r.rollup, r.status) for r in results] == [(r.name, "written") for r in spec.rollups]
    want = expected_rollups(written, schema)
    assert_equal_rollups(all_rollups(lake, schema, spec), want)
    assert [r.rows for r in results] == [len(want[r.name]) for r in spec.rollups]
    # Rollups never touch the events or the manifests.
    assert snapshot(Path(lake.root), EVENTS) | snapshot(Path(lake.root), MANIFESTS) == events_before
    # The layout: one file per rollup and day, under the events table's date keys and padding.
    for r in spec.rollups:
        day_dir = Path(lake.root) / "rollups" / r.name / "year=2026" / "month=01" / "day=05"
        assert visible_files(day_dir) == ["part-00000.parquet"]
        assert [p.name for p in day_dir.iterdir()] == ["part-00000.parquet"]


def test_an_independent_reader_sees_the_declared_types_and_partitions(lake, schema, spec):
    seed_day(lake, schema)
    lr.rollup_day(lake, schema, spec, DAY)

    glob = str(Path(lake.root) / "rollups" / "hours_daily" / "**" / "*.parquet")
    con = duckdb.connect()
    source = f"read_parquet('{glob}', hive_partitioning = true)"
    types = {name: typ for name, typ, *_ in con.execute(f"describe select * from {source}").fetchall()}
    assert types == {
        "hour": "TIMESTAMP WITH TIME ZONE",
        "requests": "BIGINT",
        "bytes_sent": "BIGINT",
        "mean_time_taken_ms": "DOUBLE",
        **{k: "VARCHAR" if k != "year" else "BIGINT" for k in ("year", "month", "day")},  # zero-padded values read as text
    }
    n, hours, days = con.execute(
        f"select sum(requests), count(*), list(distinct year || '-' || month || '-' || day) from {source}"
    ).fetchone()
    assert (n, hours, days) == (2400, 24, ["2026-01-05"])
    col = pq.ParquetFile(next((Path(lake.root) / "rollups" / "hours_daily").rglob("*.parquet"))).schema.column(0)
    assert col.physical_type == "INT64"
    assert json.loads(col.logical_type.to_json()) == {
        "Type": "Timestamp",
        "isAdjustedToUTC": True,
        "timeUnit": "milliseconds",
        "is_from_converted_type": False,
        "force_set_converted_type": False,
    }


def test_a_rerun_replaces_the_day_once_with_the_same_bytes(lake, schema, spec):
    written = seed_day(lake, schema)
    lr.rollup_day(lake, schema, spec, DAY)
    first = snapshot(Path(lake.root), "rollups/")

    again = lr.rollup_day(lake, schema, spec, DAY)
    forced = lr.rollup_day(lake, schema, spec, DAY, force=True)

    assert {r.status for r in again} == {"up-to-date"}  # nothing changed: nothing rewritten
    assert {r.status for r in forced} == {"written"}
    assert snapshot(Path(lake.root), "rollups/") == first  # same bytes, same one file per rollup

    # A late file changes the day's inputs: the next run replaces each file once, with every row counted once.
    late = add_late_file(lake, schema, seed=99)
    lc.compact_days(lake, schema, [DAY], SMALL)
    assert {r.status for r in lr.rollup_day(lake, schema, spec, DAY)} == {"written"}
    assert_equal_rollups(all_rollups(lake, schema, spec), expected_rollups(merge(written, late), schema))
    assert all(len(visible_files((Path(lake.root) / p).parent)) == 1 for p in snapshot(Path(lake.root), "rollups/"))


@pytest.mark.parametrize("crash_after", [0, 1, 2])
def test_a_crash_between_rollup_files_leaves_each_rollup_old_or_new_and_the_next_run_finishes(lake, schema, spec, crash_after):
    written = seed_day(lake, schema)
    lr.rollup_day(lake, schema, spec, DAY)
    old = expected_rollups(written, schema)
    new = expected_rollups(merge(written, add_late_file(lake, schema, seed=5)), schema)
    assert old != new

    seen = []

    def crash(step: str, info: dict) -> None:
        if step != "rollup-written":
            return
        seen.append(info["rollup"])
        if len(seen) > crash_after:
            raise Crash(step)

    with pytest.raises(Crash):
        lr.rollup_day(lake, schema, spec, DAY, on_step=crash)

    got = all_rollups(lake, schema, spec)
    for i, r in enumerate(spec.rollups):
        assert len(visible_files(Path(lr.rollup_path(lake, schema, spec, r, DAY)).parent)) == 1
        assert_equal_rollups({r.name: got[r.name]}, {r.name: (new if i <= crash_after else old)[r.name]})
    results = lr.rollup_day(lake, schema, spec, DAY)
    assert [r.status for r in results] == ["up-to-date"] * (crash_after + 1) + ["written"] * (len(spec.rollups) - crash_after - 1)
    assert_equal_rollups(all_rollups(lake, schema, spec), new)


def test_a_crash_while_writing_a_file_leaves_the_old_file_and_no_visible_part(lake, schema, spec):
    written = seed_day(lake, schema)
    lr.rollup_day(lake, schema, spec, DAY)
    late = add_late_file(lake, schema, seed=6)

    def crash_before_rename(step: str, _info: dict) -> None:
        if step == "rollup-temp-written":
            raise Crash("killed between the temporary write and the rename")

    with pytest.raises(Crash):
        lr.rollup_day(lake, schema, spec, DAY, on_step=crash_before_rename)

    first = spec.rollups[0]
    day_dir = Path(lr.rollup_path(lake, schema, spec, first, DAY)).parent
    assert visible_files(day_dir) == ["part-00000.parquet"]
    assert len(list(day_dir.glob("_*.tmp"))) == 1  # hidden: Athena and DuckDB's *.parquet globs skip it
    assert_equal_rollups(all_rollups(lake, schema, spec), expected_rollups(written, schema))

    lr.rollup_day(lake, schema, spec, DAY)
    assert [p.name for p in day_dir.iterdir()] == ["part-00000.parquet"]  # the stale temporary file is gone
    assert_equal_rollups(all_rollups(lake, schema, spec), expected_rollups(merge(written, late), schema))


def test_a_day_without_events_gets_empty_files_with_the_schema(lake, schema, spec):
    results = lr.rollup_day(lake, schema, spec, DAY)

    assert [(r.status, r.rows) for r in results] == [("written", 0)] * len(spec.rollups)
    for r in spec.rollups:
        table = pq.read_table(lr.rollup_path(lake, schema, spec, r, DAY))
        assert table.num_rows == 0
        assert table.schema.equals(r.arrow)
    assert {r.status for r in lr.rollup_day(lake, schema, spec, DAY)} == {"up-to-date"}


def _spec_with(doc_change) -> lr.RollupSpec:
    doc = json.loads(FIXTURE.read_text())
    doc_change(doc)
    return lr.spec_from_json(doc)


def test_a_column_type_mismatch_fails_naming_the_rollup_and_the_column(lake, schema):
    def declare_document_id_int(doc):
        doc["rollups"][0]["columns"][0]["type"] = "int64"

    def drop_visitors(doc):
        doc["rollups"][0]["sql"] = doc["rollups"][0]["sql"].replace(", count(DISTINCT visitor_id) AS visitors", "")

    seed_day(lake, schema)
    for change, message in [
        (declare_document_id_int, "rollup documents_daily: column document_id is string in the query result, but the spec declares int64"),
        (drop_visitors, "rollup documents_daily: the query's columns do not match the spec; column(s) missing: visitors"),
    ]:
        results = lr.rollup_day(lake, schema, _spec_with(change), DAY, force=True)
        assert (results[0].rollup, results[0].status, results[0].error) == ("documents_daily", "failed", message)
        assert [r.status for r in results[1:]] == ["written", "written"]  # the other rollups go on

    with pytest.raises(ValueError, match=r"rollup hours_daily: column hour: unknown type 'date'"):
        _spec_with(lambda d: d["rollups"][1]["columns"][0].update(type="date"))
    with pytest.raises(ValueError, match=r"rollup countries_daily: the SQL does not contain \$DAY"):
        _spec_with(lambda d: d["rollups"][2].update(sql="SELECT 1"))


def test_rows_of_another_day_are_an_error(lake, schema):
    seed_day(lake, schema)
    other_day = _spec_with(
        lambda d: d["rollups"][0].update(sql=d["rollups"][0]["sql"].replace("'$DAY' AND '$DAY'", "'$DAY' AND '2026-12-31'"))
    )
    # The view holds only the day's rows; a SQL that selects a constant day column of another day is caught.
    wrong = _spec_with(
        lambda d: d["rollups"][0].update(
            sql=d["rollups"][0]["sql"]
            .replace("SELECT year, month, day,", "SELECT year, month, '06' AS day,")
            .replace("GROUP BY year, month, day,", "GROUP BY year, month,")
        )
    )
    assert {r.status for r in lr.rollup_day(lake, schema, other_day, DAY)} == {"written"}
    results = lr.rollup_day(lake, schema, wrong, DAY, force=True)
    assert results[0].error == "rollup documents_daily: column day holds ['06'], not the day's 05"


def test_a_partition_with_an_unfinished_compaction_is_not_rolled_up(lake, schema, spec):
    seed_day(lake, schema)
    part = partition(schema, "page_view")

    def stop_after_commit(step: str, _info: dict) -> None:
        if step == "manifest-committed":
            raise Crash(step)

    with pytest.raises(Crash):
        lc.compact_partition(lake, schema, part, SMALL, stop_after_commit)

    results = lr.rollup_day(lake, schema, spec, DAY)
    assert {r.status for r in results} == {"failed"}
    assert all(f"partition {part.rel} has unfinished compaction run(s)" in (r.error or "") for r in results)
    assert not (Path(lake.root) / "rollups").exists()


def test_outputs_of_a_compaction_that_crashed_before_its_manifest_stay_hidden_and_count_once(lake, schema, spec):
    # Compaction stages its outputs under the manifests prefix until its manifest commits (lake_compaction.py), so a
    # crash before that leaves the inputs as the only visible copy of the rows: the rollup counts each row once.
    written = seed_day(lake, schema)
    part = partition(schema, "page_view")

    def stop_before_commit(step: str, _info: dict) -> None:
        if step == "outputs-written":
            raise Crash(step)

    with pytest.raises(Crash):
        lc.compact_partition(lake, schema, part, SMALL, stop_before_commit)

    results = lr.rollup_day(lake, schema, spec, DAY)
    assert {r.status for r in results} == {"written"}
    assert_equal_rollups(all_rollups(lake, schema, spec), expected_rollups(written, schema))


def test_the_rollups_prefix_may_not_overlap_the_events_or_manifests(lake, schema):
    bad = _spec_with(lambda d: d.update(prefix="events/rollups/"))
    with pytest.raises(lr.RollupError, match="overlaps 'events/'"):
        lr.rollup_day(lake, schema, bad, DAY)


# ---------------------------------------------------------------------------
# The entry point


def job_args(lake, *extra: str) -> list[str]:
    return ["--lake-root", lake.root, "--events-prefix", EVENTS, "--manifests-prefix", MANIFESTS, "--schema-uri", str(SCHEMA_JSON),
            "--day", DAY.isoformat(), "--lookback-days", "1", *extra]  # fmt: skip


def test_the_job_compacts_then_rolls_up_the_days_whose_inputs_changed(lake, schema, spec, capsys):
    written = seed_day(lake, schema)
    yesterday = seed_day(lake, schema, seed=3, day=DAY - dt.timedelta(days=1))

    assert compaction_job.main(job_args(lake, "--rollups-uri", str(FIXTURE))) == 0

    out = capsys.readouterr().out
    assert out.count("written        rollup") == 6  # three rollups x two days
    assert_equal_rollups(all_rollups(lake, schema, spec), expected_rollups(written, schema))
    assert_equal_rollups(all_rollups(lake, schema, spec, DAY - dt.timedelta(days=1)), expected_rollups(yesterday, schema))
    # The next run: nothing changed, nothing rewritten; a late file of yesterday re-rolls yesterday only.
    late = add_late_file(lake, schema, seed=8, day=DAY - dt.timedelta(days=1))
    assert compaction_job.main(job_args(lake, "--rollups-uri", str(FIXTURE))) == 0
    out = capsys.readouterr().out
    assert out.count("written        rollup") == 3
    assert out.count("up-to-date     rollup") == 3
    assert_equal_rollups(all_rollups(lake, schema, spec, DAY - dt.timedelta(days=1)), expected_rollups(merge(yesterday, late), schema))
    # --rerun-rollups rewrites every rollup of the window (after a code change), with the same bytes.
    before = snapshot(Path(lake.root), "rollups/")
    assert compaction_job.main(job_args(lake, "--rollups-uri", str(FIXTURE), "--rerun-rollups")) == 0
    assert capsys.readouterr().out.count("written        rollup") == 6
    assert snapshot(Path(lake.root), "rollups/") == before


def test_a_crash_between_compaction_and_rollups_heals_on_the_next_run(lake, schema, spec, monkeypatch):
    written = seed_day(lake, schema)
    with monkeypatch.context() as m:

        def killed(*_a, **_k):
            raise Crash("killed after compaction")

        m.setattr(lr, "rollup_day", killed)
        with pytest.raises(Crash):
            compaction_job.main(job_args(lake, "--rollups-uri", str(FIXTURE)))
    assert not (Path(lake.root) / "rollups").exists()  # the events are compacted; the dashboards' rollups are missing

    assert compaction_job.main(job_args(lake, "--rollups-uri", str(FIXTURE))) == 0
    assert_equal_rollups(all_rollups(lake, schema, spec), expected_rollups(written, schema))


def test_a_failed_rollup_fails_the_job_and_leaves_the_events_alone(lake, schema, tmp_path, capsys):
    seed_day(lake, schema)
    doc = json.loads(FIXTURE.read_text())
    doc["rollups"][1]["sql"] = doc["rollups"][1]["sql"].replace("sum(bytes_sent)", "sum(no_such_column)")
    bad = tmp_path / "rollups.json"
    bad.write_text(json.dumps(doc))

    code = compaction_job.main(job_args(lake, "--rollups-uri", str(bad)))

    err = capsys.readouterr()
    assert code == 1
    assert "ROLLUPS FAILED for 2 rollup-day(s)" in err.err
    assert "rollup hours_daily: the SQL failed for 2026-01-05" in err.out
    assert all(p.name.startswith(lc.COMPACTED_PREFIX) for p in (Path(lake.root) / EVENTS).rglob("*.parquet"))  # compacted as usual


def test_rollups_are_skipped_for_a_day_whose_compaction_failed(lake, schema, capsys):
    seed_day(lake, schema)
    broken = Path(lake.path(EVENTS, partition(schema, "page_view").rel)) / "broken.parquet"
    broken.write_bytes(b"")

    code = compaction_job.main(job_args(lake, "--rollups-uri", str(FIXTURE), "--lookback-days", "0"))

    assert code == 1
    assert "ROLLUPS SKIPPED for 2026-01-05: compaction failed there" in capsys.readouterr().err
    assert not (Path(lake.root) / "rollups").exists()


# ---------------------------------------------------------------------------
# The real spec (schemas/generated/rollups.json, generated from the TypeScript rollup registry)

REAL_SPEC = SCHEMA_JSON.parent / "rollups.json"


def test_every_real_rollup_runs_over_a_generated_day_with_its_declared_columns(lake, schema):
    spec = lr.load_spec(pafs.LocalFileSystem(), str(REAL_SPEC))
    event_types = next(k["values"] for k in json.loads(SCHEMA_JSON.read_text())["x-partition-keys"] if k["kind"] == "enum")
    written = {}
    for i, event_type in enumerate(event_types):
        written[event_type] = day_events(schema, 300, seed=100 + i)
        write_input(lake, partition(schema, event_type), written[event_type], "firehose-0.parquet")
    # The rollup of the error records (test_rollups_errors.py checks its rows) needs a record too.
    errors_dir = Path(lake.root) / "errors" / "processing-failed" / "year=2026" / "month=01" / "day=05"
    errors_dir.mkdir(parents=True)
    (errors_dir / "firehose-0").write_text(json.dumps({"arrivalTimestamp": 1767571200000, "errorCode": "X", "rawData": "YQ=="}) + "\n")

    results = lr.rollup_day(lake, schema, spec, DAY)

    assert [(r.rollup, r.status, r.error) for r in results] == [(r.name, "written", None) for r in spec.rollups]
    for r, res in zip(spec.rollups, results, strict=True):
        table = pq.read_table(lr.rollup_path(lake, schema, spec, r, DAY))
        assert table.schema.equals(r.arrow), r.name
        assert table.num_rows == res.rows > 0, r.name
    # One of them checked by hand: traffic_daily, one row for the day.
    everything = pa.concat_tables(written.values())
    bots = everything.column("is_bot").to_pylist()
    pages = written["page_view"].filter(pc.invert(written["page_view"].column("is_bot")))
    visitors = {v for v in pages.column("visitor_id").to_pylist() if v is not None}
    assert read_rollup(lake, schema, spec, "traffic_daily") == [(everything.num_rows, sum(bots), pages.num_rows, len(visitors))]


def test_the_tests_run_the_pinned_runtime_versions_that_glue_installs():
    lines = (SCHEMA_JSON.parents[2] / "glue" / "requirements.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    assert pins == {"pyarrow": pa.__version__, "duckdb": duckdb.__version__}


def test_only_the_columns_the_rollups_name_are_read_unless_a_sql_selects_unnamed_ones(schema, spec):
    assert lr.columns_read(spec.rollups, schema) == [
        n for n in schema.arrow.names if n in {"event_time", "bytes_sent", "time_taken_ms", "document_id", "visitor_id", "country"}
    ]
    star = _spec_with(lambda d: d["rollups"][2].update(sql="SELECT count(*) AS requests FROM (SELECT * FROM events WHERE day = $DAY)"))
    assert lr.columns_read(star.rollups, schema) == schema.arrow.names
    regex = _spec_with(lambda d: d["rollups"][2].update(sql="SELECT max(COLUMNS('utm_.*')) FROM events WHERE day = $DAY"))
    assert lr.columns_read(regex.rollups, schema) == schema.arrow.names
