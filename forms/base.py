"""Base classes of the step forms and of their repeating rows."""
import wtforms
from flask_wtf import FlaskForm
from wtforms.i18n import get_translations
from wtforms.validators import ValidationError

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
    # Fields that start from the latest value recorded under the same name by an earlier step of the record
    # (the manual's 发展对象 and 预备党员 pages repeat the 积极分子's data); once the step saves its own, that wins.
    carried: tuple[str, ...] = ()
    # Fields computed from another field, {field: (source field, function)}: shown read-only, filled from the
    # source when posted empty, and refused by their own validators when a posted value disagrees.
    derived: dict = {}
    # Values the page shows read-only above the form, as the manual's page does, (label, person column): data
    # the record already holds (姓名, procedure dates…), never asked again. "org" is the person's branch.
    shown: tuple[tuple[str, str], ...] = ()
    # Select fields whose choices are organisations of a level under the person's branch, {field: level}.
    org_choices: dict[str, str] = {}
    # Repeating fields whose rows pick a member of the branch's 党员名册 ({field: role}; forms/members.py).
    roster_picks: dict[str, str] = {}

    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS

    def __init__(self, *args, context: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.context = dict(context or {})
        for name, (source, derive) in self.derived.items():
            # The page shows them read-only and fills them as the source is typed (static/js/app.js).
            self[name].render_kw = {**(self[name].render_kw or {}), "readonly": True, "class": "derived",
                                    "data-derive": derive.__name__, "data-derive-from": source}

    def rule_error(self, rule: str, message: str) -> ValidationError:
        """A field error raised by a rule of the procedure (``R18``…): the API's 422 names the rule."""
        self.context.setdefault("refused_by", rule)
        return ValidationError(message)

    def validate(self, extra_validators=None):
        """Fill derived fields left empty from their source, then validate as usual."""
        for name, (source, derive) in self.derived.items():
            field = self[name]
            if field.data in (None, "") and (value := derive(self[source].data)) is not None:
                field.data = value
                field.process_errors = []
        return super().validate(extra_validators)


class SubForm(wtforms.Form):
    """One row of a repeating group; no CSRF token of its own, the enclosing StepForm has one."""

    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS
