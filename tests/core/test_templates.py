"""Every template, read without rendering it: each name it calls is something it can reach.

A template that calls a macro it does not import renders fine until the branch with the
call is taken (S1: the admin page of a user with two-factor on answered 500 because
that branch alone called `post_button`). Reading the templates' syntax trees finds such
a call whatever data would have to be there to reach it.
"""

import functools
import os
import re

from jinja2 import nodes

from tests.conftest import ROOT

TEMPLATES = os.path.join(ROOT, "templates")
# Names Jinja gives a macro body, and Flask's template context.
BUILT_IN = {"caller", "kwargs", "varargs", "loop", "self", "super"}
FLASK_CONTEXT = {"config", "request", "session", "g", "current_user"}
# Functions a view hands its template by name (checked below to be handed by a view).
PASSED_BY_VIEW = {"reports/progress.html": {"child_args"}}


def template_names() -> list[str]:
    found = []
    for folder, _dirs, files in os.walk(TEMPLATES):
        for name in files:
            if name.endswith(".html"):
                found.append(os.path.relpath(os.path.join(folder, name), TEMPLATES))
    return sorted(found)


def defined_names(tree) -> set[str]:
    """Macros, imports, and names the template sets or loops over."""
    names = set()
    for node in tree.find_all((nodes.Macro, nodes.FromImport, nodes.Import, nodes.Name)):
        if isinstance(node, nodes.Macro):
            names.add(node.name)
            names.update(arg.name for arg in node.args)
        elif isinstance(node, nodes.FromImport):
            names.update(n[1] if isinstance(n, tuple) else n for n in node.names)
        elif isinstance(node, nodes.Import):
            names.add(node.target)
        elif node.ctx in ("store", "param"):
            names.add(node.name)
    return names


def called_names(tree) -> set[str]:
    return {
        call.node.name
        for call in tree.find_all(nodes.Call)
        if isinstance(call.node, nodes.Name) and call.node.ctx == "load"
    }


@functools.cache
def parsed(env, name: str):
    return env.parse(env.loader.get_source(env, name)[0])


def macros_by_template(env) -> dict[str, set[str]]:
    return {n: {m.name for m in parsed(env, n).find_all(nodes.Macro)} for n in template_names()}


def reachable_globals(app) -> set[str]:
    with app.test_request_context():
        context = {}
        app.update_template_context(context)
    return set(app.jinja_env.globals) | set(context) | FLASK_CONTEXT | BUILT_IN


def test_every_called_name_is_imported_defined_or_global(app):
    reachable = reachable_globals(app)
    wrong = {}
    for name in template_names():
        tree = parsed(app.jinja_env, name)
        missing = called_names(tree) - defined_names(tree) - reachable
        missing -= PASSED_BY_VIEW.get(name, set())
        if missing:
            wrong[name] = sorted(missing)
    assert not wrong, f"templates calling names they neither import nor define: {wrong}"


def test_every_macro_called_is_imported_from_where_it_is_defined(app):
    """Stricter for macros: a call of a name some template defines as a macro must be
    the template's own macro or one imported from the template that defines it (a
    context variable of the same name would not be a macro)."""
    env = app.jinja_env
    macros = macros_by_template(env)
    known = set().union(*macros.values())
    wrong = []
    for name in template_names():
        tree = parsed(env, name)
        own = {m.name for m in tree.find_all(nodes.Macro)}
        imported = {}
        for node in tree.find_all(nodes.FromImport):
            for entry in node.names:
                original, alias = entry if isinstance(entry, tuple) else (entry, entry)
                imported[alias] = (node.template.value, original)
        for called in (called_names(tree) & known) - own:
            if called not in imported:
                wrong.append(f"{name} calls the macro {called} without importing it")
            elif imported[called][1] not in macros[imported[called][0]]:
                wrong.append(f"{name} imports {called}, not a macro of {imported[called][0]}")
    assert not wrong


def test_the_check_finds_a_missing_import(app):
    env = app.jinja_env
    tree = env.parse(
        '{% from "macros/forms.html" import render_field %}'
        "{% if x %}{{ post_button('/a', 'b', form) }}{% endif %}{{ render_field(f) }}"
    )
    missing = called_names(tree) - defined_names(tree) - reachable_globals(app)
    assert missing == {"post_button"}


def test_the_functions_passed_by_views_are_passed():
    sources = ""
    for folder in ("accounts", "core", "groups", "imports", "livelihoods", "reports", "support"):
        for base, _dirs, files in os.walk(os.path.join(ROOT, folder)):
            for file in files:
                if file.endswith(".py"):
                    with open(os.path.join(base, file), encoding="utf-8") as f:
                        sources += f.read()
    for template, names in PASSED_BY_VIEW.items():
        for name in names:
            assert re.search(rf"render_template\(\s*\"{template}\"", sources), template
            assert re.search(rf"\b{name}=", sources), name
