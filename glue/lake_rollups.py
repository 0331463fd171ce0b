"""Daily rollups of the lake: small aggregate tables per UTC day, written after compaction.

For a day this module reads the day's input of each rollup into Arrow: for ``events``
rollups every Parquet file of every ``events/`` partition of that day (all event types),
registered in DuckDB as the view ``events`` (the table's columns plus its partition keys
as strings, as Athena shows them); for ``errors`` rollups Firehose's JSON error records of
the day (every output type), as the view ``errors`` (the errors table's columns, read as its
JSON SerDe does, plus ``error_type`` and the date keys from the path). It runs each rollup's SQL
from the generated spec (``schemas/generated/rollups.json``, written by ``npm run gen``
from the TypeScript rollup registry), casts the result to the spec's columns and writes
ONE Parquet file per rollup and day::

    <prefix><rollup name>/<year key>=YYYY/<month key>=MM/<day key>=DD/<file>

The key is deterministic, so a rerun replaces the day's file by one atomic write (a single
PUT on S3; a temporary name and a rename locally): a reader sees the old file or the new
one, never both and never a part. Rows are sorted by every column, so a rerun over the
same inputs writes the same bytes. A day without events gets files with 0 rows and the
right schema, so "rolled up" is observable.

Each file carries a fingerprint (file metadata) of the rollup's definition and of the
day's input files (paths and sizes). A day is rolled up again when the fingerprint no
longer matches: compaction rewrote the day, a late file arrived, or the SQL changed. That
is what makes a crash between compaction and rollups, or between two rollup files, heal
on the next run within the lookback window.

Nothing here writes, moves or deletes anything outside the rollups prefix. Partition keys,
their padding and the events columns come from the generated events schema (via
lake_compaction); rollup names, columns and SQL from the generated spec. DuckDB runs in
memory, without extensions beyond those built into the wheel (no httpfs: pyarrow does the
I/O). Runs on AWS Glue 5.0 (Python 3.11).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import logging
import re
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

import lake_compaction as lc

log = logging.getLogger("lake_rollups")

#: Arrow type of each column type the spec may declare (the Glue table declares the same: string, bigint, double, timestamp).
ROLLUP_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int64": pa.int64(),
    "double": pa.float64(),
    # INT64 TIMESTAMP(MILLIS, isAdjustedToUTC=true), like the events table: Athena engine v3 reads it as timestamp.
    "timestamp_ms": pa.timestamp("ms", tz="UTC"),
}

#: The placeholder the spec's SQL holds for the day (unless the spec names its own ``day_placeholder``); replaced by the
#: quoted day, e.g. '2026-01-05'.
DAY_PLACEHOLDER = "$DAY"

#: File metadata key of the fingerprint (rollup definition + the day's input files).
FINGERPRINT_KEY = b"lake_rollups.fingerprint"

#: Step names passed to ``on_step`` (tests inject crashes there).
STEPS = ("rollup-temp-written", "rollup-written")

OnStep = Callable[[str, dict], None]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class RollupError(Exception):
    """A rollup of a day cannot be written; the lake outside the rollups prefix is untouched."""


# ---------------------------------------------------------------------------
# The spec


@dataclass(frozen=True)
class Rollup:
    name: str
    table: str
    arrow: pa.Schema
    sql: str
    placeholder: str
    #: The view the SQL reads: "events" or "errors".
    input: str
    #: sha256 of the rollup's definition as generated (name, columns, SQL): part of every file's fingerprint.
    definition_hash: str

    def sql_for(self, day: dt.date) -> str:
        """The SQL for one day. The spec may hold the placeholder quoted ('$DAY') or bare ($DAY); both give '2026-01-05'."""
        quoted = f"'{day.isoformat()}'"
        return self.sql.replace(f"'{self.placeholder}'", quoted).replace(self.placeholder, quoted)


@dataclass(frozen=True)
class ErrorsInput:
    """Where a day's error records are and how a record's JSON keys map to the errors table's columns."""

    #: Key prefix of one type's day, with {error_type} and the date keys' names as fields, ending with '/'.
    day_prefix: str
    types: tuple[str, ...]
    #: (column, JSON key, Arrow type), in table order.
    columns: tuple[tuple[str, str, pa.DataType], ...]


