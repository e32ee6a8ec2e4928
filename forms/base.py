"""Base classes of the step forms and of their repeating rows."""
import wtforms
from flask_wtf import FlaskForm
from wtforms.i18n import get_translations

# WTForms' built-in messages the users meet most often, worded like ours; the rest come from WTForms' zh catalogue.
_MESSAGES = {
    "This field is required.": "此项为必填项",
    "Not a valid date value.": "日期格式应为“年-月-日”，如 2020-01-02",
    "Not a valid integer value.": "请填写整数",
    "Not a valid choice.": "请从列表中选择",
    "Invalid Choice: could not coerce.": "请从列表中选择",
}


class _ChineseTranslations:
    """Translations object for WTForms' Meta: works without Flask-Babel and outside a request."""

    def __init__(self):
        self._catalogue = get_translations(["zh"])

    def gettext(self, string):
        return _MESSAGES.get(string) or self._catalogue.gettext(string)

    def ngettext(self, singular, plural, n):
        return self._catalogue.ngettext(singular, plural, n)


TRANSLATIONS = _ChineseTranslations()


class StepForm(FlaskForm):
    """A user task's form: fields, a title, and the sections a page renders them in.

    ``context`` carries checks that need the database (for example ``id_number_taken``), set by the app before
    ``validate()``; a check whose hook is absent is skipped, so forms never import the app.
    """

    title: str = ""
    sections: list[tuple[str, list[str]]] = []
    # What the form's values feed outside the process, {form field: fact}, so that projections and checks
    # find their values by form and never by step. A fact is a person column the person row mirrors
    # (app.people.projection.PERSON_COLUMNS) or a logic-check fact (app.checks.projection.CHECK_FACTS).
    feeds: dict[str, str] = {}
    # Where a task with this form keeps its data when the diagram's task declares no ``dataKey``
    # (versions deployed before tasks carried one; their instances store the data under this key).
    data_key: str = ""
    # The member-registry event (app/registry) the completion of this step publishes, if any:
    # "probationary" (预备党员) or "full_member" (转正).
    registry_event: str | None = None

    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS

    def __init__(self, *args, context: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.context = dict(context or {})


class SubForm(wtforms.Form):
    """One row of a repeating group; no CSRF token of its own, the enclosing StepForm has one."""

    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS
