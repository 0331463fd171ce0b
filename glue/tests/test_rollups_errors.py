"""The errors_daily rollup of the real spec: Firehose's JSON error records of a day, read as the errors table reads them."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from collections import defaultdict
from pathlib import Path

import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

import lake_compaction as lc
import lake_rollups as lr
from conftest import DAY, SCHEMA_JSON, make_events, partition, write_input

REAL_SPEC = SCHEMA_JSON.parent / "rollups.json"


@pytest.fixture(scope="module")
def spec() -> lr.RollupSpec:
    return lr.load_spec(pafs.LocalFileSystem(), str(REAL_SPEC))


def errors_only(spec: lr.RollupSpec) -> lr.RollupSpec:
    return lr.RollupSpec(spec.prefix, spec.file, tuple(r for r in spec.rollups if r.input == "errors"), spec.errors)


def ms(day: dt.date, seconds: int) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000) + seconds * 1000


def write_errors(lake: lc.Lake, error_type: str, day: dt.date, name: str, lines: list[str], gz: bool = False) -> None:
    d = Path(lake.root) / "errors" / error_type / f"year={day:%Y}" / f"month={day:%m}" / f"day={day:%d}"
    d.mkdir(parents=True, exist_ok=True)
    data = "".join(f"{line}\n" for line in lines).encode()
    (d / name).write_bytes(gzip.compress(data) if gz else data)


def processing_failed(arrival: int, code: str | None = "Lambda.ProcessingFailedStatus") -> str:
    record = {"attemptsMade": 1, "arrivalTimestamp": arrival, "errorMessage": "m", "attemptEndingTimestamp": arrival + 5, "rawData": "YQ=="}
    return json.dumps(record | ({"errorCode": code} if code is not None else {}))


def conversion_failed(arrival: int) -> str:
    # Conversion failures come with capitalised keys; the errors table matches keys case-insensitively.
    return json.dumps({"AttemptsMade": 1, "ArrivalTimestamp": arrival, "ErrorCode": "DataFormatConversion.ParseError", "RawData": "Yg=="})


def read_rows(lake, schema, spec, day: dt.date = DAY) -> list[tuple]:
    r = next(r for r in spec.rollups if r.input == "errors")
    return [tuple(row.values()) for row in pq.read_table(lr.rollup_path(lake, schema, spec, r, day)).to_pylist()]


def expected(records: list[tuple[str, str | None, int | None]]) -> list[tuple]:
    """(type, code, arrival) -> rows of (type, code, records, first, last), computed by hand, sorted like the file."""
    groups: dict[tuple, list] = defaultdict(list)
    for t, code, arrival in records:
        groups[(t, code)].append(arrival)
    rows = []
    for (t, code), arrivals in groups.items():
        known = [a for a in arrivals if a is not None]
        rows.append((t, code, len(arrivals), min(known) if known else None, max(known) if known else None))
    return sorted(rows, key=lambda r: tuple((v is not None, v) for v in r))


def test_the_real_spec_has_one_rollup_of_the_error_records_and_their_layout(spec):
    assert [r.name for r in spec.rollups if r.input == "errors"] == ["errors_daily"]
    assert spec.errors is not None
    assert spec.errors.day_prefix == "errors/{error_type}/year={year}/month={month}/day={day}/"
    assert "processing-failed" in spec.errors.types


def test_error_records_of_a_day_roll_up_to_a_hand_computed_expectation(lake, schema, spec):
    truth: list[tuple[str, str | None, int | None]] = []
    a = [ms(DAY, s) for s in (5, 60, 3600)]
    write_errors(lake, "processing-failed", DAY, "stream-1-2026-01-05-00-00-00-x", [processing_failed(t) for t in a])
    truth += [("processing-failed", "Lambda.ProcessingFailedStatus", t) for t in a]
    write_errors(lake, "processing-failed", DAY, "stream-1-2026-01-05-12-00-00-y.gz", [processing_failed(ms(DAY, 86_399))], gz=True)
    truth.append(("processing-failed", "Lambda.ProcessingFailedStatus", ms(DAY, 86_399)))
    write_errors(lake, "processing-failed", DAY, "stream-1-2026-01-05-13-00-00-z", [processing_failed(ms(DAY, 70), code=None), "{not json"])
    truth += [("processing-failed", None, ms(DAY, 70)), (None, None, None)]  # the malformed line: a row of nulls
    write_errors(lake, "format-conversion-failed", DAY, "stream-1-c", [conversion_failed(ms(DAY, 100)), conversion_failed(ms(DAY, 50))])
    truth += [("format-conversion-failed", "DataFormatConversion.ParseError", t) for t in (ms(DAY, 100), ms(DAY, 50))]
    # Not the day's, or hidden: never counted.
    write_errors(lake, "processing-failed", DAY - dt.timedelta(days=1), "other-day", [processing_failed(ms(DAY, -10))])
    write_errors(lake, "processing-failed", DAY, "_temporary", [processing_failed(ms(DAY, 1))])
    # The malformed line keeps its path's type (the SerDe nulls the record's columns, not the partition's).
    truth = [("processing-failed", c, t) if k is None else (k, c, t) for k, c, t in truth]

    results = lr.rollup_day(lake, schema, errors_only(spec), DAY)

    assert [(r.rollup, r.status, r.rows, r.error) for r in results] == [("errors_daily", "written", 3, None)]
    assert read_rows(lake, schema, spec) == expected(truth)


def test_a_rerun_is_up_to_date_and_a_late_error_file_rewrites_the_day(lake, schema, spec):
    write_errors(lake, "processing-failed", DAY, "a", [processing_failed(ms(DAY, 10))])
    assert [r.status for r in lr.rollup_day(lake, schema, errors_only(spec), DAY)] == ["written"]
    assert [r.status for r in lr.rollup_day(lake, schema, errors_only(spec), DAY)] == ["up-to-date"]

    write_errors(lake, "processing-failed", DAY, "b", [processing_failed(ms(DAY, 5)), processing_failed(ms(DAY, 20))])

    assert [r.status for r in lr.rollup_day(lake, schema, errors_only(spec), DAY)] == ["written"]
    assert read_rows(lake, schema, spec) == [("processing-failed", "Lambda.ProcessingFailedStatus", 3, ms(DAY, 5), ms(DAY, 20))]


def test_a_day_without_error_records_gets_an_empty_file_with_the_schema(lake, schema, spec):
    results = lr.rollup_day(lake, schema, errors_only(spec), DAY)

    assert [(r.status, r.rows) for r in results] == [("written", 0)]
    r = next(r for r in spec.rollups if r.input == "errors")
    table = pq.read_table(lr.rollup_path(lake, schema, spec, r, DAY))
    assert table.num_rows == 0
    assert table.schema.equals(r.arrow)


def test_an_unfinished_compaction_of_the_events_fails_their_rollups_but_not_the_error_records(lake, schema, spec):
    write_input(lake, partition(schema, "page_view"), make_events(schema, 50, random.Random(1)), "firehose-0.parquet")
    # A compacted-looking file no manifest names: the events of the day may be doubled.
    write_input(lake, partition(schema, "page_view"), make_events(schema, 5, random.Random(2)), "compacted-20260106T000000Z-0000.parquet")
    write_errors(lake, "processing-failed", DAY, "a", [processing_failed(ms(DAY, 10))])

    results = {r.rollup: r for r in lr.rollup_day(lake, schema, spec, DAY)}

    assert results["errors_daily"].status == "written"
    failed = sorted(n for n, r in results.items() if r.status == "failed")
    assert failed == sorted(r.name for r in spec.rollups if r.input == "events")
    assert all("unfinished compaction" in (results[n].error or "") for n in failed)


def test_a_spec_whose_rollup_reads_errors_needs_the_errors_layout():
    doc = json.loads(REAL_SPEC.read_text())
    del doc["errors"]
    with pytest.raises(ValueError, match="errors_daily read errors, but the spec has no 'errors' section"):
        lr.spec_from_json(doc)
    doc = json.loads(REAL_SPEC.read_text())
    doc["rollups"][0]["input"] = "logs"
    with pytest.raises(ValueError, match=r"rollup documents_daily: input must be one of events, errors, got 'logs'"):
        lr.spec_from_json(doc)
