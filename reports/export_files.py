"""Sending a table as a file: written to a temporary file first, then sent in chunks (small
files from memory), so a failure while writing is an error page, not half a file."""

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from flask import Response, abort

from core.clock import today
from core.downloads import attachment, file_name
from reports.exports import CONTENT_TYPES, Column, Notes, safe_name, write_table

CHUNK = 64 * 1024
IN_ONE_PIECE = 256 * 1024  # smaller files are sent from memory, larger ones in chunks


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := file.read(CHUNK):
            yield chunk
    finally:
        file.close()


@dataclass
class TableFile:
    """A written table: its rows (header not counted) and the response that sends it."""

    rows: int
    response: Response


def table_file(
    fmt: str,
    stem: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence],
    *,
    sheet="Data",
    notes: Notes | None = None,
) -> TableFile:
    """Write the table to a temporary file and make the response that sends it.

    `stem` names the file (see safe_name); today's date and the extension are added.
    An unknown format is a 404, as an unknown address would be.
    """
    if fmt not in CONTENT_TYPES:
        abort(404)
    file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response when sent
    try:
        count = write_table(fmt, columns, rows, file, sheet=sheet, notes=notes)
        size = file.tell()
        file.seek(0)
    except BaseException:
        file.close()
        raise
    # The words of the name in the user's language (core.downloads), the rest as given.
    filename = file_name(*safe_name(stem, today().isoformat()).split("_"), ext=fmt)
    if size <= IN_ONE_PIECE:
        # Small files go out in one piece and the temporary file is closed at once.
        with file:
            body = file.read()
        response = Response(body, content_type=CONTENT_TYPES[fmt])
    else:
        response = Response(_chunks(file), content_type=CONTENT_TYPES[fmt], direct_passthrough=True)
        response.call_on_close(file.close)
    response.content_length = size
    response.headers["Content-Disposition"] = attachment(filename)
    return TableFile(count, response)


def table_response(
    fmt: str, stem: str, columns, rows: Iterable[Sequence], *, sheet="Data", notes=None
) -> Response:
    """The table as a file download ("csv" or "xlsx"): the one entry point for exports.

    For the integrator: an indicator table given as (columns, rows) goes out with
    `table_response(fmt, "indicators", columns, rows)`; see also reports.export_views
    `send_table`, which adds the audit event when the table holds personal data.
    """
    return table_file(fmt, stem, columns, rows, sheet=sheet, notes=notes).response
