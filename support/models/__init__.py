"""Screening questionnaires as data, screenings, the provider directory and referrals.

Who may see what is decided here, once per resource, and follows the member's CURRENT
group and that group's province (Member.can_view); the SQL twins are in
support/services/scope.py. Three levels:
- existence (that a screening or referral exists, its type, status and dates): staff
  who may see the member, i.e. also the facilitators of the member's current group;
- answers, scores and notes: coordinators of the member's province and admins only;
- members: nothing at all.

Modules: screening (questionnaires, screenings, dimensions and support types),
referrals (the provider directory, referrals and their timeline), provider_side (the
letter's link and provider accounts, issue 26).
"""
