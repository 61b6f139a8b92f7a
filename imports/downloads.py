"""The CSV files the import pages hand out: the blank template and the checked file."""

from flask import Response

from core.downloads import attachment


def csv_response(text: str, filename: str) -> Response:
    # A byte-order mark so that Excel reads the Vietnamese letters as UTF-8.
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": attachment(filename), "Cache-Control": "no-store"},
    )


def safe_cell(value: str) -> str:
    """Text Excel will not run as a formula (=, +, -, @ first)."""
    if value and value[0] in "=+-@\t\r" and not value.lstrip("+-").replace(".", "").isdigit():
        return "'" + value
    return value
