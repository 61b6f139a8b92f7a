"""The scheduled fold of marked keys into the facts."""

from datetime import date

from reports.facts.refresh import fold


def fold_facts(today: date) -> dict:
    """Fold every (group, month) marked since the last fold into the facts; the runner
    commits. Running it twice, or in two processes at once, folds nothing twice."""
    return {"folded": fold()}
