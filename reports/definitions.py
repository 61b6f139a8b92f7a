"""Every figure the app shows: its label, how it is counted, its unit, in the user's
language. The "how each figure is counted" page shows these same texts (SECTIONS and the
screening and referral section, SUPPORT), so the page and the numbers cannot drift
apart; the rules they state are written once, as SQL, in reports/facts/build.py (what a
meeting held, a visit on time, a business running is) and computed by
reports/indicators/ (from the analytics tables where a figure adds up by group and month).
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

OUTCOME_MONTHS = (3, 6, 12)


@dataclass(frozen=True)
class Figure:
    key: str
    label: object  # lazy string
    how: object  # lazy string: how it is counted
    kind: str = "count"  # count, percent, vnd, days
    comparable: bool = True  # False: a figure of today, not of a period


@dataclass
class Section:
    key: str
    title: object
    figures: list[Figure] = field(default_factory=list)


SECTIONS = [
    Section(
        "groups",
        _l("Groups and meetings"),
        [
            Figure(
                "active_groups",
                _l("Active groups"),
                _l(
                    "Groups in scope founded by the last day of the period that are active "
                    "now, or that closed after the period began. The days a group was "
                    "paused are not kept: a group paused now is not counted in earlier "
                    "periods either."
                ),
            ),
            Figure(
                "meetings_expected",
                _l("Meetings expected"),
                _l(
                    "Meeting days that groups' schedules set in the period, from the day "
                    "each group was founded up to today; for a closed group, up to the day "
                    "before it closed. Groups paused now are not expected to meet, nor are "
                    "groups not set up yet (made by an import without a meeting schedule); "
                    "once such a group is given its schedule, it is expected to meet from "
                    "that day, not from the day it was founded."
                ),
            ),
            Figure(
                "meetings_held",
                _l("Regular meetings held"),
                _l("Regular meetings recorded for a day in the period, by any group in scope."),
            ),
            Figure(
                "completeness",
                _l("Meetings held as expected"),
                _l(
                    "For each active group, its regular meetings held, but no more than were "
                    "expected; added up and divided by the meetings expected."
                ),
                "percent",
            ),
            Figure(
                "timeliness",
                _l("Meetings recorded within 3 days"),
                _l(
                    "Regular meetings held in the period that were saved in the app at most "
                    "3 days after the meeting day, out of all regular meetings held."
                ),
                "percent",
            ),
            Figure(
                "attendance",
                _l("Average attendance"),
                _l(
                    "Attendance marks 'present' out of all marks (present, absent, excused) "
                    "at every meeting held in the period."
                ),
                "percent",
            ),
            Figure(
                "behind",
                _l("Groups behind on meetings"),
                _l(
                    "Active groups with no regular meeting for longer than their schedule "
                    "plus 3 days, on the period's last day (or today, if it is earlier). "
                    "For a group given its schedule after an import, the wait begins the "
                    "day it was given."
                ),
            ),
            Figure(
                "not_set_up",
                _l("Groups not set up yet"),
                _l(
                    "Groups in scope, not closed, that an import made without a meeting "
                    "schedule and that nobody has given one yet, today. They are counted "
                    "here apart: not expected to meet, never behind, until a coordinator "
                    "sets their schedule."
                ),
                comparable=False,
            ),
        ],
    ),
    Section(
        "members",
        _l("Members"),
        [
            Figure(
                "active_members",
                _l("Members in a group"),
                _l(
                    "Members who belonged to a group in scope on at least one day of the "
                    "period. A member who moved between groups is counted once."
                ),
            ),
            Figure(
                "joined",
                _l("Joined"),
                _l(
                    "Members whose first ever membership began in the period, in a group in "
                    "scope. Moving to another group is not joining."
                ),
            ),
            Figure(
                "left",
                _l("Left"),
                _l(
                    "Members who left a group in scope in the period and did not continue "
                    "in another group from that day. Moving to another group is not leaving."
                ),
            ),
        ],
    ),
    Section(
        "grants",
        _l("Livelihood grants"),
        [
            Figure(
                "requested",
                _l("Applications submitted"),
                _l("Applications submitted for a decision for the first time in the period."),
            ),
            Figure(
                "requested_vnd",
                _l("Amount requested"),
                _l("The amounts asked for in those applications."),
                "vnd",
            ),
            Figure(
                "approved",
                _l("Approved"),
                _l("Applications approved in the period."),
            ),
            Figure(
                "approved_vnd",
                _l("Amount approved"),
                _l("The amounts approved in the period."),
                "vnd",
            ),
            Figure(
                "rejected",
                _l("Not approved"),
                _l("Applications not approved in the period."),
            ),
            Figure(
                "disbursed",
                _l("Grants paid out"),
                _l("Grants with at least one payment made in the period."),
            ),
            Figure(
                "disbursed_vnd",
                _l("Amount paid out"),
                _l("All payments made in the period, in cash, by transfer or in kind."),
                "vnd",
            ),
            Figure(
                "remaining_vnd",
                _l("Still to pay out"),
                _l(
                    "For grants approved by the period's last day and not completed: the "
                    "amount approved less what was paid by that day."
                ),
                "vnd",
            ),
            Figure(
                "days_to_decision",
                _l("Days from submission to decision (median)"),
                _l(
                    "For decisions made in the period: days from the latest submission to "
                    "the approval or refusal. Half took fewer days, half more."
                ),
                "days",
            ),
            Figure(
                "days_to_payment",
                _l("Days from approval to first payment (median)"),
                _l("For grants first paid in the period: days from approval to that payment."),
                "days",
            ),
        ],
    ),
    Section(
        "outcomes",
        _l("Businesses and follow-up visits"),
        [
            *[
                Figure(
                    f"running_{months}",
                    _l("Businesses running at the %(num)s-month visit", num=months),
                    _l(
                        "Of the %(num)s-month livelihood checks made in the period with a "
                        "business status, those where the business was operating or "
                        "struggling (not stopped).",
                        num=months,
                    ),
                    "percent",
                )
                for months in OUTCOME_MONTHS
            ],
            Figure(
                "income_6",
                _l("Monthly income at the 6-month visit (median)"),
                _l(
                    "The income for the last month reported at 6-month livelihood checks "
                    "made in the period."
                ),
                "vnd",
            ),
            Figure(
                "planned_income_6",
                _l("Monthly income the plans expected (median)"),
                _l(
                    "For the same 6-month checks, the monthly income the business plan "
                    "expected, where the application gave one: the income reported is set "
                    "against it."
                ),
                "vnd",
            ),
            Figure(
                "visits_due",
                _l("Follow-up visits due"),
                _l("Follow-up visits due in the period, not counting cancelled ones."),
            ),
            Figure(
                "visits_on_time",
                _l("Follow-up visits made on time"),
                _l("Of those, visits made at most 7 days after the day they were due."),
                "percent",
            ),
            Figure(
                "overdue_now",
                _l("Follow-up visits overdue today"),
                _l("Visits still to make whose day has passed, today. Not kept per period."),
                comparable=False,
            ),
        ],
    ),
    Section(
        "plans",
        _l("Support plans"),
        [
            Figure(
                "members_with_plan",
                _l("Members with a support plan in progress"),
                _l(
                    "Members in scope with a support plan opened by the period's last day "
                    "and not finished by then. A member is counted once."
                ),
            ),
            Figure(
                "plan_reviews_due",
                _l("Plan reviews due"),
                _l(
                    "Reviews recorded whose review day was in the period, and plans in "
                    "progress whose next review day, in the period, has passed without a "
                    "review."
                ),
            ),
            Figure(
                "plan_reviews_on_time",
                _l("Plan reviews made on time"),
                _l("Of those, reviews recorded on or before their review day."),
                "percent",
            ),
            Figure(
                "goals_met",
                _l("Plan goals met"),
                _l("Goals of support plans found met at a review made in the period."),
            ),
        ],
    ),
]
FIGURES = {f.key: f for s in SECTIONS for f in s.figures}

# Screening and referrals: counted by reports.indicators.support (the rules: TAKEN_ON,
# SERVED, TIMED, WITHDRAWN and COUNTED in reports/facts/support.py) for coordinators and
# admins, at the level of a province or wider, in the province of the member's current
# group.
SUPPORT = Section(
    "support",
    _l("Screening and referrals"),
    [
        Figure(
            "referrals_made",
            _l("Referrals made"),
            _l("Referrals with a referral day in the period, of members in the provinces shown."),
        ),
        Figure(
            "referrals_accepted",
            _l("Of which the provider accepted"),
            _l(
                "Of those referrals, the ones the service provider took on: its status now "
                "is 'accepted by the provider' or 'service received'. The page also shows "
                "the referrals by service (the need) and by kind of provider."
            ),
        ),
        Figure(
            "referrals_completed",
            _l("Of which the service was received"),
            _l("Of those referrals, the ones whose status now is 'service received'."),
        ),
        Figure(
            "referrals_consent_withdrawn",
            _l("Of which closed because consent was withdrawn"),
            _l(
                "Of those referrals, the ones closed because the member withdrew the consent "
                "they relied on (not counted as declined)."
            ),
        ),
        Figure(
            "referral_days",
            _l("Median days from referral to service"),
            _l(
                "For the referrals whose service was received: days from the referral day to "
                "the day it was closed. Half took fewer days, half more."
            ),
            "days",
        ),
        Figure(
            "screenings",
            _l("Screenings done"),
            _l("Complete screenings dated in the period."),
        ),
        Figure(
            "members_rescreened",
            _l("Members screened more than once"),
            _l("Members with at least two complete screenings dated in the period."),
        ),
        Figure(
            "screening_change",
            _l("Average change, first to latest screening"),
            _l(
                "Per dimension, for members screened more than once in the period and scored "
                "on it both times: the latest score less the first, averaged. Scores run "
                "from 0 to 1; a positive change means the member's situation improved."
            ),
        ),
    ],
)

# What the scorecard's score is made of, each a share between 0 and 1: the same rules as
# the figures of the same names above (reports/facts/build.py).
SCORE_PARTS = (
    ("regularity", _l("Meetings held as expected")),
    ("attendance", _l("Attendance")),
    ("visits", _l("Visits on time")),
    ("businesses", _l("Businesses running")),
)

# The unit of each kind of figure, for the exports.
UNITS = {
    "count": _l("number"),
    "percent": _l("share, 0 to 1"),
    "vnd": _l("đồng"),
    "days": _l("days"),
}


def age_band_labels():
    return [
        _l("Under 18"),
        _l("18–24"),
        _l("25–34"),
        _l("35–49"),
        _l("50 and over"),
    ]
