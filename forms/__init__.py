"""The forms of the development process's user tasks, by the key the BPMN diagram names them with.

A user task carries its form key (for example ``step07_candidate``); each key is a module of this package
holding ``FORM_KEY`` and exactly one StepForm subclass.
"""
from forms import (
    realname,
    review,
    step01_application,
    step02_talk,
    step03_activist,
    step04_activist_publicity,
    step05_contacts,
    step06_activist_training,
    step07_candidate,
    step08_candidate_publicity,
    step09_introducers,
    step10_political_review,
    step11_training,
    step12_branch_committee_review,
    step13_committee_prereview,
    step14_application_form,
    step15_admission_meeting,
    step16_talk,
    step17_committee_approval,
    step18_filing,
    step19_assignment,
    step20_oath,
    step21_probation_education,
    step22_full_membership_application,
    step23_full_membership_meeting,
    step24_full_membership_approval,
    step25_archive,
)
from forms.base import StepForm

_MODULES = (
    step01_application,
    step02_talk,
    step03_activist,
    step04_activist_publicity,
    step05_contacts,
    step06_activist_training,
    step07_candidate,
    step08_candidate_publicity,
    step09_introducers,
    step10_political_review,
    step11_training,
    step12_branch_committee_review,
    step13_committee_prereview,
    step14_application_form,
    step15_admission_meeting,
    step16_talk,
    step17_committee_approval,
    step18_filing,
    step19_assignment,
    step20_oath,
    step21_probation_education,
    step22_full_membership_application,
    step23_full_membership_meeting,
    step24_full_membership_approval,
    step25_archive,
    review,
    realname,
)


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