@dataclass(frozen=True)
class RollupSpec:
    prefix: str
    file: str
    rollups: tuple[Rollup, ...]
    errors: ErrorsInput | None = None


def spec_from_json(doc: dict) -> RollupSpec:
    """Validate the generated spec. Every problem names the rollup and, where there is one, the column."""
    prefix, file = doc.get("prefix"), doc.get("file")
    if not isinstance(prefix, str) or not prefix.endswith("/") or prefix.startswith("/") or prefix.strip("/") == "" or ".." in prefix:
        raise ValueError(f"rollups spec: prefix must be a key prefix ending with '/', got {prefix!r}")
    if not isinstance(file, str) or "/" in file or not file.endswith(".parquet") or file.startswith(("_", ".")):
        # Athena and our readers skip names starting with _ or .: such a file would never be read.
        raise ValueError(f"rollups spec: file must be a visible *.parquet name without '/', got {file!r}")
    placeholder = doc.get("day_placeholder", DAY_PLACEHOLDER)
    if not isinstance(placeholder, str) or not placeholder.strip():
        raise ValueError(f"rollups spec: day_placeholder must be a non-empty string, got {placeholder!r}")
    rollups = []
    for r in doc.get("rollups", []):
        name = r.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"rollups spec: rollup name {name!r} must be lower-case letters, digits and _")
        fields = []
        for c in r.get("columns", []):
            if c.get("type") not in ROLLUP_TYPES:
                known = ", ".join(ROLLUP_TYPES)
                raise ValueError(f"rollup {name}: column {c.get('name')}: unknown type {c.get('type')!r} (known: {known})")
            fields.append(pa.field(c["name"], ROLLUP_TYPES[c["type"]], nullable=True))
        if not fields:
            raise ValueError(f"rollup {name}: no columns")
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise ValueError(f"rollup {name}: duplicate column names in {names}")
        if placeholder not in r.get("sql", ""):
            raise ValueError(f"rollup {name}: the SQL does not contain {placeholder}, so it cannot be limited to one day")
        source = r.get("input", "events")
        if source not in INPUTS:
            raise ValueError(f"rollup {name}: input must be one of {', '.join(INPUTS)}, got {source!r}")
        definition = json.dumps({"name": name, "input": source, "columns": r["columns"], "sql": r["sql"]}, sort_keys=True)
        rollups.append(
            Rollup(name, r["table"], pa.schema(fields), r["sql"], placeholder, source, hashlib.sha256(definition.encode()).hexdigest())
        )
    if len({r.name for r in rollups}) != len(rollups):
        raise ValueError("rollups spec: duplicate rollup names")
    errors = _errors_from_json(doc["errors"]) if "errors" in doc else None
    needs = [r.name for r in rollups if r.input == "errors"]
    if needs and errors is None:
        raise ValueError(f"rollups spec: rollup(s) {', '.join(needs)} read errors, but the spec has no 'errors' section")
    return RollupSpec(prefix, file, tuple(rollups), errors)


#: The views a rollup may read.
INPUTS = ("events", "errors")


