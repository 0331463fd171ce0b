"""The local filesystem with S3's visibility rules, and a reader's view of the lake after every request.

The compaction code talks to storage only through ``pyarrow.fs``; this handler (wrapped in ``pyarrow.fs.PyFileSystem``)
stores on local disk but behaves as S3 does where visibility matters, and calls a hook after every request that
changes what is stored:

- a PUT is atomic: an object appears complete when its upload closes, never part-written
  ("Updates to a single key are atomic", https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel);
- ``move`` is two requests, CopyObject then DeleteObject, as pyarrow's S3FileSystem::Move does
  (apache/arrow cpp/src/arrow/filesystem/s3fs.cc), so a crash can fall between them;
- deleting a directory deletes its objects one request at a time (a reader can see any prefix of it);
- after a crash (a ``Crash`` raised by the hook) every further request fails, as in a dead process.

A reader is Athena: it lists a partition and reads every object whose path below the table location has no part
starting with ``_`` or ``.`` ("Athena treats source files that start with an underscore (_) or a dot (.) as hidden",
https://docs.aws.amazon.com/athena/latest/ug/troubleshooting-athena.html; trinodb/trino HiveFileIterator
``containsHiddenPathPartAfterIndex`` skips such files and directories).
"""

from __future__ import annotations

import io
import itertools
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from conftest import Crash


class Violation(BaseException):
    """A reader saw what the protocol promises it never will. A BaseException, like Crash, so the job's
    per-partition error handling cannot turn it into a reported failure and carry on."""


def check(ok: bool, message: str) -> None:
    if not ok:
        raise Violation(message)


#: Called after each request with (kind, path); kind is "put", "copy" or "delete".
AfterRequest = Callable[[str, str], None]


class S3LikeHandler(pafs.FileSystemHandler):
    def __init__(self, uploads: Path, after: AfterRequest | None = None):
        self.base = pafs.LocalFileSystem()
        self.uploads = uploads  # outside the lake: where an upload is assembled before it appears
        uploads.mkdir(parents=True, exist_ok=True)
        self.after = after
        # One request at a time, its hook included, so the hook sees a consistent lake even with deletes in threads.
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str]] = []
        self.dead = False
        self._ids = itertools.count()

    def request(self, kind: str, path: str, action: Callable[[], object]) -> None:
        with self.lock:
            if self.dead:
                raise Crash("the process is gone")
            action()
            self.requests.append((kind, path))
            if self.after:
                try:
                    self.after(kind, path)
                except Crash:
                    self.dead = True
                    raise

    def _appear(self, source: Callable[[str], object], path: str) -> None:
        """Assemble the object outside the lake, then rename it in: it appears whole (S3 creates no directories,
        so the parent is made as needed)."""
        tmp = str(self.uploads / f"upload-{next(self._ids)}")
        source(tmp)
        self.base.create_dir(path.rsplit("/", 1)[0], recursive=True)
        self.base.move(tmp, path)

    # --- requests that change what is stored

    def open_output_stream(self, path: str, metadata: object) -> pa.NativeFile:
        return pa.PythonFile(_Upload(self, path), mode="w")

    def copy_file(self, src: str, dest: str) -> None:
        self.request("copy", dest, lambda: self._appear(lambda tmp: self.base.copy_file(src, tmp), dest))

    def move(self, src: str, dest: str) -> None:
        self.copy_file(src, dest)
        self.delete_file(src)

    def delete_file(self, path: str) -> None:
        if self.base.get_file_info(path).type != pafs.FileType.File:
            raise FileNotFoundError(path)
        self.request("delete", path, lambda: self.base.delete_file(path))

    def delete_dir_contents(self, path: str, missing_dir_ok: bool = False) -> None:
        infos = self.base.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=missing_dir_ok))
        for info in sorted((i for i in infos if i.type == pafs.FileType.File), key=lambda i: i.path):
            self.delete_file(info.path)
        self.base.delete_dir_contents(path, missing_dir_ok=True)  # directories are not objects on S3: no request

    def delete_dir(self, path: str) -> None:
        self.delete_dir_contents(path)
        self.base.delete_dir(path)

    def create_dir(self, path: str, recursive: bool) -> None:
        self.base.create_dir(path, recursive=recursive)  # no object on S3, nothing a reader sees

    def delete_root_dir_contents(self) -> None:
        raise NotImplementedError("compaction never deletes the root")

    def open_append_stream(self, path: str, metadata: object) -> pa.NativeFile:
        raise NotImplementedError("S3 has no append")

    # --- reads: passed through

    def get_file_info(self, paths: list[str]) -> list[pafs.FileInfo]:
        return self.base.get_file_info(paths)

    def get_file_info_selector(self, selector: pafs.FileSelector) -> list[pafs.FileInfo]:
        return self.base.get_file_info(selector)

    def open_input_stream(self, path: str) -> pa.NativeFile:
        return self.base.open_input_stream(path)

    def open_input_file(self, path: str) -> pa.NativeFile:
        return self.base.open_input_file(path)

    def normalize_path(self, path: str) -> str:
        return path

    def get_type_name(self) -> str:
        return "s3like"

    def __eq__(self, other: object) -> bool:
        return other is self

    def __ne__(self, other: object) -> bool:
        return other is not self


