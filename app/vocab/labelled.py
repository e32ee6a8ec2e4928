"""LabelledEnum: a str enum whose members carry the Chinese label shown to users."""
from enum import Enum


class LabelledEnum(str, Enum):
    """Members are declared ``NAME = ("stored value", "中文标签")``; a member equals its stored value,
    so it can be written to a column or compared with one as it is."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __str__(self) -> str:
        return self.value

    @classmethod
    def label_of(cls, value: str | None) -> str:
        """The label of a stored value; an undeclared value (an old row) is shown as stored."""
        try:
            return cls(value).label
        except ValueError:
            return value or ""

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Stored value → label, for templates and the API."""
        return {member.value: member.label for member in cls}

    @classmethod
    def require(cls, value, what: str):
        """``value`` if it is declared here; a ValueError naming ``what`` otherwise (a programming error)."""
        try:
            cls(value)
        except ValueError:
            raise ValueError(f"undeclared {what} {value!r}: declare it in app/vocab/") from None
        return value

    @classmethod
    def values(cls) -> frozenset[str]:
        """Every declared stored value."""
        return frozenset(member.value for member in cls)
