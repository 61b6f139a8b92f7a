"""The progress blueprint: figures, review lists and the donor report of a scope."""