def _errors_from_json(doc: dict) -> ErrorsInput:
    prefix, types = doc.get("day_prefix"), doc.get("types")
    if not isinstance(prefix, str) or not prefix.endswith("/") or "{error_type}" not in prefix or ".." in prefix:
        raise ValueError(f"rollups spec: errors.day_prefix must be a key prefix ending with '/' holding {{error_type}}, got {prefix!r}")
    if not isinstance(types, list) or not types or not all(isinstance(t, str) and re.match(r"^[a-z][a-z0-9-]*$", t) for t in types):
        raise ValueError(f"rollups spec: errors.types must be a non-empty list of lower-case names, got {types!r}")
    columns = []
    for c in doc.get("columns", []):
        if c.get("type") not in ROLLUP_TYPES or not isinstance(c.get("json_key"), str) or not _NAME.match(str(c.get("name"))):
            raise ValueError(f"rollups spec: errors column {c!r} needs a name, a json_key and a known type ({', '.join(ROLLUP_TYPES)})")
        columns.append((c["name"], c["json_key"], ROLLUP_TYPES[c["type"]]))
    if not columns:
        raise ValueError("rollups spec: errors.columns is empty")
    return ErrorsInput(prefix, tuple(types), tuple(columns))


def load_spec(filesystem: pafs.FileSystem, path: str) -> RollupSpec:
    with filesystem.open_input_stream(path) as f:
        return spec_from_json(json.loads(f.read().decode("utf-8")))


# ---------------------------------------------------------------------------
# Layout


def check_prefix(lake: lc.Lake, spec: RollupSpec) -> None:
    """The rollups prefix must not overlap the events or manifest prefixes: writing rollups never touches those."""
    for other in (lake.events_prefix, lake.manifests_prefix):
        a, b = spec.prefix.strip("/") + "/", other.strip("/") + "/"
        if a.startswith(b) or b.startswith(a):
            raise RollupError(f"the rollups prefix {spec.prefix!r} overlaps {other!r}")


def _date_keys(schema: lc.LakeSchema) -> list[lc.PartitionKey]:
    return [k for k in schema.partition_keys if k.date_part is not None]


def rollup_path(lake: lc.Lake, schema: lc.LakeSchema, spec: RollupSpec, rollup: Rollup, day: dt.date) -> str:
    """Where a rollup's file of a day lives: the date partition keys (names, padding) of the events table."""
    day_dir = "/".join(f"{k.name}={lc.date_value(k, day)}" for k in _date_keys(schema))
    return lake.path(spec.prefix, rollup.name, day_dir, spec.file)


# ---------------------------------------------------------------------------
# Inputs of a day


@dataclass(frozen=True)
class DayInputs:
    """The visible files of every events partition of a day, as listed once (a snapshot)."""

    #: (the events partition, or the error output type, of each file; the file)
    files: tuple[tuple[lc.Partition | str, pafs.FileInfo], ...]

    def fingerprint(self, lake: lc.Lake, rollup: Rollup) -> str:
        h = hashlib.sha256(rollup.definition_hash.encode())
        for _, info in self.files:
            h.update(f"\0{lake.relative(info.path)}\0{info.size}".encode())
        return h.hexdigest()


def list_day(lake: lc.Lake, schema: lc.LakeSchema, day: dt.date) -> DayInputs:
    """List the day's input files. Refuses a partition with an unfinished compaction: a committed run whose inputs are
    not all deleted yet, or outputs of a run that crashed before its manifest; in both, some rows are there twice."""
    files = []
    for part in lc.partitions_for_day(lake, schema, day):
        manifests = lc.read_manifests(lake, part)
        infos = lake.filesystem.get_file_info(pafs.FileSelector(lake.path(lake.events_prefix, part.rel), allow_not_found=True))
        visible = [i for i in infos if i.type == pafs.FileType.File and not lc._is_hidden(i.base_name)]
        # A published output is always named in its manifest; a compacted-looking file no manifest names is an older
        # run's leftover that recovery has not removed yet: its rows may also be in the inputs.
        published = {o.path for m in manifests for o in m.outputs}
        unfinished = sorted(
            {m.run_id for m in manifests if m.status != "done"}
            | {i.base_name for i in visible if lc._is_compacted(i.base_name) and lake.relative(i.path) not in published}
        )
        if unfinished:
            raise RollupError(f"partition {part.rel} has unfinished compaction run(s) {unfinished}; its rows may be doubled")
        files += [(part, i) for i in visible]
    return DayInputs(tuple(sorted(files, key=lambda f: f[1].path)))


