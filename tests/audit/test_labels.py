"""Every action the code writes to the audit log has a label on the admin's audit page, in
Danish and English (vocabulary.AUDIT_ACTIONS).

The actions are found in the source: the first argument of every record() call, and the
action argument of the helpers that pass one on to record(). A constant (or either branch of
`a if c else b`) is checked directly; an action built at run time must be listed in DYNAMIC
with every value it can take, so a new f-string action fails here until it has its labels.
"""

import ast
from pathlib import Path

from flask_babel import force_locale

from outreach import vocabulary
from outreach.vocabulary import AUDIT_ACTIONS

SOURCE = Path(__file__).resolve().parents[2] / "outreach"
# Functions that hand their action argument on to record(): name -> its position.
PASSING_ON = {"record": 0, "_changed": 2, "_recheck": 3}
# Actions built at run time: (file, the expression) -> every action it makes.
DYNAMIC = {
    # create_or_replace: "<table without s>.create|update" of each record a phone writes.
    ("records.py", "f\"{name}.{('create' if created else 'update')}\""): {
        f"{name}.{verb}"
        for name in ("clinic", "visit", "person", "conversation", "lead", "sms_contact")
        for verb in ("create", "update")
    },
    # end_all_sessions(reason=...): see test_every_reason_to_end_all_sessions_has_a_label.
    ("auth/services.py", "f'auth.{reason}'"): {
        "auth.logout",
        "auth.password_change",
        "auth.revoke",
    },
}
# A name passed on unchanged from a caller: the callers' constants are checked instead.
PASSED_NAMES = {("routing/services.py", "action"), ("records.py", "action")}


def _callee(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _actions(expr, path: str, found: dict, unknown: list) -> None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        found.setdefault(expr.value, []).append(path)
    elif isinstance(expr, ast.Constant) and expr.value is None:
        pass  # an audit_action callback's "no action of my own"
    elif isinstance(expr, ast.IfExp):
        _actions(expr.body, path, found, unknown)
        _actions(expr.orelse, path, found, unknown)
    elif isinstance(expr, ast.BoolOp):
        for value in expr.values:
            _actions(value, path, found, unknown)
    elif isinstance(expr, ast.Name) and (path, expr.id) in PASSED_NAMES:
        pass
    elif (path, ast.unparse(expr)) in DYNAMIC:
        for action in DYNAMIC[(path, ast.unparse(expr))]:
            found.setdefault(action, []).append(path)
    else:
        unknown.append(f"{path}:{expr.lineno} {ast.unparse(expr)}")


def actions_in_code() -> tuple[dict, list]:
    found, unknown = {}, []
    for file in sorted(SOURCE.rglob("*.py")):
        path = str(file.relative_to(SOURCE))
        for node in ast.walk(ast.parse(file.read_text("utf-8"))):
            if isinstance(node, ast.Call) and _callee(node) in PASSING_ON:
                position = PASSING_ON[_callee(node)]
                action = next((k.value for k in node.keywords if k.arg == "action"), None)
                if action is None and len(node.args) > position:
                    action = node.args[position]
                if action is not None:
                    _actions(action, path, found, unknown)
            # audit_action callbacks of create_or_replace return their action.
            if isinstance(node, ast.FunctionDef) and node.name == "audit_action":
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and ret.value is not None:
                        _actions(ret.value, path, found, unknown)
    return found, unknown


def test_the_scan_finds_the_actions_of_every_kind_of_call():
    found, _ = actions_in_code()
    # a constant, a branch of a conditional, a helper's argument, an f-string, a callback
    assert {"auth.login", "user.deactivate", "route_plan.reorder", "visit.create"} <= set(found)
    assert {"csrf.refused", "access.denied", "clinic.close", "audit.export"} <= set(found)


def test_every_action_written_in_the_code_has_a_label():
    found, unknown = actions_in_code()

    assert unknown == [], "an action built at run time: list what it makes in DYNAMIC"
    missing = {action: paths for action, paths in found.items() if action not in AUDIT_ACTIONS}
    assert missing == {}, "add a label to vocabulary.AUDIT_ACTIONS (and the catalogues)"


def test_no_label_is_left_for_an_action_the_code_no_longer_writes():
    found, _ = actions_in_code()
    assert set(AUDIT_ACTIONS) - set(found) == set()


def test_every_reason_to_end_all_sessions_has_a_label():
    reasons = {"logout"}  # the default
    for file in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text("utf-8"))):
            if isinstance(node, ast.Call) and _callee(node) == "end_all_sessions":
                reasons |= {k.value.value for k in node.keywords if k.arg == "reason"}
    assert {f"auth.{r}" for r in reasons} == DYNAMIC[("auth/services.py", "f'auth.{reason}'")]


def test_every_label_is_translated_into_danish(app):
    with app.test_request_context():
        for action in AUDIT_ACTIONS:
            with force_locale("da"):
                danish = vocabulary.label(AUDIT_ACTIONS, action)
            with force_locale("en"):
                english = vocabulary.label(AUDIT_ACTIONS, action)
            assert english == AUDIT_ACTIONS[action]
            assert danish != english, action