class _Upload(io.RawIOBase):
    """A PUT: bytes go to a local file outside the lake; the object appears when the stream closes."""

    def __init__(self, handler: S3LikeHandler, path: str):
        super().__init__()
        self.handler, self.path = handler, path
        self.tmp = handler.uploads / f"part-{next(handler._ids)}"
        self.file = self.tmp.open("wb")
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]  # RawIOBase's signature takes a buffer
        self.file.write(b)
        self.written += len(b)
        return len(b)

    def tell(self) -> int:
        return self.written

    def close(self) -> None:
        if self.closed:
            return
        self.file.close()
        super().close()
        self.handler.request("put", self.path, lambda: self.handler._appear(lambda tmp: Path(self.tmp).rename(tmp), self.path))


def hidden(rel: str) -> bool:
    """Whether Athena skips an object at this path below the table location (any part starting with _ or .)."""
    return any(part.startswith(("_", ".")) for part in rel.split("/"))


_ids_of: dict[tuple[str, int, int], list[str]] = {}


def ids_in(p: Path) -> list[str]:
    """The request ids in one Parquet file; cached, since an object never changes once it exists (a new PUT to the
    same key changes its size or time, so it is read again)."""
    st = p.stat()
    key = (str(p), st.st_size, st.st_mtime_ns)
    if key not in _ids_of:
        _ids_of[key] = pq.read_table(p, columns=["request_id"]).column("request_id").to_pylist()
    return _ids_of[key]


def visible_ids(events_dir: Path) -> Counter[str]:
    """Each request id a reader of the table would count, with how many times it would count it."""
    seen: Counter[str] = Counter()
    if not events_dir.exists():
        return seen
    for p in sorted(events_dir.rglob("*")):
        if p.is_file() and not hidden(p.relative_to(events_dir).as_posix()):
            seen.update(ids_in(p))
    return seen


@dataclass
class Observation:
    request: int
    kind: str
    path: str
    visible: int
    truth: int
    in_window: bool


@dataclass
class Reader:
    """Looks at the lake as Athena would after every request, and checks the protocol's promise there:

    - no row is ever visible twice, and no row is visible that was never written;
    - every written row is visible, except inside the window: while a committed manifest has deleted inputs and
      unpublished outputs, its outputs' rows (and only those) may be missing."""

    root: Path
    events: str
    manifests: str
    truth: set[str] = field(default_factory=set)
    log: list[Observation] = field(default_factory=list)

    def __call__(self, kind: str, path: str) -> None:
        seen = visible_ids(self.root / self.events)
        where = f"after request {len(self.log) + 1} ({kind} {path})"
        doubled = sorted(i for i, n in seen.items() if n > 1)
        check(not doubled, f"{where}: {len(doubled)} row(s) visible twice")
        unknown = set(seen) - self.truth
        check(not unknown, f"{where}: {len(unknown)} row(s) nobody wrote")
        missing = self.truth - set(seen)
        pending = self.pending_rows()
        check(missing <= pending, f"{where}: {len(missing - pending)} row(s) missing outside the window")
        self.log.append(Observation(len(self.log) + 1, kind, path, sum(seen.values()), len(self.truth), bool(missing)))

    def pending_rows(self) -> set[str]:
        """Rows of committed manifests whose inputs are partly gone and outputs partly unpublished: the window."""
        rows: set[str] = set()
        for m in self._committed():
            inputs_gone = any(not (self.root / i["path"]).exists() for i in m["inputs"])
            unpublished = [o for o in m["outputs"] if not (self.root / o["path"]).exists()]
            if inputs_gone and unpublished:
                for o in m["outputs"]:
                    where = self.root / o["path"]
                    if not where.exists() and o.get("staged"):
                        where = self.root / o["staged"]
                    rows.update(ids_in(where))
        return rows

    def _committed(self) -> Iterable[dict]:
        d = self.root / self.manifests
        for p in sorted(d.rglob("*.json")) if d.exists() else []:
            if not p.name.startswith("_"):
                m = json.loads(p.read_text())
                if m["status"] == "committed":
                    yield m

    def add(self, ids: Iterable[str]) -> None:
        self.truth.update(ids)

    @property
    def max_ratio(self) -> float:
        return max((o.visible / o.truth for o in self.log if o.truth), default=1.0)

    @property
    def min_ratio(self) -> float:
        return min((o.visible / o.truth for o in self.log if o.truth), default=1.0)

    def windows(self) -> list[int]:
        """Length of each window in requests: from the one after which rows went missing to the one after which none
        were (counted when seen; a window still open at the end, cut by a crash, counts the requests seen)."""
        runs: list[int] = []
        for missing, group in itertools.groupby(self.log, key=lambda o: o.in_window):
            if missing:
                runs.append(len(list(group)))
            elif runs:
                runs[-1] += 1  # the request that closed it (groups alternate, so this follows a window)
        return runs
