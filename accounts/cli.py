import sys

import click
from flask.cli import AppGroup

from accounts import services
from accounts.models import Role
from core.db import db

users_cli = AppGroup("users", help="Manage user accounts.")


def read_password() -> str:
    """Prompt twice on a terminal; otherwise read one line from standard input."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role if r != Role.MEMBER]),
    default=Role.ADMIN.value,
    show_default=True,
)
@click.option(
    "--province",
    "provinces",
    type=int,
    multiple=True,
    help="Province code, for a coordinator; repeat for several.",
)
def create_user_command(username: str, full_name: str, role: str, provinces) -> None:
    """Create a user; the password comes from a prompt or standard input, never an argument."""
    password = read_password()
    if not 10 <= len(password) <= 128:
        raise click.UsageError("The password must have between 10 and 128 characters.")
    if Role(role) == Role.COORDINATOR and not provinces:
        raise click.UsageError("A coordinator needs at least one --province code.")
    try:
        user = services.create_user(
            None,
            username=username,
            full_name=full_name,
            role=Role(role),
            password=password,
            province_codes=provinces,
        )
    except services.UsernameTaken:
        raise click.UsageError(f"The username {username!r} is already taken.") from None
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.username}.")
