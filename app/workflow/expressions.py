"""A restricted evaluator for the Python expressions and scripts inside BPMN diagrams.

Deploying a diagram is deploying code, and SpiffWorkflow's default evaluator is plain eval(): a
condition like ``__import__('os').system(...)`` would run. Here every expression is compiled with
RestrictedPython (no imports, no names or attributes beginning with ``_``) and run with a small
allow-list of builtins plus the procedure's date helpers. Nothing here reads the clock or anything
outside the task data, so replaying an instance takes the same path every time.

What one expression may compute is bounded, so a condition like ``sum(range(10**11)) < 0`` cannot hold a
worker: ``range`` refuses more than MAX_SIZE elements, ``*``, ``**``, ``<<`` and ``%`` (rewritten at compile
time into guard calls) refuse results beyond MAX_SIZE items or MAX_INT_BITS bits, so do the string methods
that pad, replace or join, the ranges and repetitions of
one evaluation together stay under MAX_TOTAL items, and a line budget (MAX_STEPS lines or MAX_SECONDS,
counted by a trace function only while the expression runs) stops loops. Breaking a bound raises
ExpressionLimitError. Activation refuses the literal cases beforehand
(:func:`size_problems`, called by app/designer/validation.py).
"""
import ast
import contextvars
import operator
import re
import sys
import time
from calendar import monthrange
from datetime import date, timedelta
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import guarded_iter_unpack_sequence, safer_getattr
from RestrictedPython.transformer import RestrictingNodeTransformer

# Generous for the procedure's rules (dates, counts of opinions, votes and days), far below what would hold a
# worker: within these an expression finishes in milliseconds.
MAX_SIZE = 100_000
MAX_TOTAL = 10 * MAX_SIZE
MAX_INT_BITS = 4096
MAX_STEPS = 10_000
MAX_SECONDS = 1.0


class ExpressionError(ValueError):
    """An expression or script was refused or failed; the message is for the process designer."""


class ExpressionLimitError(ExpressionError):
    """An expression or script went beyond what one evaluation may compute (size, steps or time)."""


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


def add_months(value, months: int) -> str:
    """The ISO date ``months`` calendar months after ``value``; a day the target month lacks becomes its last day
    (2020-01-31 + 1 = 2020-02-29, 2020-02-29 + 12 = 2021-02-28). The 逻辑校验 SQL computes the same
    (app/checks/sqldates.py), so a gateway and a check never disagree about a date."""
    d = _parse_iso(value)
    index = d.year * 12 + d.month - 1 + int(months)
    year, month = divmod(index, 12)
    return date(year, month + 1, min(d.day, monthrange(year, month + 1)[1])).isoformat()


def add_years(value, years: int) -> str:
    """The ISO date ``years`` after ``value`` (29 February falls back to 28 February)."""
    return add_months(value, 12 * int(years))


def add_days(value, days: int) -> str:
    """The ISO date ``days`` after ``value``."""
    return (_parse_iso(value) + timedelta(days=int(days))).isoformat()


# The helper functions a diagram may call; a designer sees exactly these names.
HELPERS = {"span_days": span_days, "add_years": add_years, "add_months": add_months, "add_days": add_days}

# Variables every instance of the procedure has, with the value they hold until a script sets them, so that a
# rule reads them on an instance that started (or was migrated) before the script first ran.
# ``probation_extension_months``: R14/R31, the months a 延长预备期 outcome added to the probation (0: none).
DEFAULTS = {"probation_extension_months": 0}


class _Budget:
    """What one evaluation has spent: lines executed (counted by :meth:`trace`) and items made by ranges and
    repetitions; past a bound the expression is stopped."""

    def __init__(self):
        self.steps = 0
        self.items = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def trace(self, frame, event, arg):
        if event == "line":
            self.steps += 1
            if self.steps > MAX_STEPS or (self.steps % 100 == 0 and time.monotonic() > self.deadline):
                raise ExpressionLimitError(f"计算步数或时间超过上限（{MAX_STEPS} 步或 {MAX_SECONDS:g} 秒）")
        return self.trace

    def allot(self, items: int) -> None:
        self.items += items
        if self.items > MAX_TOTAL:
            raise ExpressionLimitError(f"一次计算生成的元素总数超过上限 {MAX_TOTAL}")


