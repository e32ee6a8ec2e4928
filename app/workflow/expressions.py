"""A restricted evaluator for the Python expressions and scripts inside BPMN diagrams.

Deploying a diagram is deploying code, and SpiffWorkflow's default evaluator is plain eval(): a
condition like ``__import__('os').system(...)`` would run. Here every expression is compiled with
RestrictedPython (no imports, no names or attributes beginning with ``_``) and run with a small
allow-list of builtins plus the procedure's date helpers. Nothing here reads the clock or anything
outside the task data, so replaying an instance takes the same path every time.
"""
from datetime import date, timedelta
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import guarded_iter_unpack_sequence, safer_getattr


class ExpressionError(ValueError):
    """An expression or script was refused or failed; the message is for the process designer."""


def _parse_iso(value) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ExpressionError(f"不是有效的日期: {value!r}") from exc


def span_days(start, end) -> int:
    """Days from start to end counting both ends: 2020-03-01..2020-03-07 is 7."""
    return (_parse_iso(end) - _parse_iso(start)).days + 1


def add_years(value, years: int) -> str:
    """The ISO date ``years`` after ``value`` (29 February falls back to 28 February)."""
    d = _parse_iso(value)
    try:
        return d.replace(year=d.year + int(years)).isoformat()
    except ValueError:
        return (d.replace(day=28, year=d.year + int(years))).isoformat()


def add_days(value, days: int) -> str:
    """The ISO date ``days`` after ``value``."""
    return (_parse_iso(value) + timedelta(days=int(days))).isoformat()


# The helper functions a diagram may call; a designer sees exactly these names.
HELPERS = {"span_days": span_days, "add_years": add_years, "add_days": add_days}

_BUILTINS = {name: obj for name, obj in {
    "len": len, "bool": bool, "str": str, "int": int, "float": float, "min": min, "max": max,
    "abs": abs, "round": round, "sorted": sorted, "any": any, "all": all, "sum": sum,
    "list": list, "dict": dict, "tuple": tuple, "set": set, "range": range,
    "True": True, "False": False, "None": None,
}.items()}

# Names a diagram expression may call: task data holds no functions, so any other called name is refused.
CALLABLE_NAMES = frozenset(name for name, obj in {**_BUILTINS, **HELPERS}.items() if callable(obj))


def _guarded_write(obj):
    # Scripts may assign into the plain containers of task data, never into other objects.
    if isinstance(obj, (dict, list)):
        return obj
    raise ExpressionError("脚本只能修改字典或列表")


def _globals() -> dict:
    return {
        "__builtins__": _BUILTINS,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_write_": _guarded_write,
        **HELPERS,
    }


@lru_cache(maxsize=2048)
def compile_expression(expression: str):
    """Compile a condition; raises ExpressionError naming the problem."""
    result = compile_restricted_eval(expression)
    if result.errors or result.code is None:
        raise ExpressionError("；".join(result.errors) or "表达式无法编译")
    return result.code


@lru_cache(maxsize=512)
def compile_script(script: str):
    """Compile a script task's body; raises ExpressionError naming the problem."""
    result = compile_restricted_exec(script)
    if result.errors or result.code is None:
        raise ExpressionError("；".join(result.errors) or "脚本无法编译")
    return result.code


def evaluate(expression: str, context: dict):
    """Evaluate a condition against task data."""
    namespace = _globals()
    namespace.update(context)
    return eval(compile_expression(expression), namespace)  # noqa: S307 - restricted bytecode


def execute(script: str, context: dict) -> None:
    """Run a script against task data; new and changed variables are written back to ``context``."""
    reserved = _globals()
    clash = set(reserved).intersection(context)
    if clash:
        raise ExpressionError(f"任务数据中的变量与内置函数同名: {sorted(clash)}")
    namespace = dict(reserved)
    namespace.update(context)
    exec(compile_script(script), namespace)  # noqa: S102 - restricted bytecode
    for key in list(context):
        if key not in namespace:
            del context[key]
    for key, value in namespace.items():
        if key in reserved or key.startswith("_") or callable(value):
            continue
        context[key] = value
