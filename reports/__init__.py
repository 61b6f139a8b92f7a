"""Read-only indicators, dashboards and exports. Reads from every package; none reads it."""