def list_error_day(lake: lc.Lake, schema: lc.LakeSchema, errors: ErrorsInput, day: dt.date) -> DayInputs:
    """List the day's error record files, every output type (Firehose writes them whole; no compaction touches them)."""
    dates = {k.name: lc.date_value(k, day) for k in _date_keys(schema)}
    files = []
    for error_type in errors.types:
        folder = lake.path(errors.day_prefix.format(error_type=error_type, **dates))
        infos = lake.filesystem.get_file_info(pafs.FileSelector(folder, allow_not_found=True))
        files += [(error_type, i) for i in infos if i.type == pafs.FileType.File and not lc._is_hidden(i.base_name)]
    return DayInputs(tuple(sorted(files, key=lambda f: f[1].path)))


def _json_value(value: object, target: pa.DataType) -> object:
    """A JSON value as the column's type, as the errors table's SerDe reads it: a value that does not fit is null."""
    if value is None:
        return None
    if pa.types.is_string(target):
        return value if isinstance(value, str) else json.dumps(value)
    if pa.types.is_integer(target):
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        return None
    if pa.types.is_floating(target):
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return None


def error_records_schema(schema: lc.LakeSchema, errors: ErrorsInput) -> pa.Schema:
    """The DuckDB view ``errors``: the errors table's columns, then error_type and the date keys as strings."""
    return pa.schema(
        [*(pa.field(n, t) for n, _, t in errors.columns), pa.field("error_type", pa.string())]
        + [pa.field(k.name, pa.string()) for k in _date_keys(schema)]
    )


def read_error_day(lake: lc.Lake, schema: lc.LakeSchema, errors: ErrorsInput, inputs: DayInputs, day: dt.date) -> pa.Table:
    """Every error record of the day's files, one row per line, as the errors table shows it. Keys match their column
    case-insensitively (Firehose writes errorCode for processing failures, ErrorCode for conversion failures); a line
    that is not a JSON object is a row of nulls (the table's SerDe ignores malformed JSON the same way), counted in the log."""
    view = error_records_schema(schema, errors)
    dates = {k.name: lc.date_value(k, day) for k in _date_keys(schema)}
    wanted = [(n, key.lower(), t) for n, key, t in errors.columns]
    values: dict[str, list] = {f.name: [] for f in view}
    malformed = 0
    for error_type, info in inputs.files:
        try:
            with lake.filesystem.open_input_stream(info.path) as f:
                data = f.read()
            if data[:2] == b"\x1f\x8b":  # a gzip object (a destination with GZIP compression)
                data = gzip.decompress(data)
        except (OSError, EOFError, pa.ArrowException) as e:
            raise RollupError(f"unreadable error records {info.path}: {e}") from e
        for line in data.splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                malformed += 1
                record = {}
            lower = {str(k).lower(): v for k, v in record.items()}
            for n, key, t in wanted:
                values[n].append(_json_value(lower.get(key), t))
            values["error_type"].append(error_type)
            for k, v in dates.items():
                values[k].append(v)
    if malformed:
        log.warning(
            "%d error record line(s) of %s are not JSON objects: counted as rows of nulls, as the errors table reads them", malformed, day
        )
    return pa.Table.from_pydict(values, schema=view)


def columns_read(rollups: Sequence[Rollup], schema: lc.LakeSchema) -> list[str]:
    """The table's columns the rollups' SQL names (as words; a superset is harmless), in table order: the only ones read,
    which bounds memory by what the rollups use. All of them when a SQL could select columns without naming them."""
    text = "\n".join(r.sql for r in rollups)
    unnamed = re.search(r"\*", re.sub(r"count\s*\(\s*\*\s*\)", "", text, flags=re.IGNORECASE)) or re.search(
        r"\bcolumns\s*\(", text, flags=re.IGNORECASE
    )
    if unnamed:
        return list(schema.arrow.names)
    return [n for n in schema.arrow.names if re.search(rf"\b{re.escape(n)}\b", text, flags=re.IGNORECASE)]