# The budget of the evaluation running in this thread (None outside one, e.g. when folding constants).
_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("expression_budget", default=None)


def _allot(items: int) -> None:
    if items > MAX_SIZE:
        raise ExpressionLimitError(f"元素个数或长度超过上限 {MAX_SIZE}")
    budget = _budget.get()
    if budget is not None:
        budget.allot(items)


def bounded_range(*args) -> range:
    """``range`` with at most MAX_SIZE elements."""
    result = range(*args)
    try:
        size = len(result)
    except OverflowError:
        size = sys.maxsize
    _allot(size)
    return result


def _mult(a, b):
    for seq, times in ((a, b), (b, a)):
        if isinstance(seq, (str, bytes, list, tuple)) and isinstance(times, int):
            _allot(len(seq) * times)
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise ExpressionLimitError("乘法结果过大")
    return a * b


def _pow(a, b):
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1 and \
            (abs(a) - 1).bit_length() * b > MAX_INT_BITS:
        raise ExpressionLimitError("乘方结果过大")
    return a ** b


def _lshift(a, b):
    if isinstance(a, int) and isinstance(b, int) and a and a.bit_length() + b > MAX_INT_BITS:
        raise ExpressionLimitError("移位结果过大")
    return a << b


class _BoundedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's checks, plus ``a * b``, ``a ** b`` and ``a << b`` compiled as guard calls."""

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        guard = _GUARDS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.copy_location(ast.Name(guard[0], ast.Load()), node),
                        args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)


def _run(run, code, namespace):
    budget = _Budget()
    token = _budget.set(budget)
    previous = sys.gettrace()
    sys.settrace(budget.trace)
    try:
        return run(code, namespace)
    except ExpressionError:
        raise
    except Exception as exc:
        # Whatever else goes wrong (a missing key, a date out of range, a type mismatch) is a fault of the
        # diagram or its data, reported as such rather than as a crash.
        raise ExpressionError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        sys.settrace(previous)
        _budget.reset(token)


def _padded(method):
    def call(width, *args):
        _allot(width if isinstance(width, int) else 0)
        return method(width, *args)
    return call


def _replace(text):
    def call(old, new, count=-1):
        hits = text.count(old) if old else len(text) + 1
        hits = hits if count is None or count < 0 else min(hits, count)
        _allot(len(text) + hits * max(len(new) - len(old), 0))
        return text.replace(old, new, count)
    return call


def _join(text):
    def call(items):
        items = list(items)
        _allot(len(text) * max(len(items) - 1, 0) + sum(map(len, items)))  # map: not a traced Python loop
        return text.join(items)
    return call


# String methods whose result can be far longer than their inputs, each checked before it runs.
_SIZING_METHODS = {"ljust": _padded, "rjust": _padded, "center": _padded, "zfill": _padded,
                   "replace": _replace, "join": _join}
_FORMAT_WIDTH = re.compile(r"%(?:\([^)]*\))?([^%a-zA-Z]*)")  # a conversion's flags, width and precision


def _getattr(obj, name, default=None):
    value = safer_getattr(obj, name, default)
    if isinstance(obj, str):
        if name == "expandtabs":
            raise ExpressionError("不允许使用 expandtabs")
        wrap = _SIZING_METHODS.get(name)
        if wrap is not None:
            return wrap(value) if wrap is _padded else wrap(obj)
    return value


def _mod(a, b):
    # "%*d" and "%1000000000d" make a string of any length from a short format.
    if isinstance(a, str):
        for spec in _FORMAT_WIDTH.findall(a):
            if "*" in spec or any(int(n) > MAX_SIZE for n in re.findall(r"\d+", spec)):
                raise ExpressionLimitError(f"格式宽度超过上限 {MAX_SIZE}")
    return a % b


# The binary operators whose result can outgrow their operands by far, and the guard each is compiled into.
_GUARDS = {ast.Mult: ("_mult_", _mult), ast.Pow: ("_pow_", _pow), ast.LShift: ("_lshift_", _lshift),
           ast.Mod: ("_mod_", _mod)}
_SIZING_OPS = (ast.Mult, ast.Pow, ast.LShift)

_BUILTINS = {name: obj for name, obj in {
    "len": len, "bool": bool, "str": str, "int": int, "float": float, "min": min, "max": max,
    "abs": abs, "round": round, "sorted": sorted, "any": any, "all": all, "sum": sum,
    "list": list, "dict": dict, "tuple": tuple, "set": set, "range": bounded_range,
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
        "_getattr_": _getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_write_": _guarded_write,
        **{name: guard for name, guard in _GUARDS.values()},
        **HELPERS,
    }


@lru_cache(maxsize=2048)
def compile_expression(expression: str):
    """Compile a condition; raises ExpressionError naming the problem."""
    result = compile_restricted_eval(expression, policy=_BoundedTransformer)
    if result.errors or result.code is None:
        raise ExpressionError("；".join(result.errors) or "表达式无法编译")
    return result.code


@lru_cache(maxsize=512)
def compile_script(script: str):
    """Compile a script task's body; raises ExpressionError naming the problem."""
    result = compile_restricted_exec(script, policy=_BoundedTransformer)
    if result.errors or result.code is None:
        raise ExpressionError("；".join(result.errors) or "脚本无法编译")
    return result.code


def evaluate(expression: str, context: dict):
    """Evaluate a condition against task data."""
    namespace = _globals()
    namespace.update(DEFAULTS)
    namespace.update(context)
    return _run(eval, compile_expression(expression), namespace)  # restricted bytecode


def execute(script: str, context: dict) -> None:
    """Run a script against task data; new and changed variables are written back to ``context``."""
    reserved = _globals()
    clash = set(reserved).intersection(context)
    if clash:
        raise ExpressionError(f"任务数据中的变量与内置函数同名: {sorted(clash)}")
    namespace = dict(reserved)
    namespace.update(DEFAULTS)
    namespace.update(context)
    _run(exec, compile_script(script), namespace)  # restricted bytecode
    for key in list(context):
        if key not in namespace:
            del context[key]
    for key, value in namespace.items():
        if key in reserved or key.startswith("_") or callable(value):
            continue
        if key in DEFAULTS and key not in context and value == DEFAULTS[key]:
            continue  # a default the script did not set stays implicit
        context[key] = value


_HUGE = object()  # a constant expression too big to compute
_FOLDABLE = {ast.Add: operator.add, ast.Sub: operator.sub, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
             ast.RShift: operator.rshift, **{op: guard for op, (_, guard) in _GUARDS.items()}}


def _fold(node):
    """The value of a constant integer expression, _HUGE if it is too big to compute, None if not constant."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _fold(node.operand)
        return -value if isinstance(value, int) and isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLDABLE:
        left, right = _fold(node.left), _fold(node.right)
        if left is None or right is None:
            return None
        if _HUGE in (left, right):
            return _HUGE
        try:
            return _FOLDABLE[type(node.op)](left, right)
        except ExpressionLimitError:
            return _HUGE
        except (ArithmeticError, ValueError):
            return None
    return None


def size_problems(code: str, mode: str) -> list[str]:
    """Why ``code`` (``mode`` "eval" or "exec") would compute something huge from its literals; [] if not.

    Refused: a constant expression too big to compute, and a constant beyond MAX_SIZE given to a call
    (``range(10**11)``, ``'a'.ljust(10**9)``) or used in ``*``, ``**`` or ``<<`` (``'a' * 10**9``).
    """
    messages = []
    for node in ast.walk(ast.parse(code, mode=mode)):
        sizing = []
        if isinstance(node, ast.BinOp):
            if _fold(node) is _HUGE:
                messages.append(f"常量表达式 {ast.unparse(node)[:60]} 的结果过大")
            if isinstance(node.op, _SIZING_OPS):
                sizing = [node.left, node.right]
        elif isinstance(node, ast.Call):
            sizing = [*node.args, *(k.value for k in node.keywords)]
        for operand in sizing:
            value = _fold(operand)
            if isinstance(value, int) and abs(value) > MAX_SIZE:
                messages.append(f"常量 {ast.unparse(operand)[:60]} 过大（用于 range、函数参数、乘法、乘方或移位时"
                                f"不得超过 {MAX_SIZE}）")
    return list(dict.fromkeys(messages))
