"""Field types of the step forms, and the constructors the step modules declare their fields with.

The constructors derive the "请填写…" message from the label, so every required field speaks the same way.
"""
import re

from markupsafe import Markup
from werkzeug.datastructures import FileStorage
from wtforms import DateField, Field, FieldList, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, StopValidation
from wtforms.widgets import html_params

from forms.validators import (ACCEPTED_TYPES, MAX_UPLOAD_BYTES, DateBounds, MaxRows, MinRows, Optional, Required,
                              sniff_type, upload_error)

HASH_PATTERN = re.compile(r"[0-9a-f]{64}")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AttachmentInput:
    """A multiple file input (one file for a portrait), plus one hidden input per already-stored file so a
    re-post keeps it.

    ``kept=False`` leaves the hidden inputs to the page's template, which shows each stored file with its own
    hidden input and a 删除 button (removing a file means dropping its hidden input).
    """

    def __call__(self, field, kept: bool = True, **kwargs):
        kwargs.setdefault("id", field.id)
        # A browser cannot pre-fill a file input, so "required" only while stored files fall short.
        if "required" not in kwargs and field.min_count > len(field.data):
            kwargs["required"] = True
        accept = ",".join(t for t in ACCEPTED_TYPES if not field.portrait or t.startswith("image/"))
        params = html_params(type="file", name=field.name, multiple=not field.portrait, accept=accept, **kwargs)
        hidden = "".join(f"<input {html_params(type='hidden', name=field.name, value=h)}>" for h in field.data) \
            if kept else ""
        return Markup(f"<input {params}>{hidden}")


class AttachmentField(Field):
    """Files of one kind (scans, minutes, photos).

    ``data`` lists sha256 hex digests of files already stored; ``uploads`` lists the FileStorage objects posted
    now, checked by content (R22) when validating. Store them with :func:`store_uploads` after ``validate()``.
    Hashes come from the client: the app must check they name files this record may reference.
    """

    widget = AttachmentInput()

    def __init__(self, label=None, validators=None, min_count: int = 0, max_bytes: int = MAX_UPLOAD_BYTES,
                 portrait: bool = False, **kwargs):
        kwargs.setdefault("default", list)
        super().__init__(label, validators, **kwargs)
        self.min_count = min_count
        self.max_bytes = max_bytes
        # A portrait (the 2寸照片) is one picture, shown as a picture wherever the record is printed or shown.
        self.portrait = portrait
        self.uploads: list[FileStorage] = []
        if min_count:
            self.flags.required = True

    @staticmethod
    def _hashes(values) -> list[str]:
        kept = []
        for value in values or ():
            value = value.strip().lower() if isinstance(value, str) else ""
            if HASH_PATTERN.fullmatch(value) and value not in kept:
                kept.append(value)
        return kept

    def process_data(self, value):
        self.data = self._hashes(value)
        self.uploads = []

    def process_formdata(self, valuelist):
        self.data = self._hashes(v for v in valuelist if isinstance(v, str))
        # A browser posts an empty, nameless file part when nothing was chosen.
        self.uploads = [v for v in valuelist if isinstance(v, FileStorage) and v.filename]

    @property
    def count(self) -> int:
        """Stored plus newly uploaded files."""
        return len(self.data) + len(self.uploads)

    def refusal(self, upload: FileStorage) -> str | None:
        """Why this field refuses an upload (R22, and a portrait must be a picture), or None."""
        message = upload_error(upload, self.max_bytes)
        if message is None and self.portrait:
            head = upload.stream.read(8)
            upload.stream.seek(0)
            if sniff_type(head) == "application/pdf":
                message = f"{self.label.text}须为JPG或PNG图片"
        return message

    def pre_validate(self, form):
        for upload in self.uploads:
            message = self.refusal(upload)
            if message:
                self.errors.append(message)
        if self.portrait and self.count > 1:
            self.errors.append(f"{self.label.text}只能上传一张，请先删除原有照片")
        if self.count < self.min_count:
            raise StopValidation(f"请上传{self.label.text}")


def iter_attachment_fields(form):
    """Every AttachmentField of a form, including those inside repeating groups."""
    for field in form:
        if isinstance(field, AttachmentField):
            yield field
        elif isinstance(field, FieldList):
            for entry in field.entries:
                yield from iter_attachment_fields([entry])
        elif isinstance(field, FormField):
            yield from iter_attachment_fields(field.form)


def store_uploads(form, save) -> list[str]:
    """Store every acceptable upload of a posted form with ``save(FileStorage) -> sha256 hex`` and record the
    hashes; uploads refused by R22 stay in ``uploads`` for ``validate()`` to name.

    Called before ``validate()``, so a file survives an error in any other field: the form shown again cites
    it by hash (hidden input) and the user does not choose it again. Afterwards each AttachmentField's
    ``data`` holds its stored files and ``forms.codec.to_data`` sees them.
    """
    stored = []
    for field in iter_attachment_fields(form):
        refused = []
        for upload in field.uploads:
            if field.refusal(upload):
                refused.append(upload)
                continue
            digest = save(upload)
            if field.portrait:
                field.data.clear()  # a new portrait replaces the old one
            if digest not in field.data:
                field.data.append(digest)
            stored.append(digest)
        field.uploads = refused
    return stored


class RepeatingField(FieldList):
    """Repeating rows of a SubForm (opinions, introducers, training sessions…), between min_rows and max_rows.

    ``min_rows`` blank rows are shown on a new page; blank rows do not count towards ``min_rows``.
    """

    def __init__(self, subform, label=None, min_rows: int = 0, max_rows: int | None = None, **kwargs):
        validators = []
        if min_rows:
            validators.append(MinRows(min_rows, f"请至少填写{min_rows}条{label}"))
        if max_rows is not None:
            validators.append(MaxRows(max_rows, f"{label}最多填写{max_rows}条"))
        super().__init__(FormField(subform, label), label, validators, min_entries=min_rows, **kwargs)
        self.subform = subform
        self.min_rows = min_rows
        self.max_rows = max_rows
        if min_rows:
            self.flags.required = True


def _presence(label: str, required: bool, verb: str = "填写"):
    return Required(f"请{verb}{label}") if required else Optional()


def text_field(label: str, required: bool = False, max_length: int = 100, validators=()):
    """A one-line text field, stripped, at most ``max_length`` characters."""
    return StringField(
        label,
        [_presence(label, required), Length(max=max_length, message=f"{label}不能超过{max_length}个字"), *validators],
        filters=[_strip],
    )


def textarea_field(label: str, required: bool = False, max_length: int = 2000, validators=()):
    """A multi-line text field (opinions, conclusions, notes)."""
    return TextAreaField(
        label,
        [_presence(label, required), Length(max=max_length, message=f"{label}不能超过{max_length}个字"), *validators],
        filters=[_strip],
    )


def date_field(label: str, required: bool = False, validators=(), past_only: bool = True):
    """A date, entered and stored as YYYY-MM-DD, in 1900–2100; by default the day something happened, so
    not after today (``past_only=False`` for a range to search in)."""
    return DateField(label, [_presence(label, required), DateBounds(past_only), *validators], format="%Y-%m-%d")


def integer_field(label: str, required: bool = False, min_value: int | None = 0, validators=()):
    """A whole number, by default not negative."""
    checks = [_presence(label, required)]
    if min_value is not None:
        checks.append(NumberRange(min=min_value, message=f"{label}不能小于{min_value}"))
    return IntegerField(label, [*checks, *validators])


def select_field(label: str, choices, required: bool = False, validators=(), presence=None):
    """A choice from a code list of ``forms.codes``; a blank first option stands for "not chosen".
    ``presence`` replaces the required/optional check (e.g. ``RequiredToSubmit``)."""
    # Plain (value, label) tuples, which WTForms 3.3 deprecates in favour of SelectChoice: callers unpack
    # ``field.choices`` as pairs; switch together with them before moving to WTForms 3.4.
    check = presence or _presence(label, required, "选择")
    return SelectField(label, [check, *validators], choices=[("", "请选择"), *choices])


def attachment_field(label: str, min_count: int = 0):
    """Uploaded files of one kind; ``min_count`` > 0 makes them required."""
    return AttachmentField(label, min_count=min_count)


def photo_field(label: str, min_count: int = 0):
    """One picture of the person (the 2寸照片): JPG or PNG, shown as a picture on pages, sheets and dossiers."""
    return AttachmentField(label, min_count=min_count, portrait=True)
