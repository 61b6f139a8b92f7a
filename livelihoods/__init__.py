"""Livelihood grants, their tranches, follow-up visits and the jobs that keep them on time."""
