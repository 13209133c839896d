"""Stream the studies of a very large API v2 JSON array (a search's `ctg-studies.json` can be a
gigabyte) one at a time, in memory bounded by the largest study rather than the file.

ijson's C backend (yajl2_c) reads the bytes incrementally; only arrays are streamed, since a
single study or an API response page (at most 1,000 studies) is small enough to load whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

from recordpage.model import RecordError

_SECTION = "study"
_PEEK = 64 * 1024


class _TooBig(Exception):
    """Raised by the reader, through ijson, when one study outgrows the limit."""


class _Rejoined:
    """A binary reader that first returns `head` (the peeked bytes), then the rest of `fh`.

    It counts the bytes read since the last whole study (`since`, reset by `iter_array`): ijson
    builds a study whole before yielding it, so without a limit one huge element of an array
    (a gigabyte-long string) would be held whole."""

    def __init__(self, head: bytes, fh: BinaryIO, limit: int | None = None) -> None:
        self._head = head
        self._fh = fh
        self.limit = limit
        self.since = 0

    def read(self, n: int = -1) -> bytes:
        out = self._read(n)
        self.since += len(out)
        # The parser reads ahead a buffer at a time: that much slack beyond the limit.
        if self.limit is not None and self.since > self.limit + _PEEK:
            raise _TooBig
        return out

    def _read(self, n: int) -> bytes:
        if self._head:
            if n < 0:
                out, self._head = self._head + self._fh.read(), b""
                return out
            out, self._head = self._head[:n], self._head[n:]
            return out
        return self._fh.read(n)


def open_array(fh: BinaryIO, limit: int | None = None) -> tuple[bool, _Rejoined]:
    """Peek at `fh`: (True when its JSON is an array, a reader that still returns every byte
    and refuses a study longer than `limit` bytes)."""
    head = fh.read(_PEEK).removeprefix(b"\xef\xbb\xbf")
    return head.lstrip()[:1] == b"[", _Rejoined(head, fh, limit)


def iter_array(reader: _Rejoined) -> Iterator[Any]:
    """Yield each element (a study as a dict; numbers as int or float) of the JSON array in
    `reader`. One that is cut off or damaged raises RecordError after the complete studies
    before the damage have been yielded."""
    count = 0
    try:
        for study in ijson.items(reader, "item", use_float=True):
            count += 1
            reader.since = 0
            yield study
    except _TooBig:
        raise RecordError(
            _SECTION,
            "array",
            f"study {count + 1} of the JSON array does not end within the {reader.limit:,}-byte page limit "
            f"(a study that big, or padding): the {count} studies before it were read, it and the rest of "
            "the file were not",
        ) from None
    except ijson.IncompleteJSONError as exc:
        raise RecordError(
            _SECTION,
            "array",
            f"the JSON array is cut off or damaged after {count} complete studies ({_reason(exc)}): "
            "the studies before it were read, the rest of the file was not",
        ) from None
    except ijson.JSONError as exc:
        raise RecordError(
            _SECTION, "array", f"not valid JSON after {count} complete studies ({_reason(exc)})"
        ) from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
