"""The diagram owns the procedure: no Python outside forms/ and bpmn/ names a step number or a ``stepNN`` key.

Projections, checks and pages find a step by its form key and the task properties the diagram declares
(``formKey``, ``dataKey``, ``step`` as an ordinal to sort and address by), so a designer who renumbers,
re-forms or inserts a step does not silently break them. This scans app/ and bench/ for the ways code
has pinned a step before:

- an identifier or string spelling a step key or form key (``step01``, ``"step07_candidate"``,
  ``STEP1_COPIES``, ``from forms.step01_application import ...``), comments included;
- a key built from a step number (``f"step{n:02d}"``);
- a step compared with, or passed as, a literal number (``current_step == 2``, ``step_no == 1``,
  ``P.current_step <= 17``, ``until_step=16``);
- user-facing text naming a step by number (``"第1步"``).

Prose in docstrings and comments may cite the 细则's numbering ("step 11's sessions"); it pins nothing.
"""
import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("app", "bench")
SKIPPED = ("app/static/vendor",)

STEP_KEY = re.compile(r"step_?\d", re.IGNORECASE)          # step01, step_01, step1, STEP1_…
STEP_KEY_IN_TEXT = re.compile(r"\bstep_?\d\d", re.IGNORECASE)
CHINESE_STEP_NO = re.compile(r"第\s*\d+\s*步")
KEY_PREFIX = re.compile(r"step_?$", re.IGNORECASE)


def _python_files():
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not rel.startswith(SKIPPED):
                yield rel, path


def _template_files():
    for path in sorted((ROOT / "app").rglob("*")):
        rel = path.relative_to(ROOT).as_posix()
        if path.suffix in (".html", ".js") and not rel.startswith(SKIPPED):
            yield rel, path


def _name_of(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_number(node) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _docstrings(tree) -> set[int]:
    """ids of the string constants that are docstrings."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def violations(source: str) -> list[tuple[int, str]]:
    """(line, what) for every place in ``source`` that pins a step by number."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        names = []
        if isinstance(node, (ast.Name, ast.Attribute)):
            names.append(_name_of(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.arg):
            names.append(node.arg)
        elif isinstance(node, ast.keyword) and node.arg:
            names.append(node.arg)
            if "step" in node.arg.lower() and _is_number(node.value):
                found.append((line, f"step passed as a number: {node.arg}={node.value.value}"))
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [alias.name for alias in node.names] + [alias.asname or "" for alias in node.names]
        found += [(line, f"identifier names a step: {n}") for n in names if STEP_KEY.search(n)]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if STEP_KEY_IN_TEXT.search(node.value):
                found.append((line, f"string names a step key: {node.value[:60]!r}"))
            if id(node) not in docstrings and CHINESE_STEP_NO.search(node.value):
                found.append((line, f"text names a step number: {node.value[:60]!r}"))
        if isinstance(node, ast.JoinedStr):
            parts = node.values
            for before, after in zip(parts, parts[1:]):
                if isinstance(before, ast.Constant) and isinstance(after, ast.FormattedValue) \
                        and KEY_PREFIX.search(str(before.value)):
                    found.append((line, "a step key built from a number (f\"step{…}\")"))
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any("step" in _name_of(s).lower() for s in sides) and any(_is_number(s) for s in sides):
                found.append((line, "a step compared with a literal number"))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and STEP_KEY_IN_TEXT.search(token.string):
            found.append((token.start[0], f"comment names a step key: {token.string[:60]!r}"))
    return sorted(set(found))


@pytest.mark.parametrize("source, expected", [
    ('key = f"step{n:02d}"', "built from a number"),
    ('waiting = P.current_step == 2', "compared with a literal"),
    ('if step_no == 1:\n    pass', "compared with a literal"),
    ('x = P.current_step <= 17', "compared with a literal"),
    ('simulate.advance(p, a, until_step=16)', "passed as a number"),
    ('FIELDS = {"step01": {"name": "name"}}', "string names a step key"),
    ('form = form_for("step01_application")', "string names a step key"),
    ('STEP1_COPIES = {}', "identifier names a step"),
    ('from forms.step01_application import ApplicationForm', "identifier names a step"),
    ('flash("已转入发展流程第2步骤")', "text names a step number"),
    ('x = 1  # see step07.candidate_date', "comment names a step key"),
], ids=["fstring", "compare", "step_no", "le", "keyword", "dict-key", "form-key", "name", "import", "chinese",
        "comment"])
def test_the_scan_catches_each_way_of_pinning_a_step(source, expected):
    assert any(expected in what for _, what in violations(source)), violations(source)


@pytest.mark.parametrize("source", [
    'step = step_def(version_id, step_no)',
    'rows = sorted(ready, key=lambda t: (t.step, t.is_review))',
    'if s.step > target.step:\n    pass',
    'mark_step_done(person.id, step.data_key, day)',
    'def f():\n    """(distinct days, total hours) of step 11\'s training sessions."""',
    'url = url_for("workflow.step", person_id=1, step=view.step.step)',
    'title = f"{step.step}. {step.title}"',
])
def test_the_scan_leaves_ordinals_from_the_diagram_alone(source):
    assert violations(source) == []


def test_no_python_outside_forms_and_bpmn_names_a_step_number():
    found = [f"{rel}:{line}: {what}" for rel, path in _python_files()
             for line, what in violations(path.read_text(encoding="utf-8"))]
    assert found == [], "\n".join(found)


def test_no_template_or_script_names_a_step_key():
    found = [f"{rel}:{n}: {line.strip()[:80]}" for rel, path in _template_files()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if STEP_KEY_IN_TEXT.search(line) or CHINESE_STEP_NO.search(line)]
    assert found == [], "\n".join(found)
