"""The 实名认证申请 form lives in the forms registry (key ``realname``), as the diagram's task names it."""
from forms.realname import RealnameForm

__all__ = ["RealnameForm"]
