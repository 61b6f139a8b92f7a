"""Facts: the analytics tables the figures read, how writes mark them and how they are
folded in. Indicators read these; pages and exports read indicators."""
