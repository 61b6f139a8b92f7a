"""The demo: a realistic data set for trying the app, loaded by `flask demo`."""
