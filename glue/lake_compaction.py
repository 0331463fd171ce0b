"""Compaction of the lake's small Parquet files, one partition at a time.

Firehose writes many small files into each ``events/<key>=<value>/.../`` partition;
Athena pays for every file it opens. For each partition of a finished day this
module rewrites the small files into few large ones, sorted by event time, and
deletes the inputs, without ever losing a row or letting a reader see one twice:

1. recover: finish any earlier run of this partition whose manifest is
   committed (step 7), and delete what runs that crashed before committing
   staged (their inputs are all still there, and their outputs were never visible);
2. list the input files (a snapshot: a file that arrives later is not touched);
3. check every input's footer and schema before anything is written;
4. external merge sort: sorted runs of at most ``row_group_rows`` rows are
   spilled to local disk, then merged into output files of about
   ``target_file_bytes``, **staged** under the manifests prefix (``_compaction/``),
   outside the table's location, so no reader sees them; memory is bounded by
   the row-group size, not by the partition size;
5. verify the staged outputs (row counts, schema, INT64 TIMESTAMP(MILLIS, UTC), order);
6. write the manifest (inputs, outputs and where each is staged) atomically: the commit;
7. delete exactly the inputs the manifest names, then publish the staged outputs
   into the partition (one copy each), then mark the manifest done.

A reader never sees a row twice: an output becomes visible only after every input
it replaces is gone. S3 cannot swap several objects at once, so between the first
input delete and the last publish (step 7: one request per input and per output,
issued back to back) the partition's rows are partly missing, never doubled; the
window and why no order avoids it are in docs/compaction.md. A crash anywhere
leaves either no manifest (the inputs are all still there and still the only
visible copy: the next run deletes the staged files and starts over) or a
committed manifest (the outputs hold every row, staged or published: the next run
finishes the deletes and publishes). All I/O goes through ``pyarrow.fs``, so tests
run the same code on local files that Glue runs on S3.

The expected schema is derived from the generated JSON Schema
(``schemas/generated/events.schema.json``): column order, lake types, partition keys
and which UTC date field each date key is. Nothing here names a column or a key.
Runs on AWS Glue 5.0 (Python 3.11).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
import secrets
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

log = logging.getLogger("lake_compaction")

#: Version 2 stages outputs under the manifests prefix and records where (``FileEntry.staged``); version 1
#: manifests (outputs written straight into the partition) are still read, so an older run can be finished.
MANIFEST_VERSION = 2
READABLE_MANIFEST_VERSIONS = (1, 2)
#: Outputs are named ``compacted-<run id>-<sequence>.parquet``; anything else in a partition is an input.
COMPACTED_PREFIX = "compacted-"
#: A run id is letters and digits only: it is a file-name part next to ``-`` separators and a directory name,
#: so a ``-``, ``/``, ``.`` or leading ``_`` in it could make one run's files look like another's (issue 19, finding 2).
RUN_ID = re.compile(r"[0-9A-Za-z]{1,64}")
_OUTPUT_NAME = re.compile(rf"{re.escape(COMPACTED_PREFIX)}(?P<run>{RUN_ID.pattern})-(?P<seq>[0-9]{{4,}})\.parquet")
_INT64_MIN = -(2**63)

#: Arrow type of each lake type (the Hive/Athena type names of ``x-lake-type``).
LAKE_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    # INT64 TIMESTAMP(MILLIS, isAdjustedToUTC=true): Athena engine v3 reads it as timestamp.
    "timestamp": pa.timestamp("ms", tz="UTC"),
}

#: Input files read ahead, and deletes in flight, at once: on S3, latency rather than bandwidth bounds a run over many small files.
IO_THREADS = 8
#: Inputs up to this size are read whole by the read-ahead (at most IO_THREADS of them in memory); larger ones are streamed.
PREFETCH_BYTES = 8 * 2**20

#: Step names passed to ``on_step`` (tests inject crashes there).
STEPS = ("outputs-written", "manifest-committed", "input-deleted", "output-published", "manifest-done")

OnStep = Callable[[str, dict], None]


class CompactionError(Exception):
    """A partition cannot be compacted; nothing of it was deleted."""


# ---------------------------------------------------------------------------
# Schema and layout


#: The UTC date fields a partition key can be (``datePart`` in the generated schema).
DATE_PARTS = ("year", "month", "day")


@dataclass(frozen=True)
class PartitionKey:
    name: str
    digits: int | None = None
    #: Which UTC date field of the row's time the value is (``year``, ``month``, ``day``); None for any other key.
    date_part: str | None = None


@dataclass(frozen=True)
class LakeSchema:
    """The table's columns as Arrow, its partition keys and the column outputs are sorted by."""

    arrow: pa.Schema
    partition_keys: tuple[PartitionKey, ...]
    sort_column: str


