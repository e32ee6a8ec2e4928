"""Between forms and plain data: what the workflow stores, what the JSON API receives, and how it is described.

The data format ("codec format") is a JSON-safe dict keyed by field name: dates as 'YYYY-MM-DD', decimals as
strings, repeating groups as lists of dicts, attachments as lists of sha256 hex digests. Only the form class's
own field names are ever read from incoming data, so a payload cannot add keys of its own choosing.
"""
import functools
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import Length, NumberRange

from forms.fields import AttachmentField, RepeatingField

DATE_FORMAT_HINT = "YYYY-MM-DD"


def blank_form(form_cls):
    """An empty instance, for looking at the bound fields; needs no request and makes no CSRF token."""
    return form_cls(formdata=None, meta={"csrf": False})


def _data_fields(form):
    return [f for f in form if not isinstance(f, (CSRFTokenField, SubmitField))]


def _row_class(field):
    """The form class of a repeating group's rows, or None for a list of plain values."""
    if isinstance(field, RepeatingField):
        return field.subform
    inner = field.unbound_field
    if issubclass(inner.field_class, FormField):
        return inner.kwargs.get("form_class") or inner.args[0]
    return None


def _kind(field) -> str:
    for field_type, kind in (
        (AttachmentField, "attachments"),
        (FieldList, "rows"),
        (FormField, "form"),
        (DateField, "date"),
        (DecimalField, "decimal"),
        (BooleanField, "boolean"),
    ):
        if isinstance(field, field_type):
            return kind
    return "value"


@functools.lru_cache(maxsize=None)
def _shape(form_cls) -> tuple:
    """(name, kind, shape of the rows or sub form) for each data field of a form class."""
    shape = []
    for field in _data_fields(blank_form(form_cls)):
        kind = _kind(field)
        sub = None
        if kind == "rows" and _row_class(field):
            sub = _shape(_row_class(field))
        elif kind == "form":
            sub = _shape(field.form_class)
        shape.append((field.short_name, kind, sub))
    return tuple(shape)