def events_view_schema(schema: lc.LakeSchema, columns: Sequence[str] | None = None) -> pa.Schema:
    """The DuckDB view ``events``: the table's columns (those given, default all), then its partition keys as strings
    (as in the path)."""
    fields = [schema.arrow.field(c) for c in (schema.arrow.names if columns is None else columns)]
    return pa.schema([*fields, *(pa.field(k.name, pa.string()) for k in schema.partition_keys)])


def read_day(lake: lc.Lake, schema: lc.LakeSchema, inputs: DayInputs, columns: Sequence[str] | None = None) -> pa.Table:
    """Every row of the day's inputs, conformed to the table's schema (as compaction reads them), with the partition
    values; only the given columns (default all)."""
    view = events_view_schema(schema, columns)
    body_schema = pa.schema([f for f in view if f.name in schema.arrow.names])

    def read(item: tuple[lc.Partition, pafs.FileInfo]) -> pa.Table:
        part, info = item
        try:
            pf = lc._open_parquet(lake.filesystem, info.path)
            present = [c for c in body_schema.names if c in pf.schema_arrow.names]
            table = pf.read(columns=present, use_threads=False)
        except (OSError, pa.ArrowException) as e:
            raise RollupError(f"unreadable input {info.path}: {e}") from e
        body = pa.Table.from_batches([lc._conform(b, body_schema) for b in table.to_batches()], body_schema)
        values = dict(part.values)
        for k in schema.partition_keys:
            body = body.append_column(pa.field(k.name, pa.string()), pa.array([values[k.name]] * body.num_rows, pa.string()))
        return body

    with ThreadPoolExecutor(lc.IO_THREADS) as pool:  # latency-bound on S3, like compaction's reads
        tables = list(pool.map(read, inputs.files))
    return pa.concat_tables(tables).combine_chunks() if tables else view.empty_table()


# ---------------------------------------------------------------------------
# Running a rollup and shaping its result


def connect() -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB that never downloads an extension (Glue must not depend on it) and computes in UTC."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    # Day boundaries, hour() and date_trunc() on TIMESTAMPTZ follow the session time zone: the lake's days are UTC days.
    con.execute("SET TimeZone = 'UTC'")
    return con


def _compatible(source: pa.DataType, target: pa.DataType) -> bool:
    """The casts a rollup result may need: DuckDB widens sums to HUGEINT (decimal) and truncates time to microseconds."""
    if pa.types.is_null(source) or source == target:
        return True
    if pa.types.is_string(target):
        return pa.types.is_string(source) or pa.types.is_large_string(source) or pa.types.is_string_view(source)
    if pa.types.is_integer(target):
        return pa.types.is_integer(source) or (pa.types.is_decimal(source) and source.scale == 0)
    if pa.types.is_floating(target):
        return pa.types.is_floating(source) or pa.types.is_integer(source) or pa.types.is_decimal(source)
    if pa.types.is_timestamp(target):
        return pa.types.is_timestamp(source)
    return False


