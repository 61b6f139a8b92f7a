"""The differencing attacker of issue 21 (tests/reports/attacker.py), run over HTTP
against generated data whose small cells are known.

CI runs a small variant (three provinces, four months: every province set, month,
quarter and nested or overlapping range; the donor page, CSV and XLSX; the indicator
export's two columns for each province, each group and all; the frozen releases).
`DISCLOSURE_ATTACK=full` runs the full one (four provinces, six months, every XLSX);
bench/disclosure_attack.py runs it and prints the figures.

Pass: nothing recovered; the same true value of a cell is published the same in every
release, whichever output it came from; no "<5" anywhere; no amount, share or median
over fewer than the threshold of values. The control: the same releases published
exactly give the attacker many small cells, so the attack finds what is there.
"""

import json
import os

import pytest

from reports.suppression import protection
from tests.reports import attack_data, attacker

VARIANT = attacker.FULL if os.environ.get("DISCLOSURE_ATTACK") == "full" else attacker.CI


@pytest.mark.parametrize("seed", [21])
def test_no_small_count_can_be_worked_out_from_any_output(
    app, client, make_user, make_group, make_meeting, seed
):
    coordinator, checker, groups = attack_data.generate(
        app, make_user, make_group, make_meeting, seed, VARIANT
    )
    reading = attacker.read_everything(app, client, coordinator, checker, groups, VARIANT)
    attacker.read_releases(app, client, checker, reading, VARIANT)
    with app.app_context():
        how = protection()
    outcome = attacker.attack(reading, how.base)
    control = attacker.attack(attacker.exact_reading(reading), 1)
    summary = {
        "variant": "full" if VARIANT is attacker.FULL else "ci",
        "files": reading.files,
        "releases": outcome.releases,
        "count_cells": outcome.cells,
        "small_cells": outcome.small,
        "recovered": len(outcome.recovered),
        "recovered_without_rounding": len(control.recovered),
    }
    if os.environ.get("DISCLOSURE_ATTACK_REPORT"):
        with open(os.environ["DISCLOSURE_ATTACK_REPORT"], "w") as f:
            json.dump(summary, f)
    assert outcome.small > 100, "the generated data must have small cells to attack"
    assert len(control.recovered) > outcome.small, "the attack must find exact small cells"
    assert outcome.recovered == [], f"{summary}: e.g. {outcome.recovered[:3]}"
    assert outcome.inconsistent == [], outcome.inconsistent[:3]
    assert outcome.off_grid == [], outcome.off_grid[:3]
    # Every CSV and page (an XLSX holds the cells its CSV does: compared as read).
    texts = [b for b in reading.bodies if not b.startswith(b"PK")]
    assert not [b for b in texts if b"<5" in b or b"&lt;5" in b]
    wrong = attacker.statistics_over_too_few(reading, how.threshold, how.amount_base)
    assert wrong == [], wrong[:3]
    # Both columns of the indicator export were attacked, the period before included.
    assert {r[0] for r in reading.published} == {"donor", "indicators", "before"}
