"""A step form's plain field rows (label, control, messages) as HTML, for the step page.

WTForms builds every label and control from its attributes on each call (sorting, cleaning and escaping
them); on the step page that was most of the cost of a GET. What a control looks like apart from its value
depends only on the field's declaration (id, name, flags, render_kw, widget), the same for every person, so
each worker renders it once with a placeholder value and afterwards inserts the escaped value. The output is
what ``field()`` gives: the cached halves come from WTForms' own widget. Widgets whose markup depends on the
value in other ways (select options, files, rows) are rendered by WTForms on each call.
"""
from markupsafe import Markup, escape
from wtforms.widgets import DateInput, HiddenInput, NumberInput, TextArea, TextInput

# Widgets that print the value once, escaped, and nothing else that depends on it.
_VALUE_ONCE = (TextInput, DateInput, NumberInput, TextArea, HiddenInput)
# Fields the page shows in their own way (file lists, repeating rows, hidden inputs): the _form.html macro.
_NOT_PLAIN = frozenset({"AttachmentField", "FieldList", "RepeatingField", "CSRFTokenField", "HiddenField"})
_PLACEHOLDER = "\x00value\x00"
# Bounded: keys are field declarations, so a worker sees a few hundred; a bound keeps a bug from growing it.
_LIMIT = 4096
_CONTROLS: dict = {}
_LABELS: dict = {}


class _Placeholder:
    """The field as its widget sees it, with the placeholder for a value."""

    def __init__(self, field):
        self._field = field

    def __getattr__(self, name):
        return getattr(self._field, name)

    def _value(self):
        return _PLACEHOLDER


def _hashable(mapping) -> tuple | None:
    items = tuple(sorted((mapping or {}).items()))
    if any(callable(v) for _, v in items):
        return None  # e.g. a date bound computed per call: no fixed markup
    try:
        hash(items)
    except TypeError:
        return None
    return items


def _control_key(field, extra: dict):
    if type(field.widget) not in _VALUE_ONCE:
        return None
    # The widget's own settings (a NumberInput's min, step…) by value: two widgets alike render alike.
    widget, flags, render_kw = _hashable(vars(field.widget)), _hashable(vars(field.flags)), _hashable(field.render_kw)
    if widget is None or flags is None or render_kw is None:
        return None
    fmt = getattr(field, "format", None)
    return (type(field.widget), widget, field.id, field.name, flags, render_kw, tuple(extra.items()),
            tuple(fmt) if isinstance(fmt, list) else fmt, getattr(field, "_datalist", None))


def control(field, **extra) -> Markup:
    """``field(**extra)``: the field's control, its fixed markup built once per declaration."""
    key = _control_key(field, extra)
    value = field._value() if key is not None else None
    if not isinstance(value, str):
        return field(**extra)
    halves = _CONTROLS.get(key)
    if halves is None:
        html = str(field.meta.render_field(_Placeholder(field), extra))
        if html.count(_PLACEHOLDER) != 1:
            return field(**extra)
        halves = tuple(html.split(_PLACEHOLDER))
        if len(_CONTROLS) < _LIMIT:
            _CONTROLS[key] = halves
    return Markup(halves[0] + str(escape(value)) + halves[1])


def label(field) -> Markup:
    """``field.label``'s markup (``<label for=…>text</label>``), built once per id and text."""
    text = field.label.text
    key = (field.label.field_id, text, type(text))
    html = _LABELS.get(key)
    if html is None:
        html = field.label()
        if len(_LABELS) < _LIMIT:
            _LABELS[key] = html
    return html


def field_row(field) -> Markup | None:
    """A plain field's row: label, control (a date picker for dates), and its messages; None for a field the
    page shows in its own way (files, repeating rows, hidden inputs), which the template's macro renders."""
    if field.type in _NOT_PLAIN:
        return None
    classes = "field" + (" has-error" if field.errors else "") + (" required" if field.flags.required else "")
    widget = control(field, type="date") if field.type == "DateField" else control(field)
    name = escape(field.name)
    errors = "".join(f'<div class="error" data-field="{name}">{escape(e)}</div>' for e in field.errors)
    return Markup(f'<div class="{classes}">\n{label(field)}\n{widget}\n{errors}</div>')
