"""Services of the groups package: groups, members, meetings and derived figures."""
