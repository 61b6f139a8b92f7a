"""The livelihoods pages: grants from application to closing, payments, follow-up
visits and the due list (blueprint.py registers them)."""
