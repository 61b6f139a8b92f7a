"""Shared infrastructure: database, authorization, i18n, security, audit, reference places."""