def conform_result(rollup: Rollup, schema: lc.LakeSchema, day: dt.date, result: pa.Table) -> pa.Table:
    """The result as the spec's columns and types, sorted by every column. The day's date partition columns, which
    the SQL may select, must hold the day and are dropped (they are the path). Anything else is an error naming the column."""
    date_keys = {k.name: lc.date_value(k, day) for k in _date_keys(schema)}
    for name, expected in date_keys.items():
        if name in result.column_names:
            found = {v for v in result.column(name).cast(pa.string()).unique().to_pylist() if v != expected}
            if found:
                raise RollupError(f"rollup {rollup.name}: column {name} holds {sorted(map(str, found))}, not the day's {expected}")
    wanted = set(rollup.arrow.names)
    extra = [n for n in result.column_names if n not in wanted and n not in date_keys]
    missing = [n for n in rollup.arrow.names if n not in result.column_names]
    if extra or missing:
        raise RollupError(
            f"rollup {rollup.name}: the query's columns do not match the spec"
            + (f"; column(s) missing: {', '.join(missing)}" if missing else "")
            + (f"; column(s) not in the spec: {', '.join(extra)}" if extra else "")
        )
    cols = []
    for f in rollup.arrow:
        col = result.column(f.name)
        if not _compatible(col.type, f.type):
            raise RollupError(f"rollup {rollup.name}: column {f.name} is {col.type} in the query result, but the spec declares {f.type}")
        if pa.types.is_timestamp(col.type) and col.type.tz is None:
            col = col.cast(pa.timestamp(col.type.unit, tz="UTC"))  # DuckDB TIMESTAMP holds UTC wall time here (TimeZone = UTC)
        try:
            cols.append(col.cast(f.type, safe=True))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise RollupError(f"rollup {rollup.name}: column {f.name} cannot become {f.type}: {e}") from e
    table = pa.Table.from_arrays(cols, schema=rollup.arrow)
    order = pc.sort_indices(table, sort_keys=[(n, "ascending", "at_start") for n in rollup.arrow.names])
    return table.take(order).combine_chunks()


def run_rollup(con: duckdb.DuckDBPyConnection, rollup: Rollup, schema: lc.LakeSchema, day: dt.date) -> pa.Table:
    try:
        result = con.execute(rollup.sql_for(day)).to_arrow_reader().read_all()
    except duckdb.Error as e:
        raise RollupError(f"rollup {rollup.name}: the SQL failed for {day}: {e}") from e
    return conform_result(rollup, schema, day, result)


# ---------------------------------------------------------------------------
# Writing


def encode(table: pa.Table, fingerprint: str) -> bytes:
    """The file's bytes: deterministic for the same rows and fingerprint (no time or run id inside)."""
    sink = pa.BufferOutputStream()
    pq.write_table(
        table.replace_schema_metadata({FINGERPRINT_KEY: fingerprint.encode()}),
        sink,
        compression="snappy",
        coerce_timestamps="ms",
        use_deprecated_int96_timestamps=False,
        write_statistics=True,
    )
    return sink.getvalue().to_pybytes()


def stored_fingerprint(fs: pafs.FileSystem, path: str) -> str | None:
    """The fingerprint of a written rollup file, or None when there is none (missing, unreadable, foreign)."""
    try:
        with fs.open_input_file(path) as f:
            meta = pq.ParquetFile(f).metadata.metadata or {}
    except (FileNotFoundError, OSError, pa.ArrowException):
        return None
    value = meta.get(FINGERPRINT_KEY)
    return value.decode() if value else None


def put_atomic(fs: pafs.FileSystem, path: str, data: bytes, on_step: OnStep | None = None) -> None:
    """Replace one file whole. S3: a single PUT (or a completed multipart upload) makes the object appear at once, and an
    interrupted one leaves the old object. Elsewhere: a hidden temporary name in the same directory, then a rename."""
    if isinstance(fs, pafs.S3FileSystem):
        # No create_dir: S3 has no directories, and a marker object would be one more key in the table's location.
        with fs.open_output_stream(path) as out:
            out.write(data)
        return
    parent, name = path.rsplit("/", 1)
    fs.create_dir(parent, recursive=True)
    for info in fs.get_file_info(pafs.FileSelector(parent, allow_not_found=True)):
        if info.type == pafs.FileType.File and info.base_name.startswith(f"_{name}.") and info.base_name.endswith(".tmp"):
            fs.delete_file(info.path)  # left by a write that crashed before its rename; never read (hidden)
    tmp = f"{parent}/_{name}.{secrets.token_hex(4)}.tmp"
    with fs.open_output_stream(tmp) as out:
        out.write(data)
    if on_step:
        on_step("rollup-temp-written", {"path": tmp})
    fs.move(tmp, path)  # rename(2): atomically replaces the old file


