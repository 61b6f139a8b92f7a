"""Every route × every role, including staff of another province and another group.

A new route fails test_every_route_is_in_the_matrix until it is added here with what
each role may do to a group, member and meeting in Huế that belong to `facilitator`.

Provider accounts (issue 26): `provider` works for the Huế office the member's referral
is addressed to, `other_provider` for another Huế provider. Outside their own pages and
account settings every route answers them 403; the letter's link without its code
opens nothing for anyone.
"""

import re
from datetime import date

import pytest

from accounts.models import Role
from core.clock import today
from tests.conftest import NGHE_AN, login
from tests.plans.helpers import make_plan
from tests.support.helpers import make_records

ROLES = (
    "anonymous",
    "member",
    "facilitator",
    "other_facilitator",
    "coordinator",
    "other_coordinator",
    "admin",
    "provider",
    "other_provider",
)
STAFF = ROLES[2:7]
PROVIDERS = ROLES[7:]
OK, REDIRECT, FORBIDDEN, NOT_FOUND, TO_LOGIN = 200, 302, 403, 404, "login"
TODAY = today().isoformat()


def everyone(status):
    return dict.fromkeys(ROLES, status)


def logged_in(status):
    return {"anonymous": TO_LOGIN, **dict.fromkeys(ROLES[1:], status)}


def only(status, *roles, member=FORBIDDEN):
    """status for the named roles; 403 for other staff and for provider accounts; member
    as given; anonymous to login."""
    return {
        "anonymous": TO_LOGIN,
        "member": member,
        **{r: (status if r in roles else FORBIDDEN) for r in STAFF + PROVIDERS},
    }


def not_providers(want: dict) -> dict:
    """What the other roles get, and 403 for provider accounts (they see nothing else)."""
    return {**want, **dict.fromkeys(PROVIDERS, FORBIDDEN)}


def owner_only(status):
    """status for the batch's uploader (`facilitator`); 404 for other staff; 403 for members."""
    return {
        "anonymous": TO_LOGIN,
        "member": FORBIDDEN,
        **{r: (status if r == "facilitator" else NOT_FOUND) for r in STAFF},
        **dict.fromkeys(PROVIDERS, FORBIDDEN),
    }


IN_SCOPE = ("facilitator", "coordinator", "admin")
MANAGERS = ("coordinator", "admin")

