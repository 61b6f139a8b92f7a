"""Programme indicators for a scope and a period, each beside the period before.

Every figure is defined once, in reports/definitions.py (FIGURES): its label and how it
is counted (the text the "how each figure is counted" page shows, translated). A module
per section computes it in SQL, one aggregate statement each (two for members and
outcomes), whatever the number of groups: nothing loops over groups or members in
Python. `scope` says whose figures; `groups`, `members`, `grants` and `outcomes` are the
sections; `all_sections` puts a period's sections together beside the period before,
which is what the pages and exports show.

Scope: the groups a user may see (groups.services.groups.visible_groups), narrowed to a
province, a commune or a group. Figures about members, grants and visits follow the
member's home group (groups.services.scope.home_memberships), the same rule that decides
who may see them, so a coordinator never counts anyone outside their provinces, also
after a group moved province.

What is not kept, and so not counted: the days a group was paused (only its status
now; the day a closed group closed is kept). The income a plan expects is counted where
the application gave it (grants.planned_income).
Support plans (plans/) are a section here too: a plan follows its member's home group.
Screening and referral figures (definitions.SUPPORT) are counted by `support`, for
coordinators and admins at the level of a province or wider, from the facts of
reports/facts/support.py.
"""