# ---------------------------------------------------------------------------
# A day


@dataclass
class RollupResult:
    rollup: str
    day: dt.date
    status: str  # "written", "up-to-date", "failed"
    rows: int = 0
    path: str = ""
    error: str | None = None


def rollup_day(
    lake: lc.Lake,
    schema: lc.LakeSchema,
    spec: RollupSpec,
    day: dt.date,
    *,
    force: bool = False,
    on_step: OnStep | None = None,
) -> list[RollupResult]:
    """Write every rollup of a day whose file is missing or whose fingerprint is stale (all of them with ``force``).

    A failing rollup is reported and the others go on; a day whose inputs cannot be listed or read fails every
    rollup that needed them. Nothing outside the rollups prefix is written."""
    fs = lake.filesystem
    check_prefix(lake, spec)
    results: list[RollupResult] = []
    # Each input is listed once and read only when a rollup of it is stale; a failing input fails its rollups only.
    listed: dict[str, DayInputs] = {}
    for source in INPUTS:
        readers = [r for r in spec.rollups if r.input == source]
        if not readers:
            continue
        try:
            if source == "events":
                listed[source] = list_day(lake, schema, day)
            else:
                assert spec.errors is not None  # spec_from_json requires it for a rollup of errors
                listed[source] = list_error_day(lake, schema, spec.errors, day)
        except (RollupError, OSError) as e:
            results += [RollupResult(r.name, day, "failed", error=str(e)) for r in readers]
    todo: list[tuple[Rollup, str, str]] = []
    for r in spec.rollups:
        if r.input not in listed:
            continue
        path, fingerprint = rollup_path(lake, schema, spec, r, day), listed[r.input].fingerprint(lake, r)
        if not force and stored_fingerprint(fs, path) == fingerprint:
            results.append(RollupResult(r.name, day, "up-to-date", path=lake.relative(path)))
        else:
            todo.append((r, path, fingerprint))
    if not todo:
        return results
    views: dict[str, pa.Table] = {}
    for source in INPUTS:
        stale = [r for r, _, _ in todo if r.input == source]
        if not stale:
            continue
        try:
            if source == "events":
                views[source] = read_day(lake, schema, listed[source], columns_read(stale, schema))
            else:
                assert spec.errors is not None
                views[source] = read_error_day(lake, schema, spec.errors, listed[source], day)
        except (RollupError, OSError, pa.ArrowException) as e:
            results += [RollupResult(r.name, day, "failed", error=str(e)) for r in stale]
    todo = [t for t in todo if t[0].input in views]
    if not todo:
        return results
    con = connect()
    try:
        for source, table in views.items():
            con.register(source, table)
        for r, path, fingerprint in todo:
            try:
                table = run_rollup(con, r, schema, day)
                put_atomic(fs, path, encode(table, fingerprint), on_step)
            except (RollupError, OSError) as e:
                log.error("rollup %s of %s FAILED: %s", r.name, day, e)
                results.append(RollupResult(r.name, day, "failed", error=str(e)))
                continue
            log.info("rolled up %s of %s: %d row(s) from %d file(s)", r.name, day, table.num_rows, len(listed[r.input].files))
            results.append(RollupResult(r.name, day, "written", table.num_rows, lake.relative(path)))
            if on_step:
                on_step("rollup-written", {"rollup": r.name, "path": lake.relative(path)})
    finally:
        with contextlib.suppress(duckdb.Error):
            con.close()
    return results


def rollup_days(
    lake: lc.Lake,
    schema: lc.LakeSchema,
    spec: RollupSpec,
    days: Sequence[dt.date],
    *,
    force: bool = False,
    on_step: OnStep | None = None,
) -> list[RollupResult]:
    return [res for day in days for res in rollup_day(lake, schema, spec, day, force=force, on_step=on_step)]
