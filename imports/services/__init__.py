"""Bringing a register in: store its rows (batches), check them (checks: the dry run), then
import the good ones (writes).

A check never writes anything but the batch's summary (with each row's problems); the
import re-checks, then writes what the check called new, through the services the pages
use (groups.services), 500 rows a transaction, each creation audited by them, and the
batch itself audited once. Places are resolved with imports.places_legacy; a split or
unknown commune is asked once for every row that names it (`answers`).
"""