# endpoint: (method, path, form data, expected per role)
MATRIX = {
    "core.healthz": ("GET", "/healthz", None, everyone(OK)),
    "core.favicon": ("GET", "/favicon.ico", None, everyone(OK)),
    "core.set_language": ("POST", "/language", {"locale": "en"}, everyone(REDIRECT)),
    "core.service_worker": ("GET", "/sw.js", None, everyone(OK)),
    "core.outbox": ("GET", "/outbox", None, only(OK, *STAFF)),
    # The provider's side (issue 26). The link without its code: the code's page for
    # anyone; an answer sent without it goes back to that page; nothing is recorded.
    "providers.link": ("GET", "/r/{link}", None, everyone(OK)),
    "providers.link_answer": ("POST", "/r/{link}/acknowledge", {"on": TODAY}, everyone(REDIRECT)),
    "providers.link_done": ("GET", "/r/done", None, everyone(OK)),
    "providers.home": ("GET", "/provider", None, only(OK, *PROVIDERS)),
    "providers.show_referral": (
        "GET",
        "/provider/referrals/{referral}",
        None,
        {**only(OK, "provider"), "other_provider": NOT_FOUND},
    ),
    "providers.answer": (
        "POST",
        "/provider/referrals/{referral}/acknowledge",
        {"on": TODAY},
        {**only(REDIRECT, "provider"), "other_provider": NOT_FOUND},
    ),
    # The thread on a referral: the link without its code goes back to the code's page.
    "providers.link_message": ("POST", "/r/{link}/message", {"body": "?"}, everyone(REDIRECT)),
    "providers.account_message": (
        "POST",
        "/provider/referrals/{referral}/message",
        {"body": "Xin hỏi"},
        {**only(REDIRECT, "provider"), "other_provider": NOT_FOUND},
    ),
    "providers.accounts": (
        "GET",
        "/providers/{provider}/accounts",
        None,
        only(OK, *MANAGERS, member=NOT_FOUND),
    ),
    "providers.set_staff_active": (
        "POST",
        "/providers/{provider}/accounts/{provider_user}/active",
        {"active": "0"},
        only(REDIRECT, *MANAGERS, member=NOT_FOUND),
    ),
    "core.keep_forms": (
        "POST",
        "/outbox/keep",
        {"keep": "1"},
        only(REDIRECT, "facilitator", "other_facilitator"),
    ),
    "core.kept_forms": ("GET", "/outbox/forms", None, only(OK, "facilitator", "other_facilitator")),
    "accounts.login": (
        "GET",
        "/login",
        None,
        {"anonymous": OK, **dict.fromkeys(ROLES[1:], REDIRECT)},
    ),
    "accounts.logout": ("POST", "/logout", {}, logged_in(REDIRECT)),
    "accounts.change_password": (
        "GET",
        "/account/password",
        None,
        only(OK, *STAFF, *PROVIDERS),
    ),
    "accounts.login_code": ("GET", "/login/two-factor", None, everyone(REDIRECT)),
    "accounts.login_enrol": ("GET", "/login/two-factor/setup", None, everyone(REDIRECT)),
    "accounts.login_new_password": ("GET", "/login/new-password", None, everyone(REDIRECT)),
    "accounts.two_factor_settings": (
        "GET",
        "/account/two-factor",
        None,
        only(OK, *STAFF, *PROVIDERS),
    ),
    # Only for someone with two-factor on (tests/accounts/test_two_factor.py); nobody here.
    "accounts.new_recovery_codes": (
        "POST",
        "/account/two-factor/recovery-codes",
        {},
        only(FORBIDDEN),
    ),
    "accounts.disable_two_factor": ("POST", "/account/two-factor/disable", {}, only(FORBIDDEN)),
    "accounts.reset_two_factor": (
        "POST",
        "/admin/users/{user}/two-factor",
        {},
        only(REDIRECT, "admin"),
    ),
    "accounts.account": ("GET", "/account", None, only(OK, *STAFF)),
    "audit.list_events_page": (
        "GET",
        "/audit",
        None,
        only(OK, "coordinator", "other_coordinator", "admin"),
    ),
    # A provider account's home is its referrals.
    "reports.home": ("GET", "/", None, {**logged_in(OK), **dict.fromkeys(PROVIDERS, REDIRECT)}),
    "accounts.list_users": ("GET", "/admin/users", None, only(OK, "admin")),
    "accounts.create_user": ("GET", "/admin/users/new", None, only(OK, "admin")),
    "accounts.edit_user": ("GET", "/admin/users/{user}", None, only(OK, "admin")),
    "accounts.toggle_active": ("GET", "/admin/users/{user}/active", None, only(OK, "admin")),
    "accounts.reset_password": ("GET", "/admin/users/{user}/password", None, only(OK, "admin")),
    "groups.list_groups": ("GET", "/groups", None, only(OK, *STAFF)),
    "groups.list_members": ("GET", "/members", None, only(OK, *STAFF)),
    "groups.create_group": (
        "GET",
        "/groups/new",
        None,
        only(OK, "coordinator", "other_coordinator", "admin"),
    ),
    "groups.show_group": ("GET", "/groups/{group}", None, only(OK, *IN_SCOPE, member=NOT_FOUND)),
    "groups.edit_group": (
        "GET",
        "/groups/{group}/edit",
        None,
        only(OK, *MANAGERS, member=NOT_FOUND),
    ),
    "groups.create_member": (
        "GET",
        "/groups/{group}/members/new",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "groups.record_meeting": (
        "GET",
        "/groups/{group}/meetings/new",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "groups.show_member": ("GET", "/members/{member}", None, only(OK, *IN_SCOPE, member=NOT_FOUND)),
    "groups.edit_member": (
        "GET",
        "/members/{member}/edit",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "groups.change_membership": (
        "GET",
        "/members/{member}/membership",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "groups.record_consent": (
        "GET",
        "/members/{member}/consents",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "groups.withdraw_consent": (
        "GET",
        "/members/{member}/consents/{consent}/withdraw",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "groups.anonymise_member": (
        "GET",
        "/members/{member}/anonymise",
        None,
        only(OK, *MANAGERS, member=NOT_FOUND),
    ),
    "groups.show_meeting": (
        "GET",
        "/meetings/{meeting}",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "groups.edit_meeting": (
        "GET",
        "/meetings/{meeting}/edit",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "accounts.member_login": (
        "GET",
        "/login/member",
        None,
        {"anonymous": OK, **dict.fromkeys(ROLES[1:], REDIRECT)},
    ),
    "livelihoods.list_grants": ("GET", "/grants", None, only(OK, *STAFF)),
    "livelihoods.due": ("GET", "/due", None, only(OK, *STAFF)),
    "inbox.index": ("GET", "/inbox", None, not_providers(logged_in(OK))),
    "livelihoods.draft_grant": (
        "GET",
        "/members/{member}/grants/new",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "livelihoods.set_pin": (
        "GET",
        "/members/{member}/pin",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "livelihoods.show_grant": (
        "GET",
        "/grants/{grant}",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "livelihoods.edit_grant": (
        "GET",
        "/grants/{grant}/edit",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "livelihoods.submit_grant": (
        "GET",
        "/grants/{grant}/submit",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "livelihoods.decide_grant": (
        "GET",
        "/grants/{grant}/decide",
        None,
        only(OK, *MANAGERS, member=NOT_FOUND),
    ),
    "livelihoods.record_tranche": (
        "GET",
        "/grants/{paid_grant}/tranches/new",
        None,
        only(OK, *MANAGERS, member=NOT_FOUND),
    ),
    "livelihoods.edit_tranche": (
        "GET",
        "/tranches/{tranche}/edit",
        None,
        only(OK, *MANAGERS, member=NOT_FOUND),
    ),
    "livelihoods.close_grant": (
        "GET",
        "/grants/{paid_grant}/close",
        None,
        only(OK, *MANAGERS, member=NOT_FOUND),
    ),
    "livelihoods.record_visit": (
        "GET",
        "/follow-ups/{follow_up}/visit",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "livelihoods.mark_missed": (
        "GET",
        "/follow-ups/{follow_up}/missed",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    # Progress pages, narrowed to the Huế group: another province or group is refused.
    "progress.overview": ("GET", "/progress?group={group}", None, only(OK, *IN_SCOPE)),
    "progress.definitions": ("GET", "/progress/how", None, only(OK, *STAFF)),
    "progress.export_figures": (
        "GET",
        "/progress/export?group={group}&format=csv",
        None,
        only(OK, *IN_SCOPE),
    ),
    "progress.export_internal": (
        "GET",
        "/progress/export/internal?group={group}",
        None,
        only(OK, *MANAGERS),
    ),
    "progress.scorecard": ("GET", "/progress/scorecard?group={group}", None, only(OK, *IN_SCOPE)),
    "progress.workload": ("GET", "/progress/workload?group={group}", None, only(OK, *IN_SCOPE)),
    "progress.portfolio": ("GET", "/progress/grants?group={group}", None, only(OK, *MANAGERS)),
    "progress.donor": (
        "GET",
        "/progress/donor",
        None,
        only(OK, "coordinator", "other_coordinator", "admin"),
    ),
    "progress.donor_export": (
        "GET",
        "/progress/donor/export?format=csv",
        None,
        only(OK, "coordinator", "other_coordinator", "admin"),
    ),
    # Releases of the donor report: a Huế one approved, and one waiting for approval,
    # both prepared by `coordinator` (who may not approve their own).
    "progress.releases": (
        "GET",
        "/progress/releases",
        None,
        only(OK, "coordinator", "other_coordinator", "admin"),
    ),
    "progress.release": ("GET", "/progress/releases/{release}", None, only(OK, *MANAGERS)),
    "progress.release_export": (
        "GET",
        "/progress/releases/{release}/export?format=csv",
        None,
        only(OK, *MANAGERS),
    ),
    "progress.prepare": (
        "POST",
        "/progress/releases?period=quarter&on=2025-01-01&province=46",
        {"changes": "Thêm thành viên nhập muộn"},
        only(REDIRECT, *MANAGERS),
    ),
    "progress.approve": (
        "POST",
        "/progress/releases/{draft_release}/approve",
        {},
        only(REDIRECT, *MANAGERS),
    ),
    "imports.upload": ("GET", "/imports", None, only(OK, *STAFF)),
    "imports.template": ("GET", "/imports/template/members", None, only(OK, *STAFF)),
    # A batch of rows uploaded by `facilitator`: theirs alone, whatever the scope of others.
    "imports.show_batch": ("GET", "/imports/{batch}", None, owner_only(OK)),
    "imports.annotated": ("GET", "/imports/{batch}/annotated", None, owner_only(OK)),
    "imports.change_columns": ("POST", "/imports/{batch}/columns", {}, owner_only(REDIRECT)),
    "imports.answer_places": ("POST", "/imports/{batch}/places", {}, owner_only(REDIRECT)),
    "imports.change_layout": ("POST", "/imports/{batch}/layout", {}, owner_only(REDIRECT)),
    "imports.answer_groups": ("POST", "/imports/{batch}/groups", {}, owner_only(REDIRECT)),
    "imports.answer_words": ("POST", "/imports/{batch}/words", {}, owner_only(REDIRECT)),
    "imports.answer_changes": ("POST", "/imports/{batch}/changes", {}, owner_only(REDIRECT)),
    "imports.run_import": ("POST", "/imports/{batch}/import", {}, owner_only(REDIRECT)),
    "imports.discard": ("POST", "/imports/{batch}/discard", {}, owner_only(REDIRECT)),
    # Only the person who marked it missed, the same day: others are sent back with a message.
    "livelihoods.undo_missed": (
        "POST",
        "/follow-ups/{follow_up}/missed/undo",
        {},
        only(REDIRECT, *IN_SCOPE, member=NOT_FOUND),
    ),
    # Screening and referrals (support/): answers and notes for managers only.
    "support.member_support": (
        "GET",
        "/members/{member}/support",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "support.start_screening": (
        "GET",
        "/members/{member}/screenings/new",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    # A screening being filled in (`draft`); the complete one is `screening`.
    "support.screening_page": (
        "GET",
        "/screenings/{draft}/pages/1",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "support.finish_screening": (
        "GET",
        "/screenings/{draft}/finish",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "support.show_screening": (
        "GET",
        "/screenings/{screening}",
        None,
        only(OK, *MANAGERS, member=NOT_FOUND),
    ),
    "support.record_sharing_consent": (
        "GET",
        "/members/{member}/sharing-consent",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "support.create_referral": (
        "GET",
        "/members/{member}/referrals/new",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "support.show_referral": (
        "GET",
        "/referrals/{referral}",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "support.change_status": (
        "GET",
        "/referrals/{referral}/status",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "support.post_message": (
        "POST",
        "/referrals/{referral}/messages",
        {"body": "Xin chào"},
        only(REDIRECT, *MANAGERS, member=NOT_FOUND),
    ),
    # `facilitator` made the referral; tests/support/test_access.py covers one who did not.
    "support.referral_letter": (
        "GET",
        "/referrals/{referral}/letter",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "support.list_providers": ("GET", "/providers", None, only(OK, *STAFF, member=NOT_FOUND)),
    "support.create_provider": (
        "GET",
        "/providers/new",
        None,
        only(OK, "coordinator", "other_coordinator", "admin", member=NOT_FOUND),
    ),
    "support.edit_provider": (
        "GET",
        "/providers/{provider}/edit",
        None,
        only(OK, *MANAGERS, member=NOT_FOUND),
    ),
    # Case plans (plans/): staff who may see the member; closing for managers. The
    # member has a plan in progress, so "open a plan" sends in-scope staff to it.
    "plans.list_plans": ("GET", "/plans", None, only(OK, *STAFF)),
    "plans.member_plans": (
        "GET",
        "/members/{member}/plans",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "plans.open_plan": (
        "GET",
        "/members/{member}/plans/new",
        None,
        only(REDIRECT, *IN_SCOPE, member=NOT_FOUND),
    ),
    "plans.show_plan": ("GET", "/plans/{plan}", None, only(OK, *IN_SCOPE, member=NOT_FOUND)),
    "plans.add_goal": (
        "GET",
        "/plans/{plan}/goals/new",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "plans.add_action": (
        "GET",
        "/goals/{plan_goal}/actions/new",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "plans.settle_action": (
        "GET",
        "/plan-actions/{plan_action}/update",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "plans.change_action": (
        "GET",
        "/plan-actions/{plan_action}/edit",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "plans.record_review": (
        "GET",
        "/plans/{plan}/reviews/new",
        None,
        only(OK, *IN_SCOPE, member=NOT_FOUND),
    ),
    "plans.close_plan": (
        "GET",
        "/plans/{plan}/close",
        None,
        only(OK, *MANAGERS, member=NOT_FOUND),
    ),
    # Exports (reports/export_views.py): each role gets the rows it may see; names only
    # through the personal export, for coordinators and admins (tests/reports/test_exports.py).
    "exports.index": ("GET", "/exports", None, only(OK, *STAFF)),
    "exports.download": ("GET", "/exports/table?table=members&format=csv", None, only(OK, *STAFF)),
    "exports.register": (
        "GET",
        "/exports/register?group={group}&month=2025-02",
        None,
        only(OK, *IN_SCOPE),
    ),
    "exports.personal": (
        "GET",
        "/exports/personal",
        None,
        only(OK, "coordinator", "other_coordinator", "admin"),
    ),
    # Files prepared in the background (reports/export_job_views.py): any staff may ask
    # for one; its page and file are its owner's (`facilitator`) alone, 404 to others.
    "export_jobs.start": (
        "POST",
        "/exports/jobs?table=members&format=csv",
        {},
        only(REDIRECT, *STAFF),
    ),
    "export_jobs.list_jobs": ("GET", "/exports/jobs", None, only(OK, *STAFF)),
    "export_jobs.show_job": ("GET", "/exports/jobs/{export_job}", None, owner_only(OK)),
    "export_jobs.job_file": ("GET", "/exports/jobs/{export_job}/file", None, owner_only(OK)),
    "export_jobs.cancel": (
        "POST",
        "/exports/jobs/{export_job}/cancel",
        {},
        owner_only(REDIRECT),
    ),
}


# The same routes posted to: whoever may not see the form may not send it either. Posts
# from allowed roles carry no data here, so they get the form back with errors (200),
# except edit forms, where a field left out keeps its saved value (302, nothing changes).
POSTED = {
    "accounts.login": ({"anonymous": OK, **dict.fromkeys(ROLES[1:], REDIRECT)}),
    "accounts.change_password": only(OK, *STAFF, *PROVIDERS),
    "accounts.login_code": everyone(REDIRECT),
    "progress.export_internal": only(OK, *MANAGERS),
    "accounts.login_enrol": everyone(REDIRECT),
    "accounts.login_new_password": everyone(REDIRECT),
    "accounts.two_factor_settings": only(OK, *STAFF, *PROVIDERS),
    "accounts.account": only(REDIRECT, *STAFF),
    "providers.link": everyone(OK),
    "providers.accounts": only(OK, *MANAGERS, member=NOT_FOUND),
    "groups.anonymise_member": only(OK, *MANAGERS, member=NOT_FOUND),
    "accounts.create_user": only(OK, "admin"),
    "accounts.edit_user": only(REDIRECT, "admin"),
    "accounts.reset_password": only(OK, "admin"),
    "groups.create_group": only(OK, "coordinator", "other_coordinator", "admin"),
    "groups.edit_group": only(OK, *MANAGERS, member=NOT_FOUND),
    "groups.create_member": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "groups.record_meeting": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "groups.edit_member": only(REDIRECT, *IN_SCOPE, member=NOT_FOUND),
    "groups.change_membership": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "groups.edit_meeting": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "accounts.member_login": {"anonymous": OK, **dict.fromkeys(ROLES[1:], REDIRECT)},
    "livelihoods.draft_grant": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "livelihoods.set_pin": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "livelihoods.edit_grant": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "livelihoods.decide_grant": only(OK, *MANAGERS, member=NOT_FOUND),
    "livelihoods.record_tranche": only(OK, *MANAGERS, member=NOT_FOUND),
    "livelihoods.edit_tranche": only(OK, *MANAGERS, member=NOT_FOUND),
    "livelihoods.close_grant": only(OK, *MANAGERS, member=NOT_FOUND),
    "livelihoods.record_visit": only(OK, *IN_SCOPE, member=NOT_FOUND),
    # Confirmation steps: an empty post confirms (302) or lacks a required field (200).
    "accounts.toggle_active": only(REDIRECT, "admin"),
    "groups.record_consent": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "groups.withdraw_consent": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "livelihoods.submit_grant": only(REDIRECT, *IN_SCOPE, member=NOT_FOUND),
    "livelihoods.mark_missed": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "support.start_screening": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "support.screening_page": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "support.finish_screening": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "support.record_sharing_consent": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "support.create_referral": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "support.change_status": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "support.create_provider": only(
        OK, "coordinator", "other_coordinator", "admin", member=NOT_FOUND
    ),
    "support.edit_provider": only(REDIRECT, *MANAGERS, member=NOT_FOUND),
    # An empty plan form comes back with its messages; nothing is written.
    "plans.open_plan": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "plans.add_goal": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "plans.add_action": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "plans.settle_action": only(OK, *IN_SCOPE, member=NOT_FOUND),
    # An empty edit keeps nothing it lacks: the description is required again.
    "plans.change_action": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "plans.record_review": only(OK, *IN_SCOPE, member=NOT_FOUND),
    "plans.close_plan": only(OK, *MANAGERS, member=NOT_FOUND),
    # No file sent: the form comes back with its message.
    "imports.upload": only(OK, *STAFF),
    "exports.personal": only(OK, "coordinator", "other_coordinator", "admin"),
}


def test_every_route_is_in_the_matrix(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    assert {r.endpoint for r in rules} == set(MATRIX)
    both = {r.endpoint for r in rules if {"GET", "POST"} <= r.methods}
    assert both == set(POSTED)


@pytest.fixture
def world(app, make_user, make_group, make_member, make_meeting):
    return build_world(app, make_user, make_group, make_member, make_meeting)


def make_releases(preparer_id: int, approver_id: int) -> dict:
    """A Huế release of 2025's first quarter, approved, and version 2, waiting."""
    from core.db import db, utcnow
    from reports.models import Release

    ids = {}
    for version, name in ((1, "release"), (2, "draft_release")):
        release = Release(
            period_kind="quarter",
            period_start=date(2025, 1, 1),
            period_end=date(2025, 3, 31),
            provinces="46",
            version=version,
            cells="[]",
            parameters='{"threshold": 5, "base": 5, "amount_base": 5000000}',
            prepared_by_id=preparer_id,
            approved_by_id=approver_id if version == 1 else None,
            approved_at=utcnow() if version == 1 else None,
        )
        db.session.add(release)
        db.session.flush()
        ids[name] = release.id
    db.session.commit()
    return ids


def build_world(app, make_user, make_group, make_member, make_meeting):
    """A Huế group run by `facilitator`, with a member, a meeting and a consent; and a
    Nghệ An group run by `other_facilitator`."""
    from sqlalchemy import select

    from core.db import db
    from groups.models import Consent

    users = {
        "member": make_user(Role.MEMBER),
        "facilitator": make_user(Role.FACILITATOR),
        "other_facilitator": make_user(Role.FACILITATOR),
        "coordinator": make_user(Role.COORDINATOR),  # Huế
        "other_coordinator": make_user(Role.COORDINATOR, provinces=(NGHE_AN,)),
        "admin": make_user(Role.ADMIN),
    }
    group = make_group(facilitators=[users["facilitator"]])
    other_group = make_group(NGHE_AN, facilitators=[users["other_facilitator"]])
    member = make_member(group)
    meeting = make_meeting(group, date(2025, 2, 3))
    with app.app_context():
        consent = db.session.scalar(select(Consent.id).where(Consent.member_id == member.id))
        grants = make_grants(users["facilitator"].id, member.id)
        support = make_records(users["facilitator"].id, member.id, draft=True)
        users["provider"] = make_provider_user(app, support["provider"], "provider")
        users["other_provider"] = make_provider_user(app, support["health"], "other_provider")
        link = make_link(app, support["referral"])
        batch = make_import_batch(users["facilitator"].id, group.code)
        export_job = make_export_job(users["facilitator"].id)
        releases = make_releases(users["coordinator"].id, users["admin"].id)
        plan = make_plan(users["facilitator"].id, member.id)
    ids = {
        **releases,
        **plan,
        "user": users["facilitator"].id,
        "group": group.id,
        "other_group": other_group.id,
        "member": member.id,
        "meeting": meeting.id,
        "consent": consent,
        **grants,
        **support,
        "batch": batch,
        "link": link,
        "provider_user": users["provider"].id,
        "export_job": export_job,
    }
    return users, ids


def make_provider_user(app, provider_id: int, username: str):
    """A provider account for the provider (in an app context)."""
    from types import SimpleNamespace

    from accounts import services as account_services
    from core.db import db
    from support.models.provider_side import ProviderStaff
    from tests.conftest import PASSWORD

    user = account_services.create_user(
        None, username=username, full_name="Võ Văn Khang", role=Role.PROVIDER, password=PASSWORD
    )
    db.session.add(ProviderStaff(user_id=user.id, provider_id=provider_id))
    db.session.commit()
    return SimpleNamespace(id=user.id, username=username, password=PASSWORD, role=Role.PROVIDER)


def make_link(app, referral_id: int) -> str:
    """The token of the referral's letter link (in an app context)."""
    from core.clock import today
    from core.db import db
    from support.models.referrals import Referral
    from support.services import provider_links

    link = provider_links.ensure_link(
        db.session.get(Referral, referral_id),
        today=today(),
        days=30,
        secret=app.config["SECRET_KEY"],
    )
    db.session.commit()
    return provider_links.link_token(link, app.config["SECRET_KEY"])


# A GET changes nothing that decides access, and a form sent empty is refused and writes
# nothing: every role tries those on one world (a world per role and route made this file
# 40 % of the suite's time). A POST that acts, or an empty form some role may send
# successfully, gets a fresh world per role, so one role's action cannot change the next
# role's answer.
PAGES = sorted(e for e, (method, *_rest) in MATRIX.items() if method == "GET")
ACTIONS = sorted(e for e, (method, *_rest) in MATRIX.items() if method != "GET")
EMPTY_REFUSED = sorted(e for e, want in POSTED.items() if REDIRECT not in want.values())
EMPTY_ACCEPTED = sorted(e for e, want in POSTED.items() if REDIRECT in want.values())


def answer_problem(app, users, role, method, url, data, want) -> str | None:
    """What is wrong with `role`'s answer to the request, or None (a client of its own)."""
    client = app.test_client()
    if role != "anonymous":
        login(client, users[role])
    response = client.get(url) if method == "GET" else client.post(url, data=data)
    if want == TO_LOGIN:
        location = response.headers.get("Location", "")
        if response.status_code == 302 and location.startswith("/login"):
            return None
        return f"{role}: {response.status_code} {location!r}, not sent to log in"
    if response.status_code == want:
        return None
    page = response.get_data(as_text=True)
    detail = re.findall(r"class=\"error\"[^>]*>([^<]*)", page) or page[:300]
    return f"{role}: {response.status_code}, not {want}: {detail}"


def empty_form_problem(app, users, ids, endpoint, role) -> str | None:
    before = audit_count(app)
    want = POSTED[endpoint][role]
    problem = answer_problem(app, users, role, "POST", MATRIX[endpoint][1].format(**ids), {}, want)
    if problem is None and want != REDIRECT and audit_count(app) - before > 1:
        problem = f"{role}: the refused form recorded a change"  # a failed login at most
    return problem


@pytest.mark.parametrize("endpoint", PAGES)
def test_page_access_by_role(app, world, endpoint):
    users, ids = world
    _method, path, _data, expected = MATRIX[endpoint]
    url = path.format(**ids)
    problems = [
        answer_problem(app, users, role, "GET", url, None, expected[role]) for role in ROLES
    ]
    assert [p for p in problems if p] == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ACTIONS)
def test_action_access_by_role(app, world, endpoint, role):
    users, ids = world
    method, path, data, expected = MATRIX[endpoint]
    assert (
        answer_problem(app, users, role, method, path.format(**ids), data, expected[role]) is None
    )


@pytest.mark.parametrize("endpoint", EMPTY_REFUSED)
def test_empty_form_refused_by_role(app, world, endpoint):
    users, ids = world
    problems = [empty_form_problem(app, users, ids, endpoint, role) for role in ROLES]
    assert [p for p in problems if p] == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", EMPTY_ACCEPTED)
def test_empty_form_by_role(app, world, endpoint, role):
    users, ids = world
    assert empty_form_problem(app, users, ids, endpoint, role) is None


def make_grants(facilitator_id: int, member_id: int) -> dict[str, int]:
    """A draft grant and a paid-out one (with a tranche and follow-ups) for the member."""
    from datetime import timedelta

    from accounts.models import User
    from core.clock import today
    from core.db import db
    from groups.models import Member
    from livelihoods.models import Activity, Method
    from livelihoods.services.grants import approve_grant, draft_grant, submit_grant
    from livelihoods.services.tranches import record_tranche

    facilitator = db.session.get(User, facilitator_id)
    member = db.session.get(Member, member_id)
    decider = User(id=None, role=Role.ADMIN)
    draft = draft_grant(
        facilitator, member, activity=Activity.CROPS, plan="Rau", amount_requested=3_000_000
    )
    paid = draft_grant(
        facilitator, member, activity=Activity.LIVESTOCK, plan="Lợn", amount_requested=5_000_000
    )
    submit_grant(facilitator, paid, on=today() - timedelta(days=45))
    approve_grant(decider, paid, amount=5_000_000, note=None, on=today() - timedelta(days=40))
    tranche = record_tranche(
        decider,
        paid,
        paid_on=today() - timedelta(days=40),
        amount=2_000_000,
        method=Method.CASH,
        purchased=None,
        today=today(),
    )
    db.session.commit()
    return {
        "grant": draft.id,
        "paid_grant": paid.id,
        "tranche": tranche.id,
        "follow_up": paid.follow_ups[0].id,
    }


def make_import_batch(facilitator_id: int, group_code: str) -> int:
    """A checked members file of `facilitator`'s group, not imported."""
    from accounts.models import User
    from core.clock import today
    from core.db import db
    from imports.columns import Kind
    from imports.services import batches
    from imports.services.checks import dry_run

    facilitator = db.session.get(User, facilitator_id)
    data = f"Họ và tên,Năm sinh,Nhóm\nLê Thị Hồng,1985,{group_code}\n".encode()
    batch = batches.store_batch(facilitator, Kind.MEMBERS, "so.csv", data)
    dry_run.check_batch(facilitator, batch, today())
    db.session.commit()
    return batch.id


def make_export_job(facilitator_id: int) -> int:
    """A members file of `facilitator`'s, written by its job."""
    from accounts.models import User
    from core.db import db
    from reports import export_jobs, export_runner

    facilitator = db.session.get(User, facilitator_id)
    job = export_jobs.queue_job(facilitator, "members", "csv")
    db.session.commit()
    assert export_runner.run_job(job.id) == export_jobs.DONE
    return job.id


def audit_count(app) -> int:
    from sqlalchemy import func, select

    from core.audit import AuditEvent
    from core.db import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))
