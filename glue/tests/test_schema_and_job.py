"""The schema derived from the generated JSON Schema, the day arithmetic and the Glue entry point."""

from __future__ import annotations

import datetime as dt
import json
import random

import pyarrow as pa
import pyarrow.fs as pafs
import pytest

import compaction_job
import lake_compaction as lc
from conftest import DAY, EVENTS, MANIFESTS, SCHEMA_JSON, files_in, make_events, partition, write_input


def test_the_schema_follows_the_generated_json_schema():
    doc = json.loads(SCHEMA_JSON.read_text())
    schema = lc.schema_from_json(doc)
    assert schema.arrow.names == doc["x-column-order"]
    for f in schema.arrow:
        assert f.type == lc.LAKE_TYPES[doc["properties"][f.name]["x-lake-type"]]
        assert f.nullable
    assert [k.name for k in schema.partition_keys] == [k["name"] for k in doc["x-partition-keys"]]
    assert schema.arrow.field(schema.sort_column).type == pa.timestamp("ms", tz="UTC")


def test_an_unknown_lake_type_is_an_error():
    doc = json.loads(SCHEMA_JSON.read_text())
    first = doc["x-column-order"][0]
    doc["properties"][first]["x-lake-type"] = "decimal"
    with pytest.raises(ValueError, match=f"column {first}: unknown x-lake-type 'decimal'"):
        lc.schema_from_json(doc)


def test_days_to_compact_is_the_day_and_its_lookback_oldest_first():
    assert lc.days_to_compact(dt.date(2026, 3, 1), 2) == [dt.date(2026, 2, 27), dt.date(2026, 2, 28), dt.date(2026, 3, 1)]
    assert lc.days_to_compact(DAY, 0) == [DAY]
    with pytest.raises(ValueError, match="lookback_days"):
        lc.days_to_compact(DAY, -1)


def test_yesterday_is_computed_in_utc():
    assert compaction_job.yesterday_utc(dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.UTC)) == dt.date(2025, 12, 31)


def test_arguments_ignore_glues_own_and_validate_ours():
    args = compaction_job.parse_args(
        ["--JOB_ID", "j_1", "--lake-bucket", "b", "--events-prefix", "events/", "--manifests-prefix", "m/", "--schema-uri", "s3://a/s.json",
         "--day", "2026-01-05", "--job-bookmark-option", "job-bookmark-disable"]
    )  # fmt: skip
    assert (args.lake_bucket, args.day, args.lookback_days, args.target_file_size_mb) == ("b", DAY, 2, 128)
    with pytest.raises(SystemExit):
        compaction_job.parse_args(
            ["--lake-bucket", "b", "--events-prefix", "e/", "--manifests-prefix", "m/", "--schema-uri", "x", "--day", "05/01/2026"]
        )
    with pytest.raises(SystemExit):
        compaction_job.parse_args(
            ["--lake-bucket", "b", "--events-prefix", "e/", "--manifests-prefix", "m/", "--schema-uri", "x", "--lookback-days", "-1"]
        )


def test_the_entry_point_compacts_a_local_lake_and_fails_loudly_on_a_bad_partition(lake, schema, capsys):
    good, bad = partition(schema, "page_view"), partition(schema, "qr_scan", DAY - dt.timedelta(days=1))
    for i in range(3):
        write_input(lake, good, make_events(schema, 10, random.Random(i)), f"f{i}.parquet")
    write_input(lake, bad, make_events(schema, 10, random.Random(9)), "ok.parquet")
    (lake.filesystem.open_output_stream(f"{lake.path(EVENTS, bad.rel)}/broken.parquet")).close()  # a zero-byte object
    argv = ["--lake-root", lake.root, "--events-prefix", EVENTS, "--manifests-prefix", MANIFESTS, "--schema-uri", str(SCHEMA_JSON),
            "--day", DAY.isoformat(), "--lookback-days", "1"]  # fmt: skip

    code = compaction_job.main(argv)

    out = capsys.readouterr()
    assert code == 1
    assert "COMPACTION FAILED for 1 partition(s)" in out.err
    assert f"compacted      {good.rel}  inputs=3 outputs=1 rows=30" in out.out
    assert len(files_in(lake, good)) == 1
    assert sorted(files_in(lake, bad)) == ["broken.parquet", "ok.parquet"]


def test_date_partition_keys_and_their_padding_come_from_the_generated_schema(schema):
    doc = json.loads(SCHEMA_JSON.read_text())
    generated = {k["name"]: (k.get("digits"), k.get("datePart")) for k in doc["x-partition-keys"]}
    assert {k.name: (k.digits, k.date_part) for k in schema.partition_keys} == generated
    assert any(part is not None for _, part in generated.values()), "the generated schema marks the date keys"


def test_the_job_finds_partitions_by_the_generated_keys_not_by_fixed_names(tmp_path):
    # Prepare: the generated schema with the date keys renamed and re-padded; no code names them.
    doc = json.loads(SCHEMA_JSON.read_text())
    renamed = {"year": "y", "month": "m", "day": "d"}
    for k in doc["x-partition-keys"]:
        if k.get("datePart"):
            k["name"] = renamed[k["datePart"]]
            k["digits"] = 3
    schema = lc.schema_from_json(doc)
    lake = lc.Lake(pafs.LocalFileSystem(), str(tmp_path), EVENTS, MANIFESTS)
    other = next(k.name for k in schema.partition_keys if k.date_part is None)
    for day in (DAY, DAY - dt.timedelta(days=1)):
        rel = "/".join(f"{k.name}={'page_view' if k.date_part is None else lc.date_value(k, day)}" for k in schema.partition_keys)
        (tmp_path / EVENTS / rel).mkdir(parents=True)
    # Act
    found = lc.partitions_for_day(lake, schema, DAY)
    # Assess: the partition of DAY only, under the generated names and padding.
    assert [p.rel for p in found] == [f"{other}=page_view/y=2026/m=001/d=005"]


def test_an_unknown_date_part_is_an_error():
    doc = json.loads(SCHEMA_JSON.read_text())
    next(k for k in doc["x-partition-keys"] if k.get("datePart"))["datePart"] = "week"
    with pytest.raises(ValueError, match="unknown datePart 'week'"):
        lc.schema_from_json(doc)