def schema_from_json(doc: dict) -> LakeSchema:
    """Derive the expected Arrow schema from the generated JSON Schema (never a hand-written column list)."""
    props = doc["properties"]
    fields = []
    for name in doc["x-column-order"]:
        lake_type = props[name]["x-lake-type"]
        if lake_type not in LAKE_TYPES:
            raise ValueError(f"column {name}: unknown x-lake-type {lake_type!r}")
        # Every column is OPTIONAL in the files Firehose writes; Hive tables have no NOT NULL.
        fields.append(pa.field(name, LAKE_TYPES[lake_type], nullable=True))
    timestamps = [f.name for f in fields if pa.types.is_timestamp(f.type)]
    if not timestamps:
        raise ValueError("the table has no timestamp column to sort by")
    keys = tuple(PartitionKey(k["name"], k.get("digits"), k.get("datePart")) for k in doc["x-partition-keys"])
    for k in keys:
        if k.date_part is not None and k.date_part not in DATE_PARTS:
            raise ValueError(f"partition key {k.name}: unknown datePart {k.date_part!r}")
    return LakeSchema(arrow=pa.schema(fields), partition_keys=keys, sort_column=timestamps[0])


def load_schema(filesystem: pafs.FileSystem, path: str) -> LakeSchema:
    with filesystem.open_input_stream(path) as f:
        return schema_from_json(json.loads(f.read().decode("utf-8")))


@dataclass(frozen=True)
class Lake:
    """Where the lake lives: a filesystem, a root (``bucket/prefix`` on S3, a directory locally) and its prefixes."""

    filesystem: pafs.FileSystem
    root: str
    events_prefix: str
    manifests_prefix: str

    def path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *(p.strip("/") for p in parts if p.strip("/"))])

    def relative(self, path: str) -> str:
        return path[len(self.root.rstrip("/")) + 1 :] if self.root else path


@dataclass(frozen=True)
class Partition:
    """One partition, e.g. ``event_type=page_view/year=2026/month=01/day=05``."""

    values: tuple[tuple[str, str], ...]

    @property
    def rel(self) -> str:
        return "/".join(f"{k}={v}" for k, v in self.values)


def date_value(key: PartitionKey, day: dt.date) -> str:
    """The value of a date partition key on a day, zero-padded to the key's digits (as the transform writes it)."""
    if key.date_part is None:
        raise ValueError(f"partition key {key.name} is not a date part")
    return f"{getattr(day, key.date_part):0{key.digits or 0}d}"


def partitions_for_day(lake: Lake, schema: LakeSchema, day: dt.date) -> list[Partition]:
    """The partitions of one day that exist in the lake. Date keys come from the day; any other key is listed."""
    found: list[tuple[tuple[str, str], ...]] = [()]
    for key in schema.partition_keys:
        nxt: list[tuple[tuple[str, str], ...]] = []
        for prefix in found:
            base = lake.path(lake.events_prefix, Partition(prefix).rel)
            if key.date_part is not None:
                value = date_value(key, day)
                info = lake.filesystem.get_file_info(f"{base}/{key.name}={value}")
                if info.type == pafs.FileType.Directory:
                    nxt.append((*prefix, (key.name, value)))
            else:
                for info in _list(lake.filesystem, base):
                    if info.type == pafs.FileType.Directory and info.base_name.startswith(f"{key.name}="):
                        nxt.append((*prefix, (key.name, info.base_name.split("=", 1)[1])))
        found = sorted(nxt)
    return [Partition(v) for v in found]


def _list(filesystem: pafs.FileSystem, path: str) -> list[pafs.FileInfo]:
    return filesystem.get_file_info(pafs.FileSelector(path, recursive=False, allow_not_found=True))


# ---------------------------------------------------------------------------
# Manifests


@dataclass
class FileEntry:
    path: str  # relative to the lake root; for an output, where it is published
    size: int
    rows: int
    #: An output's staged copy under the manifests prefix (relative to the lake root); None for inputs and version 1.
    staged: str | None = None


