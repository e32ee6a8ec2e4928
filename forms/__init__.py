"""The forms of the development process's user tasks, by the key the BPMN diagram names them with.

A user task carries its form key (for example ``step07_candidate``); each key is a module of this package
holding ``FORM_KEY`` and exactly one StepForm subclass. Everything the application needs to know about a
step's meaning is declared here and on the form classes (``feeds``, ``data_key``), never as a step number
in Python outside forms/ and bpmn/.
"""
from importlib import import_module

from forms.base import StepForm

# The form modules of the 25 steps of the 细则 (manual §2.3.5–§2.3.29), in the procedure's order. A form for a
# step a designer adds goes in _MODULES only: these are the ones a diagram may not drop.
_REQUIRED_NAMES = (
    "step01_application", "step02_talk", "step03_activist", "step04_activist_publicity", "step05_contacts",
    "step06_activist_training", "step07_candidate", "step08_candidate_publicity", "step09_introducers",
    "step10_political_review", "step11_training", "step12_branch_committee_review", "step13_committee_prereview",
    "step14_application_form", "step15_admission_meeting", "step16_talk", "step17_committee_approval",
    "step18_filing", "step19_assignment", "step20_oath", "step21_probation_education",
    "step22_full_membership_application", "step23_full_membership_meeting", "step24_full_membership_approval",
    "step25_archive",
)
_REQUIRED_MODULES = tuple(import_module(f"forms.{name}") for name in _REQUIRED_NAMES)
_MODULES = (*_REQUIRED_MODULES, import_module("forms.review"), import_module("forms.realname"))


def _form_class(module) -> type[StepForm]:
    """The one StepForm subclass a form module defines (a module with none or two is a programming error)."""
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, StepForm) and value.__module__ == module.__name__
    ]
    if len(found) != 1 or module.FORM_KEY != module.__name__.rsplit(".", 1)[-1]:
        raise RuntimeError(f"{module.__name__}: expected FORM_KEY equal to the module name and one StepForm")
    return found[0]


FORMS: dict[str, type[StepForm]] = {module.FORM_KEY: _form_class(module) for module in _MODULES}


def get_form_class(key: str) -> type[StepForm]:
    """The form class registered under ``key``; KeyError naming the key when there is none."""
    try:
        return FORMS[key]
    except KeyError:
        raise KeyError(f"没有名为“{key}”的表单（forms/ 中没有该模块）") from None


# The form whose submission creates a person's record (添加; 实名认证 carries its data).
APPLICATION_FORM = _REQUIRED_MODULES[0].FORM_KEY

# The 25 steps of the 细则 (manual §2.3.5–§2.3.29), form key → the step's name. Activation refuses a
# diagram without a user task for each of them; a designer may add steps, relabel them and change the rules
# between them.
REQUIRED_FORMS: dict[str, str] = {module.FORM_KEY: FORMS[module.FORM_KEY].title for module in _REQUIRED_MODULES}


def feeds(key: str) -> dict[str, str]:
    """{form field: fact} the form ``key`` feeds (empty for an unknown key)."""
    form_cls = FORMS.get(key)
    return dict(form_cls.feeds) if form_cls else {}


def registry_event(key: str) -> str | None:
    """The member-registry event the completion of a step with form ``key`` publishes (None: none)."""
    form_cls = FORMS.get(key)
    return form_cls.registry_event if form_cls else None


def forms_feeding(fact: str) -> list[str]:
    """Keys of the forms that feed ``fact``, in registry order."""
    return [key for key, form_cls in FORMS.items() if fact in form_cls.feeds.values()]


def default_data_key(key: str) -> str:
    """Where a task with form ``key`` keeps its data when its diagram declares no ``dataKey`` ('' if none)."""
    form_cls = FORMS.get(key)
    return form_cls.data_key if form_cls else ""


def publicity_notice(key: str) -> str:
    """The title of the public notice (党务公开) the form ``key`` records, '' if it records none."""
    form_cls = FORMS.get(key)
    return getattr(form_cls, "publicity_notice", "") if form_cls else ""
