"""WTForms validators for the step forms, with Chinese messages.

Only rules about the input of one form live here (formats, ranges inside one form, R01, R17, R22). Rules that
decide where the procedure goes (R04, R05, R07, R08 …) belong to the BPMN diagram.

Required/Optional judge ``field.data`` rather than the raw request input (unlike WTForms' own), so a form
rebuilt from stored data by ``forms.codec.from_data`` validates exactly like one posted from a browser.
"""
import re
import unicodedata
from datetime import date

from wtforms.validators import StopValidation, ValidationError

from app.timeutil import local_today

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
ACCEPTED_TYPES = ("image/jpeg", "image/png", "application/pdf")
# Content sniffing: a browser's filename and mimetype are whatever the client says.
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# The years a record of this system can speak of; outside them a date is a typing error (or an attack:
# 9999-12-31 plus a probation year overflows in the diagram's date arithmetic).
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def _is_blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict)):
        return not value or all(_is_blank(v) for v in (value.values() if isinstance(value, dict) else value))
    return False


def _typed_but_unreadable(field) -> bool:
    """True when the user typed something the field could not parse (its own message says more than ours)."""
    raw = field.raw_data or []
    return bool(field.process_errors) and any(isinstance(v, str) and v.strip() for v in raw)


def _label(form, name: str) -> str:
    return form[name].label.text


class Required:
    """The field must have a value; 0 counts as a value (counts of votes, placeholder ids)."""

    def __init__(self, message: str | None = None):
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form, field):
        if not _is_blank(field.data):
            return
        if _typed_but_unreadable(field):
            raise StopValidation()
        field.errors[:] = []
        raise StopValidation(self.message or f"请填写{field.label.text}")


class RequiredToSubmit(Required):
    """Required when the step is submitted; a draft (保存) may leave it empty, e.g. a 公示结果 that is only known
    once the publicity has ended while the notice is already on the 党务公开 board. The view puts the action
    into ``form.context`` before validating."""

    def __call__(self, form, field):
        if _is_blank(field.data) and getattr(form, "context", {}).get("action") == "save":
            field.errors[:] = []
            raise StopValidation()
        super().__call__(form, field)


class NotAfterTodayWhen:
    """The date is not after today once ``other_field`` holds a value (the end of a period that has a result)."""

    def __init__(self, other_field: str, message: str):
        self.other_field = other_field
        self.message = message

    def __call__(self, form, field):
        if isinstance(field.data, date) and not _is_blank(form[self.other_field].data) \
                and field.data > local_today():
            raise ValidationError(self.message)


class Optional:
    """An empty field is fine and skips the remaining validators; unreadable input keeps its error."""

    field_flags = {"optional": True}

    def __call__(self, form, field):
        if not _is_blank(field.data):
            return
        if not _typed_but_unreadable(field):
            field.errors[:] = []
        raise StopValidation()


def ascii_digits(value):
    """NFKC-normalise ``value`` and write every decimal digit (fullwidth, Arabic-Indic, …) as ASCII.

    ``１１０…`` and ``١١٠…`` are the same number as ``110…`` to a reader, so they must be the same number to
    the format checks and to uniqueness (R18) too.
    """
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFKC", value)
    return "".join(str(unicodedata.decimal(ch)) if not ch.isascii() and ch.isdecimal() else ch for ch in text)


def normalize_id_number(value):
    """Filter: ASCII digits, no blanks, the check character X upper-case, as GB 11643 writes it."""
    return ascii_digits(value).strip().upper() if isinstance(value, str) else value


def normalize_phone(value):
    """Filter: ASCII digits and no surrounding blanks."""
    return ascii_digits(value).strip() if isinstance(value, str) else value


def date_in_bounds(value: date) -> bool:
    """True for a day between EARLIEST_DATE and LATEST_DATE (1900–2100)."""
    return EARLIEST_DATE <= value <= LATEST_DATE


class DateBounds:
    """A date lies in 1900–2100 and, for the day something happened (``past_only``), not after today in China
    (Beijing time, whatever the server's zone)."""

    def __init__(self, past_only: bool = True):
        self.past_only = past_only

    def __call__(self, form, field):
        if not isinstance(field.data, date):
            return
        if not date_in_bounds(field.data):
            raise ValidationError(f"{field.label.text}应在{EARLIEST_DATE.year}年至{LATEST_DATE.year}年之间")
        if self.past_only and field.data > local_today():
            raise ValidationError(f"{field.label.text}不能晚于今天")


def _id_birth_date(number: str) -> date | None:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    return born if born.year >= 1900 else None


def id_number_error(value) -> str | None:
    """Why ``value`` is not a valid 公民身份号码 (R17), or None when it is valid."""
    number = normalize_id_number(value or "")
    if not _ID_SHAPE.fullmatch(number):
        return "公民身份证号码应为18位：17位数字加1位校验码（数字或X）"
    if _id_birth_date(number) is None:
        return "公民身份证号码中的出生日期无效"
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    if _ID_CHECK_CHARS[total % 11] != number[17]:
        return "公民身份证号码校验码不正确，请核对"
    return None


def birth_date_from_id(value) -> date | None:
    """Birth date encoded in a valid ID number, or None when the number is invalid."""
    if id_number_error(value):
        return None
    return _id_birth_date(normalize_id_number(value))


def sex_from_id(value) -> str | None:
    """'男' or '女' from the 17th digit of a valid ID number (odd = 男), or None when the number is invalid."""
    if id_number_error(value):
        return None
    return "男" if int(normalize_id_number(value)[16]) % 2 else "女"


def age_on(born: date, on: date) -> int:
    """Completed years of age on a date."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class IdNumber:
    """R17: a valid 18-character 公民身份号码; a lower-case x is accepted and stored upper-case."""

    def __call__(self, form, field):
        if _is_blank(field.data):
            return
        field.data = normalize_id_number(field.data)
        message = id_number_error(field.data)
        if message:
            raise ValidationError(message)


class BirthDateMatchesId:
    """R17: a birth date field agrees with the ID number in ``id_field`` (skipped while that is invalid)."""

    def __init__(self, id_field: str = "id_number"):
        self.id_field = id_field

    def __call__(self, form, field):
        expected = birth_date_from_id(form[self.id_field].data)
        if expected and field.data and field.data != expected:
            raise ValidationError(
                f"{field.label.text}与{_label(form, self.id_field)}不一致（应为{expected.isoformat()}）"
            )


class SexMatchesId:
    """R17: a sex field agrees with the 17th digit of the ID number in ``id_field``."""

    def __init__(self, id_field: str = "id_number"):
        self.id_field = id_field

    def __call__(self, form, field):
        expected = sex_from_id(form[self.id_field].data)
        if expected and field.data and field.data != expected:
            raise ValidationError(f"{field.label.text}与{_label(form, self.id_field)}不一致（应为{expected}）")


class AdultOn:
    """R01: the person is at least 18 on the date in ``date_field``.

    Put it on the field that gives the birth: a date field, or an ID number field (age from the number).
    """

    def __init__(self, date_field: str, years: int = 18, message: str | None = None):
        self.date_field = date_field
        self.years = years
        self.message = message

    def __call__(self, form, field):
        born = field.data if isinstance(field.data, date) else birth_date_from_id(field.data)
        on = form[self.date_field].data
        if born and isinstance(on, date) and age_on(born, on) < self.years:
            raise ValidationError(
                self.message or f"须在{_label(form, self.date_field)}年满{self.years}周岁"
            )


class DateAfter:
    """The field's date is not before the date in ``other_field`` (an end after its start)."""

    def __init__(self, other_field: str, message: str | None = None):
        self.other_field = other_field
        self.message = message

    def __call__(self, form, field):
        start = form[self.other_field].data
        if isinstance(start, date) and isinstance(field.data, date) and field.data < start:
            raise ValidationError(
                self.message or f"{field.label.text}不能早于{_label(form, self.other_field)}"
            )


class AtMost:
    """The field's number is not greater than the number in ``other_field`` (present ≤ entitled)."""

    def __init__(self, other_field: str, message: str | None = None):
        self.other_field = other_field
        self.message = message

    def __call__(self, form, field):
        limit = form[self.other_field].data
        if isinstance(limit, int) and isinstance(field.data, int) and field.data > limit:
            raise ValidationError(
                self.message or f"{field.label.text}不能多于{_label(form, self.other_field)}"
            )


class Phone:
    """An 11-digit mainland mobile number."""

    def __init__(self, message: str | None = None):
        self.message = message

    def __call__(self, form, field):
        if _is_blank(field.data):
            return
        field.data = normalize_phone(field.data)
        if not _MOBILE.fullmatch(field.data):
            raise ValidationError(self.message or "请填写11位手机号码")


class MinRows:
    """A FieldList has at least ``n`` filled rows (blank rows padded in for display do not count)."""

    def __init__(self, n: int, message: str | None = None):
        self.n = n
        self.message = message

    def __call__(self, form, field):
        filled = sum(1 for entry in field.entries if not _is_blank(entry.data))
        if filled < self.n:
            raise ValidationError(self.message or f"请至少填写{self.n}条{field.label.text}")


class MaxRows:
    """A FieldList has at most ``n`` rows."""

    def __init__(self, n: int, message: str | None = None):
        self.n = n
        self.message = message

    def __call__(self, form, field):
        if len(field.entries) > self.n:
            raise ValidationError(self.message or f"{field.label.text}最多填写{self.n}条")


def sniff_type(head: bytes) -> str | None:
    """The accepted media type whose signature starts ``head``, or None."""
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    return None


def upload_error(storage, max_bytes: int = MAX_UPLOAD_BYTES) -> str | None:
    """R22: why an uploaded werkzeug FileStorage is refused (message names the file), or None.

    Reads the stream to judge it, then rewinds it so the caller can store the same bytes.
    """
    name = (storage.filename or "未命名文件").replace("\\", "/").rsplit("/", 1)[-1]
    content = storage.stream.read(max_bytes + 1)
    storage.stream.seek(0)
    if len(content) > max_bytes:
        return f"文件“{name}”超过{max_bytes // (1024 * 1024)} MB"
    if sniff_type(content[:8]) is None:
        return f"文件“{name}”不是 JPEG、PNG 或 PDF 格式"
    return None