@dataclass
class Manifest:
    run_id: str
    partition: str
    status: str  # "committed" (deletes may be pending) or "done"
    created_at: str
    inputs: list[FileEntry]
    outputs: list[FileEntry]
    rows: int
    columns: list[str] = field(default_factory=list)
    version: int = MANIFEST_VERSION

    @staticmethod
    def from_json(text: str) -> Manifest:
        d = json.loads(text)
        if d.get("version") not in READABLE_MANIFEST_VERSIONS:
            raise CompactionError(f"manifest version {d.get('version')} is not one of {READABLE_MANIFEST_VERSIONS}")
        d["inputs"] = [FileEntry(**e) for e in d["inputs"]]
        d["outputs"] = [FileEntry(**e) for e in d["outputs"]]
        return Manifest(**d)


def _manifest_dir(lake: Lake, part: Partition) -> str:
    return lake.path(lake.manifests_prefix, part.rel)


def _write_manifest(lake: Lake, part: Partition, m: Manifest) -> None:
    """Write then move: the manifest is either complete or absent (S3 PUTs are atomic; a local rename is too)."""
    final = f"{_manifest_dir(lake, part)}/{m.run_id}.json"
    tmp = f"{_manifest_dir(lake, part)}/_{m.run_id}.json.tmp"
    lake.filesystem.create_dir(_manifest_dir(lake, part), recursive=True)
    with lake.filesystem.open_output_stream(tmp) as f:
        f.write(json.dumps(asdict(m), indent=1).encode("utf-8"))
    lake.filesystem.move(tmp, final)


def read_manifests(lake: Lake, part: Partition) -> list[Manifest]:
    out = []
    for info in _list(lake.filesystem, _manifest_dir(lake, part)):
        if info.type == pafs.FileType.File and info.base_name.endswith(".json") and not info.base_name.startswith("_"):
            with lake.filesystem.open_input_stream(info.path) as f:
                out.append(Manifest.from_json(f.read().decode("utf-8")))
    return sorted(out, key=lambda m: m.run_id)


# ---------------------------------------------------------------------------
# Compaction of one partition


@dataclass(frozen=True)
class CompactionConfig:
    #: Roll over to a new output file once it reaches this size. Default 128 MiB.
    target_file_bytes: int = 128 * 2**20
    #: Rows per output row group, and the size of each sorted run: what bounds memory.
    row_group_rows: int = 131_072
    #: Sorted runs merged at once; more runs are merged in several passes.
    merge_fan_in: int = 16
    #: Local directory for the sorted runs. Default: the system's temporary directory.
    spill_dir: str | None = None
    #: Parquet compression of the outputs (Athena reads SNAPPY; Firehose writes it too).
    compression: str = "snappy"


@dataclass
class PartitionResult:
    partition: str
    status: str  # "compacted", "nothing-to-do", "recovered", "failed"
    inputs: int = 0
    outputs: int = 0
    rows: int = 0
    error: str | None = None


def _is_compacted(name: str) -> bool:
    return name.startswith(COMPACTED_PREFIX) and name.endswith(".parquet")


def _is_hidden(name: str) -> bool:
    # Hive and Athena skip files starting with _ or .; so do we (temporary files, markers).
    return name.startswith(("_", "."))


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%SZ}{secrets.token_hex(4)}"


def validate_run_id(run_id: str) -> str:
    """The run id, if it is letters and digits only (RUN_ID); a ValueError naming it otherwise."""
    if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
        raise ValueError(f"run id {run_id!r} must be 1-64 letters and digits ({RUN_ID.pattern}): it names files and directories")
    return run_id


def _staging_dir(lake: Lake, part: Partition, run_id: str) -> str:
    """Where a run writes its outputs before the commit: under the manifests prefix, outside the table's location."""
    return f"{_manifest_dir(lake, part)}/{run_id}"


def _size(fs: pafs.FileSystem, path: str) -> int | None:
    info = fs.get_file_info(path)
    return info.size if info.type == pafs.FileType.File else None


