"""The dry run: every row checked against the database, nothing written but the summary.

`dry_run` checks a batch and keeps its summary; `context` holds what every check shares;
`groups`, `members` and `attendance` check the rows of each kind of register; `changes` says
what an import would change in rows already there.
"""
