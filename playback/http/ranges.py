"""A stored file served with HTTP range requests (RFC 9110 section 14), as a `<video>`
element asks to seek: one range answers 206 with its Content-Range, a range past
the end 416 (with the file's size), anything else (no Range, several ranges, a
malformed one) the whole file with 200, as the RFC allows. Read in chunks: a large
video is never held in memory."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse

CHUNK_BYTES = 256 * 1024
ONE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


def byte_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(first, last) byte of a single range of a `size`-byte file; None when the
    header asks for no single range (serve it all); False when it cannot be met."""
    match = ONE_RANGE.match(header or "")
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        if int(last) == 0 or size == 0:
            return False
        return max(0, size - int(last)), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or (last != "" and int(last) < start):
        return False
    return start, end


def _chunks(handle: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK_BYTES, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


def ranged_response(
    handle: IO[bytes], *, size: int, content_type: str, range_header: str
) -> HttpResponse:
    """`handle` (open, `size` bytes) as the answer to a request with `range_header`."""
    wanted = byte_range(range_header, size)
    if wanted is False:
        handle.close()
        detail = f"The range {range_header.strip()!r} is past the end of this {size}-byte file."
        response = JsonResponse({"detail": detail}, status=416)
        response["Content-Range"] = f"bytes */{size}"
    elif wanted is None:
        response = FileResponse(handle, content_type=content_type)
    else:
        start, end = wanted
        response = StreamingHttpResponse(
            _chunks(handle, start, end - start + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response