def recover(lake: Lake, part: Partition, on_step: OnStep | None = None) -> bool:
    """Finish committed runs and delete what uncommitted ones staged. True when anything was done."""
    fs = lake.filesystem
    manifests = read_manifests(lake, part)
    acted = False
    for m in manifests:
        if m.status == "committed":
            log.info("finishing run %s of %s", m.run_id, part.rel)
            _finish(lake, part, m, on_step)
            acted = True
    known = {m.run_id for m in manifests}
    for info in _list(fs, _manifest_dir(lake, part)):
        if info.type == pafs.FileType.File and info.base_name.startswith("_") and info.base_name.endswith(".tmp"):
            fs.delete_file(info.path)  # a manifest write that crashed before its move: never a commit
        elif info.type == pafs.FileType.Directory and RUN_ID.fullmatch(info.base_name):
            # Staged by a run that crashed before its manifest (or the empty prefix of a finished one): never visible.
            if info.base_name not in known:
                log.warning("deleting the staged outputs of uncommitted run %s", info.base_name)
                acted = True
            fs.delete_dir(info.path)
    # Version 1 runs wrote outputs straight into the partition; one that crashed before its manifest left outputs
    # beside their inputs. Such a file is one no manifest names, and its name must parse exactly (a committed
    # output is always named by its manifest, whatever its run id looks like, so it is never taken for one).
    named = {o.path for m in manifests for o in m.outputs}
    for info in _list(fs, lake.path(lake.events_prefix, part.rel)):
        match = _OUTPUT_NAME.fullmatch(info.base_name) if info.type == pafs.FileType.File else None
        if match and match["run"] not in known and lake.relative(info.path) not in named:
            log.warning("deleting uncommitted version 1 output %s", lake.relative(info.path))
            fs.delete_file(info.path)
            acted = True
    return acted


def _finish(lake: Lake, part: Partition, m: Manifest, on_step: OnStep | None) -> None:
    """Step 7 for a committed manifest: delete its inputs, then publish its outputs, then mark it done.

    Inputs go first so no row is ever visible twice; until the last output is published the inputs' rows are
    missing instead (the window, docs/compaction.md). Each step is idempotent, so a rerun after a crash anywhere here
    ends in the same state."""
    fs = lake.filesystem
    # Every output must be there, staged or published, before a single input goes: they are the only copy afterwards.
    for out in m.outputs:
        published = _size(fs, lake.path(out.path)) == out.size
        if not published and (out.staged is None or _size(fs, lake.path(out.staged)) != out.size):
            raise CompactionError(f"manifest {m.run_id}: output {out.path} is missing or changed; not deleting its inputs")
    _delete_inputs(lake, m, on_step)

    def publish(out: FileEntry) -> FileEntry:
        if _size(fs, lake.path(out.path)) != out.size:  # not yet published (or cut short by a crash: copied again)
            assert out.staged is not None  # checked above: a version 1 output is always published already
            _publish(fs, lake.path(out.staged), lake.path(out.path))
        return out

    _each(publish, m.outputs, "output-published", on_step)
    # The staged copies go once every output is published: deleting them changes nothing a reader sees.
    staging = _staging_dir(lake, part, m.run_id)
    if fs.get_file_info(staging).type == pafs.FileType.Directory:
        fs.delete_dir(staging)
    m.status = "done"
    _write_manifest(lake, part, m)
    if on_step:
        on_step("manifest-done", {"run_id": m.run_id})


def _publish(fs: pafs.FileSystem, staged: str, final: str) -> None:
    """Make a staged output visible with one request. On S3 that is a CopyObject: the object appears whole
    ("Updates to a single key are atomic", S3 User Guide, consistency model); pyarrow's move would add a delete of
    the source inside the window. A local copy is not atomic, a rename is."""
    if isinstance(fs, pafs.LocalFileSystem):
        fs.move(staged, final)
    else:
        fs.copy_file(staged, final)


def _each(action: Callable[[FileEntry], FileEntry], entries: Sequence[FileEntry], step: str, on_step: OnStep | None) -> None:
    """Apply action to every entry, IO_THREADS at a time (on S3, latency bounds many small requests)."""
    pool = ThreadPoolExecutor(IO_THREADS)
    try:
        for entry in pool.map(action, entries):
            if on_step:
                on_step(step, {"path": entry.path})
    finally:
        # A crash stops the requests not yet started, as a real one would; the next run finishes them.
        pool.shutdown(wait=True, cancel_futures=True)


def _delete_inputs(lake: Lake, m: Manifest, on_step: OnStep | None) -> None:
    def delete(entry: FileEntry) -> FileEntry:
        with contextlib.suppress(FileNotFoundError):  # deleted by an earlier, interrupted attempt
            lake.filesystem.delete_file(lake.path(entry.path))
        return entry

    _each(delete, m.inputs, "input-deleted", on_step)


