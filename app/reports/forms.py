"""The filter of the statistics page (a GET form: nothing changes, so no CSRF token)."""
from datetime import date

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import ValidationError

from forms.base import TRANSLATIONS
from forms.fields import date_field


class StatsFilterForm(FlaskForm):
    """View, organisation, and the date range of 新发展党员 (default: this year up to today)."""

    class Meta:
        csrf = False

        def get_translations(self, form):
            return TRANSLATIONS

    view = SelectField("统计类别", validate_choice=False, default="all")
    org = SelectField("党组织", validate_choice=False, coerce=str, default="")
    start = date_field("开始日期", past_only=False)
    end = date_field("结束日期", past_only=False)

    def validate_end(self, field):
        """The range must not end before it starts."""
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("结束日期不能早于开始日期")

    def date_range(self, today: date) -> tuple[date, date]:
        """The range asked for, with this year's first day and today filling what is left blank."""
        return self.start.data or date(today.year, 1, 1), self.end.data or today