def _jsonable(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _field_data(field):
    if isinstance(field, AttachmentField):
        return list(field.data)
    if isinstance(field, FieldList):
        return [_field_data(entry) for entry in field.entries]
    if isinstance(field, FormField):
        return to_data(field.form)
    return _jsonable(field.data)


def to_data(form) -> dict:
    """The form's data in codec format (no CSRF token, no buttons); store uploads first (fields.store_uploads)."""
    return {field.short_name: _field_data(field) for field in _data_fields(form)}


def _parse(kind, sub, value):
    if kind == "attachments":
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    if kind == "rows":
        if not isinstance(value, list):
            return []
        if sub:
            return [_prepare(sub, row) for row in value if isinstance(row, dict)]
        return [_parse("value", None, row) for row in value]
    if kind == "form":
        return _prepare(sub, value) if isinstance(value, dict) else None
    if kind == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    if kind == "decimal" and isinstance(value, (str, int)):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return value if isinstance(value, (str, int, float, bool, date)) else None


def _prepare(shape, data) -> dict:
    if not isinstance(data, dict):
        return {}
    return {name: _parse(kind, sub, data[name]) for name, kind, sub in shape if name in data}


def from_data(form_cls, data: dict, **kwargs):
    """A form filled from codec-format data without request input, as a page showing stored data needs.

    Extra keyword arguments go to the form (``context=``, ``meta=``, ``prefix=``…).
    """
    return form_cls(formdata=None, data=_prepare(_shape(form_cls), data), **kwargs)


def _flatten(shape, payload, prefix: str, out: MultiDict) -> None:
    if not isinstance(payload, dict):
        return
    for name, kind, sub in shape:
        key = prefix + name
        value = payload.get(name)
        if value is None:
            continue
        if kind == "attachments":
            for digest in value if isinstance(value, list) else ():
                if isinstance(digest, str):
                    out.add(key, digest)
        elif kind == "rows":
            for index, row in enumerate(value if isinstance(value, list) else ()):
                if sub:
                    _flatten(sub, row, f"{key}-{index}-", out)
                elif isinstance(row, (str, int, float)):
                    out.add(f"{key}-{index}", str(row))
        elif kind == "form":
            _flatten(sub, value, key + "-", out)
        elif kind == "boolean":
            if value is True:
                out.add(key, "y")
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            out.add(key, str(value))


def to_formdata(form_cls, payload: dict) -> MultiDict:
    """A JSON payload as the request form a browser would post (``contact_opinions-0-opinion`` …)."""
    out = MultiDict()
    _flatten(_shape(form_cls), payload, "", out)
    return out


def from_json(form_cls, payload: dict, **kwargs):
    """A form processed from a JSON API payload exactly as from an HTML post, without CSRF (token-authenticated).

    Attachments are given as lists of hashes of files uploaded beforehand.
    """
    meta = {**kwargs.pop("meta", {}), "csrf": False}
    return form_cls(formdata=to_formdata(form_cls, payload), meta=meta, **kwargs)


def _collect_errors(field, out: dict) -> None:
    if isinstance(field, FieldList):
        own = [e for e in field.errors if isinstance(e, str)]
        if own:
            out[field.name] = own
        for entry in field.entries:
            _collect_errors(entry, out)
    elif isinstance(field, FormField):
        for sub in field.form:
            _collect_errors(sub, out)
    elif field.errors:
        out[field.name] = list(field.errors)


def flat_errors(form) -> dict[str, list[str]]:
    """Errors after ``validate()`` keyed by the field's posted name (``introducers-1-name``), for the API."""
    out: dict[str, list[str]] = {}
    for field in form:
        _collect_errors(field, out)
    if form.form_errors:
        out[""] = list(form.form_errors)
    return out


def _type_name(field) -> str:
    for field_type, name in (
        (AttachmentField, "attachments"),
        (FieldList, "group"),
        (FormField, "group"),
        (TextAreaField, "text"),
        (StringField, "string"),
        (DateField, "date"),
        (IntegerField, "integer"),
        (DecimalField, "decimal"),
        (SelectField, "select"),
        (BooleanField, "boolean"),
    ):
        if isinstance(field, field_type):
            return name
    return "string"


def _describe(field) -> dict:
    entry = {
        "name": field.short_name,
        "label": field.label.text,
        "type": _type_name(field),
        "required": bool(field.flags.required),
    }
    for check in field.validators:
        if isinstance(check, Length) and check.max != -1:
            entry["max_length"] = check.max
        if isinstance(check, NumberRange) and check.min is not None:
            entry["min"] = check.min
    if entry["type"] == "date":
        entry["format"] = DATE_FORMAT_HINT
    elif entry["type"] == "select":
        pairs = (tuple(choice)[:2] for choice in field.choices or ())
        entry["choices"] = [{"value": value, "label": str(text)} for value, text in pairs if value != ""]
    elif entry["type"] == "attachments":
        entry["min_count"] = field.min_count
    elif isinstance(field, FieldList):
        row_class = _row_class(field)
        entry["fields"] = schema(row_class) if row_class else []
        entry["min_rows"] = getattr(field, "min_rows", field.min_entries)
        entry["max_rows"] = getattr(field, "max_rows", field.max_entries)
    elif isinstance(field, FormField):
        entry["fields"] = schema(field.form_class)
    return entry


def schema(form_cls) -> list[dict]:
    """The fields of a form for the API: name, label, type, required, and per type choices, rows or limits.

    Choices set at run time (``org_id``) are listed empty. Top-level fields come in the order of the form's
    ``sections`` and name their ``section``.
    """
    order = [(title, name) for title, names in getattr(form_cls, "sections", ()) for name in names]
    section_of = dict((name, title) for title, name in order)
    position = {name: i for i, (_, name) in enumerate(order)}
    fields = sorted(_data_fields(blank_form(form_cls)), key=lambda f: position.get(f.short_name, len(position)))
    described = []
    for field in fields:
        entry = _describe(field)
        if field.short_name in section_of:
            entry["section"] = section_of[field.short_name]
        described.append(entry)
    return described