def compact_partition(
    lake: Lake,
    schema: LakeSchema,
    part: Partition,
    config: CompactionConfig | None = None,
    on_step: OnStep | None = None,
    run_id: str | None = None,
) -> PartitionResult:
    """Compact one partition (see the module docstring). Raises CompactionError, having deleted no input.

    run_id (default: a new one from the clock) must match RUN_ID; a ValueError before anything is touched otherwise."""
    run_id = new_run_id() if run_id is None else validate_run_id(run_id)
    config = config or CompactionConfig()
    fs = lake.filesystem
    recovered = recover(lake, part, on_step)

    part_dir = lake.path(lake.events_prefix, part.rel)
    files = [i for i in _list(fs, part_dir) if i.type == pafs.FileType.File and not _is_hidden(i.base_name)]
    fresh = [i for i in files if not _is_compacted(i.base_name)]
    if not fresh:
        return PartitionResult(part.rel, "recovered" if recovered else "nothing-to-do")
    # Earlier outputs well under the target are merged again with the new files, so late files do not pile up small outputs.
    small = [i for i in files if _is_compacted(i.base_name) and i.size < config.target_file_bytes // 2]
    inputs = sorted(fresh + small, key=lambda i: i.path)

    with ThreadPoolExecutor(IO_THREADS) as pool:  # footers of many small files: latency-bound on S3
        plans = list(pool.map(lambda i: _plan_input(fs, i, schema), inputs))
    expected_rows = sum(p.rows for p in plans)

    staging = _staging_dir(lake, part, run_id)
    fs.create_dir(staging, recursive=True)
    writer = _RollingWriter(lake, staging, run_id, schema, config)
    try:
        read_rows = _sort_into(fs, plans, schema, config, writer)
        staged = writer.close()
    except BaseException:
        writer.abort()
        raise
    if on_step:
        on_step("outputs-written", {"outputs": [o.path for o in staged]})
    try:
        _verify_outputs(lake, staged, schema, expected_rows, read_rows)
    except CompactionError:
        fs.delete_dir(staging)
        raise

    outputs = [FileEntry(f"{lake.relative(part_dir)}/{o.path.rsplit('/', 1)[1]}", o.size, o.rows, staged=o.path) for o in staged]
    manifest = Manifest(
        run_id=run_id,
        partition=part.rel,
        status="committed",
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        inputs=[FileEntry(lake.relative(p.info.path), p.info.size, p.rows) for p in plans],
        outputs=outputs,
        rows=expected_rows,
        columns=schema.arrow.names,
    )
    _write_manifest(lake, part, manifest)
    if on_step:
        on_step("manifest-committed", {"run_id": run_id})
    _finish(lake, part, manifest, on_step)
    log.info("compacted %s: %d file(s) -> %d, %d rows (run %s)", part.rel, len(inputs), len(outputs), expected_rows, run_id)
    return PartitionResult(part.rel, "compacted", len(inputs), len(outputs), expected_rows)


# ---------------------------------------------------------------------------
# Reading inputs


@dataclass
class _InputPlan:
    info: pafs.FileInfo
    rows: int


def _open_parquet(fs: pafs.FileSystem, path: str) -> pq.ParquetFile:
    # INT96 timestamps (Hive-style writers) come back as milliseconds instead of nanoseconds, which overflow after 2262.
    # Pre-buffering coalesces S3 range requests; on local files it only costs time.
    local = isinstance(fs, pafs.LocalFileSystem)
    return pq.ParquetFile(fs.open_input_file(path), coerce_int96_timestamp_unit="ms", pre_buffer=not local)


def _plan_input(fs: pafs.FileSystem, info: pafs.FileInfo, schema: LakeSchema) -> _InputPlan:
    """Read one input's footer and check its columns can become the table's, before anything is written."""
    try:
        pf = _open_parquet(fs, info.path)
        source = pf.schema_arrow
        rows = pf.metadata.num_rows
    except Exception as e:
        raise CompactionError(f"unreadable input {info.path}: {e}") from e
    extra = [n for n in source.names if schema.arrow.get_field_index(n) < 0]
    if extra:
        raise CompactionError(f"input {info.path} has columns the table does not: {', '.join(extra)}; compacting would drop them")
    for f in source:
        target = schema.arrow.field(f.name).type
        if f.type != target and not _castable(f.type, target):
            raise CompactionError(f"input {info.path}: column {f.name} is {f.type}, cannot become {target}")
    return _InputPlan(info, rows)


def _castable(source: pa.DataType, target: pa.DataType) -> bool:
    if pa.types.is_timestamp(target) and not pa.types.is_timestamp(source):
        return False  # a bare epoch number is not a timestamp: refuse rather than guess the unit
    try:
        pa.array([], type=source).cast(target)
        return True
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """Columns in table order and types; a column older files lack becomes nulls. Casts are safe: no silent truncation."""
    cols = []
    for f in schema:
        i = batch.schema.get_field_index(f.name)
        if i < 0:
            cols.append(pa.nulls(batch.num_rows, f.type))
            continue
        col = batch.column(i)
        if col.type != f.type:
            if pa.types.is_timestamp(col.type) and col.type.tz is None:
                # INT96 and naive timestamps hold UTC wall time (Firehose and Hive write UTC): attach the zone, then the unit.
                col = col.cast(pa.timestamp(col.type.unit, tz="UTC"))
            col = col.cast(f.type, safe=True)
        cols.append(col)
    return pa.RecordBatch.from_arrays(cols, schema=schema)


def _fetch(fs: pafs.FileSystem, plan: _InputPlan) -> pa.Buffer | None:
    """A small input's bytes, read whole (one request on S3); None for a large one, which is streamed instead."""
    if plan.info.size is None or plan.info.size > PREFETCH_BYTES:
        return None
    with fs.open_input_file(plan.info.path) as f:
        return f.read_buffer()


def _input_batches(fs: pafs.FileSystem, plans: Sequence[_InputPlan], schema: LakeSchema) -> Iterator[pa.RecordBatch]:
    """Every input row, one input row group at a time (a small file is one row group; Firehose's are at most its
    buffer size). The next IO_THREADS small files are read ahead, so S3 latency overlaps the sorting."""
    pending = iter(plans)
    with ThreadPoolExecutor(IO_THREADS) as pool:
        ahead: deque[tuple[_InputPlan, Future[pa.Buffer | None]]] = deque()

        def top_up() -> None:
            while len(ahead) < IO_THREADS and (plan := next(pending, None)) is not None:
                ahead.append((plan, pool.submit(_fetch, fs, plan)))

        top_up()
        while ahead:
            plan, fetched = ahead.popleft()
            top_up()
            try:
                data = fetched.result()
                if data is None:
                    pf = _open_parquet(fs, plan.info.path)
                else:
                    pf = pq.ParquetFile(pa.BufferReader(data), coerce_int96_timestamp_unit="ms")
                for g in range(pf.num_row_groups):
                    # Single-threaded: a small file read with threads spends more on the pool than on the data.
                    table = pf.read_row_group(g, use_threads=False)
                    yield from (_conform(b, schema.arrow) for b in table.to_batches())
            except (OSError, pa.ArrowException) as e:
                raise CompactionError(f"unreadable input {plan.info.path}: {e}") from e


# ---------------------------------------------------------------------------
# External merge sort


def _sort_table(table: pa.Table, column: str) -> pa.Table:
    idx = pc.sort_indices(table, sort_keys=[(column, "ascending", "at_start")])
    return table.take(idx)


def _sort_batches(batches: list[pa.RecordBatch], schema: LakeSchema) -> pa.Table:
    """Sort buffered batches, emptying the buffer first so at most two copies of a run are alive."""
    table = pa.Table.from_batches(batches, schema.arrow)
    batches.clear()
    # One chunk per column first: take() over thousands of small chunks is several times slower.
    return _sort_table(table.combine_chunks(), schema.sort_column)


def _keys(batch: pa.RecordBatch, column: str) -> pa.Int64Array:
    # Null event times sort first, consistently with _sort_table.
    return batch.column(column).cast(pa.int64()).fill_null(_INT64_MIN)


def _sort_into(
    fs: pafs.FileSystem, plans: Sequence[_InputPlan], schema: LakeSchema, config: CompactionConfig, writer: _RollingWriter
) -> int:
    """Sort every input row by the sort column into the writer. Returns the number of rows read."""
    run_rows = config.row_group_rows
    batch_rows = max(1024, run_rows // config.merge_fan_in)
    with tempfile.TemporaryDirectory(prefix="compaction-", dir=config.spill_dir) as spill:
        runs: list[str] = []
        buffer: list[pa.RecordBatch] = []
        buffered = 0
        total = 0
        for batch in _input_batches(fs, plans, schema):
            buffer.append(batch)
            buffered += batch.num_rows
            total += batch.num_rows
            if buffered >= run_rows:
                runs.append(_spill(spill, len(runs), _sort_batches(buffer, schema), batch_rows))
                buffered = 0
        if buffer and not runs:
            # Everything fits in one run: no spill, straight to the output.
            writer.write(_sort_batches(buffer, schema))
            return total
        if buffer:
            runs.append(_spill(spill, len(runs), _sort_batches(buffer, schema), batch_rows))
        # Merge in passes of at most merge_fan_in runs, so memory stays fan_in x batch_rows = one run.
        level = 0
        while len(runs) > config.merge_fan_in:
            level += 1
            merged = []
            for g in range(0, len(runs), config.merge_fan_in):
                group = runs[g : g + config.merge_fan_in]
                out = f"{spill}/merge-{level}-{g}.arrow"
                with pa.OSFile(out, "wb") as sink, ipc.new_file(sink, schema.arrow) as w:
                    _merge(group, schema, batch_rows, lambda t, w=w: w.write_table(t, max_chunksize=batch_rows))
                for r in group:
                    Path(r).unlink()
                merged.append(out)
            runs = merged
        _merge(runs, schema, batch_rows, writer.write)
        return total


def _spill(spill: str, n: int, table: pa.Table, batch_rows: int) -> str:
    path = f"{spill}/run-{n:05d}.arrow"
    with pa.OSFile(path, "wb") as sink, ipc.new_file(sink, table.schema) as w:
        w.write_table(table, max_chunksize=batch_rows)
    return path


class _Cursor:
    """Reads one sorted run batch by batch (no memory map, so resident memory stays one batch per run)."""

    def __init__(self, path: str, column: str):
        self._file = pa.OSFile(path, "rb")
        self._reader = ipc.open_file(self._file)
        self._next = 0
        self._column = column
        self.batch: pa.RecordBatch | None = None
        self.keys: pa.Int64Array = pa.array([], pa.int64())
        self._load()

    def _load(self) -> None:
        while self._next < self._reader.num_record_batches:
            batch = self._reader.get_batch(self._next)
            self._next += 1
            if batch.num_rows:
                self.batch, self.keys = batch, _keys(batch, self._column)
                return
        self.batch, self.keys = None, pa.array([], pa.int64())
        self._file.close()

    def take(self, n: int) -> pa.RecordBatch:
        assert self.batch is not None
        head = self.batch.slice(0, n)
        if n >= self.batch.num_rows:
            self._load()
        else:
            self.batch, self.keys = self.batch.slice(n), self.keys.slice(n)
        return head


def _merge(runs: Sequence[str], schema: LakeSchema, batch_rows: int, emit: Callable[[pa.Table], object]) -> None:
    """K-way merge of sorted runs, vectorized: each step emits, sorted, every buffered row up to the smallest
    buffered maximum (the watermark); the run holding that maximum is then fully consumed, so each step progresses."""
    cursors = [c for c in (_Cursor(r, schema.sort_column) for r in runs) if c.batch is not None]
    while cursors:
        watermark = min(c.keys[-1].as_py() for c in cursors)
        parts = []
        for c in cursors:
            # Keys are sorted, so the rows up to the watermark are a prefix; count them.
            n = pc.sum(pc.less_equal(c.keys, watermark)).as_py() or 0
            if n:
                parts.append(c.take(n))
        emit(_sort_table(pa.Table.from_batches(parts, schema.arrow), schema.sort_column))
        cursors = [c for c in cursors if c.batch is not None]


# ---------------------------------------------------------------------------
# Writing and verifying outputs


class _RollingWriter:
    """Writes full row groups of row_group_rows rows into the staging directory; starts a new file once one reaches
    the target size."""

    def __init__(self, lake: Lake, directory: str, run_id: str, schema: LakeSchema, config: CompactionConfig):
        self._lake, self._dir, self._run, self._schema, self._config = lake, directory, run_id, schema, config
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._outputs: list[FileEntry] = []
        self._paths: list[str] = []
        self._sink: pa.NativeFile | None = None
        self._writer: pq.ParquetWriter | None = None
        self._rows_in_file = 0

    def write(self, table: pa.Table) -> None:
        self._pending.append(table)
        self._pending_rows += table.num_rows
        while self._pending_rows >= self._config.row_group_rows:
            self._flush(self._config.row_group_rows)

    def _flush(self, n: int) -> None:
        table = pa.concat_tables(self._pending)
        head, rest = table.slice(0, n), table.slice(n)
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows = rest.num_rows
        if self._writer is None:
            self._open()
        assert self._writer is not None
        assert self._sink is not None
        self._writer.write_table(head, row_group_size=n)
        self._rows_in_file += head.num_rows
        if self._sink.tell() >= self._config.target_file_bytes:
            self._close_file()

    def _open(self) -> None:
        path = f"{self._dir}/{COMPACTED_PREFIX}{self._run}-{len(self._paths):04d}.parquet"
        self._paths.append(path)
        self._sink = self._lake.filesystem.open_output_stream(path)
        self._writer = pq.ParquetWriter(
            self._sink,
            self._schema.arrow,
            compression=self._config.compression,
            coerce_timestamps="ms",
            use_deprecated_int96_timestamps=False,
            write_statistics=True,
        )
        self._rows_in_file = 0

    def _close_file(self) -> None:
        assert self._writer is not None
        assert self._sink is not None
        self._writer.close()
        self._sink.close()
        path = self._paths[-1]
        size = self._lake.filesystem.get_file_info(path).size
        self._outputs.append(FileEntry(self._lake.relative(path), size, self._rows_in_file))
        self._writer = self._sink = None

    def close(self) -> list[FileEntry]:
        if self._pending_rows:
            self._flush(self._pending_rows)
        if self._writer is not None:
            self._close_file()
        return self._outputs

    def abort(self) -> None:
        """Delete whatever this run staged (a crash instead leaves it to the next run's recovery). Nobody saw it."""
        try:
            if self._writer is not None:
                self._writer.close()
            if self._sink is not None:
                self._sink.close()
        except Exception:  # noqa: BLE001 - already failing; the deletes below matter more
            pass
        if self._lake.filesystem.get_file_info(self._dir).type == pafs.FileType.Directory:
            self._lake.filesystem.delete_dir(self._dir)


def _verify_outputs(lake: Lake, outputs: Sequence[FileEntry], schema: LakeSchema, expected_rows: int, read_rows: int) -> None:
    """Re-read every output's footer: rows, schema, timestamp encoding, and sort order within and across files."""
    if read_rows != expected_rows:
        raise CompactionError(f"read {read_rows} rows but the input footers say {expected_rows}")
    total = 0
    last_max: int | None = None
    sort_idx = schema.arrow.get_field_index(schema.sort_column)
    for out in outputs:
        pf = _open_parquet(lake.filesystem, lake.path(out.path))
        md = pf.metadata
        if md.num_rows != out.rows:
            raise CompactionError(f"{out.path}: footer has {md.num_rows} rows, {out.rows} were written")
        total += md.num_rows
        if not pf.schema_arrow.equals(schema.arrow):
            raise CompactionError(f"{out.path}: schema {pf.schema_arrow} is not the table's {schema.arrow}")
        for i, f in enumerate(schema.arrow):
            if pa.types.is_timestamp(f.type):
                col = pf.schema.column(i)
                lt = json.loads(col.logical_type.to_json())
                millis_utc = lt.get("Type") == "Timestamp" and lt.get("timeUnit") == "milliseconds" and lt.get("isAdjustedToUTC")
                if col.physical_type != "INT64" or not millis_utc:
                    raise CompactionError(f"{out.path}: {f.name} is {col.physical_type} {lt}, not INT64 TIMESTAMP(MILLIS, UTC)")
        for g in range(md.num_row_groups):
            stats = md.row_group(g).column(sort_idx).statistics
            if stats is None or not stats.has_min_max:
                continue  # an all-null row group has no min/max
            lo, hi = _stat_int(stats.min), _stat_int(stats.max)
            if last_max is not None and lo < last_max:
                raise CompactionError(f"{out.path}: row group {g} starts before the previous one ends; output not sorted")
            last_max = hi
    if total != expected_rows:
        raise CompactionError(f"outputs hold {total} rows, inputs {expected_rows}")


def _stat_int(v: object) -> int:
    if isinstance(v, dt.datetime):
        return int(v.timestamp() * 1000)
    return int(v)  # type: ignore[call-overload]  # Parquet statistics of an INT64 column


# ---------------------------------------------------------------------------
# A run over days


@dataclass
class RunReport:
    results: list[PartitionResult] = field(default_factory=list)

    @property
    def failed(self) -> list[PartitionResult]:
        return [r for r in self.results if r.status == "failed"]


def days_to_compact(day: dt.date, lookback_days: int) -> list[dt.date]:
    """The day and the lookback days before it (late files), oldest first."""
    if lookback_days < 0:
        raise ValueError("lookback_days must be >= 0")
    return [day - dt.timedelta(days=n) for n in range(lookback_days, -1, -1)]


def compact_days(
    lake: Lake,
    schema: LakeSchema,
    days: Sequence[dt.date],
    config: CompactionConfig | None = None,
    on_step: OnStep | None = None,
) -> RunReport:
    """Compact every partition of the given days. A failing partition is reported and skipped; the others go on."""
    report = RunReport()
    for day in days:
        for part in partitions_for_day(lake, schema, day):
            try:
                report.results.append(compact_partition(lake, schema, part, config, on_step))
            except Exception as e:  # noqa: BLE001 - one bad partition must not stop the others; it is reported loudly
                log.error("partition %s FAILED, nothing deleted there: %s", part.rel, e)
                report.results.append(PartitionResult(part.rel, "failed", error=str(e)))
    return report
