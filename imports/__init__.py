"""Registers brought in from Excel or CSV: upload, check (dry run), import."""
