"""Valid sample data (codec format) for every form, for tests and benchmarks.

The dates follow one person through the procedure in order (R16), with one year between 入党积极分子 and
发展对象 (R08), publicity spans of exactly 7 days counted inclusively (R05) and a 转正 meeting after the one-year
probation (R15). Fields not listed below get a value made from their type and label.
``org_id`` of step 1 is a placeholder 0: callers replace it with a branch of their own.
"""
import copy

from wtforms import FieldList, IntegerField, SelectField

from forms import get_form_class
from forms.codec import blank_form, to_data
from forms.fields import AttachmentField

FAKE_HASH = "0" * 63 + "1"

# Fields naming a person get a name, wherever they appear.
_PEOPLE = {
    "name": "张三",
    "talker": "李四",
    "meeting_host": "王五",
    "branch_secretary": "赵六",
    "committee_secretary": "钱七",
    "attending_officer": "孙八",
    "assessor": "周九",
    "oath_host": "吴十",
}


def _publicity(start: str, end: str) -> dict:
    return {"publicity_start": start, "publicity_end": end, "publicity_result": "通过"}


def _opinions(text: str) -> list[dict]:
    return [
        {"opinion": text, "start_date": "2020-03-12", "end_date": "2020-09-11"},
        {"opinion": text, "start_date": "2020-09-12", "end_date": "2021-03-11"},
    ]


_GIVEN = {
    "step01_application": {
        "name": "张三",
        "id_number": "360426199101010071",
        "sex": "男",
        "ethnicity": "01",
        "birth_date": "1991-01-01",
        "education": "大学本科",
        "apply_date": "2020-01-02",
        "phone": "13800138000",
        "org_id": 0,
    },
    "step02_talk": {"talk_date": "2020-01-20"},
    "step03_activist": {
        "double_recommend_date": "2020-02-20",
        "league_recommend_date": "2020-02-21",
        "activist_date": "2020-02-25",
    },
    "step04_activist_publicity": {**_publicity("2020-03-01", "2020-03-07"), "filing_review_date": "2020-03-10"},
    "step05_contacts": {
        "contacts": [
            {"source": "原支部", "member": "", "name": "李四", "join_date": "2005-07-01", "since_date": "2020-03-12"},
            {"source": "原支部", "member": "", "name": "王五", "join_date": "2010-06-30", "since_date": "2020-03-12"},
        ]
    },
    "step06_activist_training": {
        "education_periods": [{"start_date": "2020-03-12", "end_date": "2021-03-11"}],
        "contact_opinions": _opinions("该同志学习认真，表现良好。"),
        "group_opinions": _opinions("党小组同意继续培养。")[1:],
        "branch_opinions": _opinions("党支部认为该同志进步明显。"),
    },
    "step07_candidate": {
        "work_start_date": "2013-07-01",
        "group_opinion_date": "2021-03-01",
        "contact_opinion_date": "2021-03-02",
        "public_opinion_date": "2021-03-05",
        "candidate_date": "2021-03-15",
    },
    "step08_candidate_publicity": {"filing_date": "2021-03-18", **_publicity("2021-03-20", "2021-03-26")},
    "step09_introducers": {
        "introducers": [
            {"source": "原支部", "member": "", "name": "李四", "join_date": "2008-07-01", "since_date": "2021-03-28"},
            {"source": "原支部", "member": "", "name": "王五", "join_date": "2012-07-01", "since_date": "2021-03-28"},
        ]
    },
    "step10_political_review": {
        "reviews": [
            {"name": "张三", "relation": "本人", "method": "查阅档案", "review_date": "2021-04-05"},
            {"name": "张大山", "relation": "父亲", "method": "函调", "review_date": "2021-04-06"},
        ],
        "review_date": "2021-04-10",
        "conclusion": "政治审查合格。",
    },
    "step11_training": {
        "sessions": [
            {"start_date": day, "end_date": day, "hours": 8}
            for day in ("2021-04-12", "2021-04-13", "2021-04-14")
        ]
    },
    "step12_branch_committee_review": {"meeting_date": "2021-04-20"},
    "step13_committee_prereview": {"review_date": "2021-04-25"},
    "step14_application_form": {"fill_date": "2021-04-28"},
    "step15_admission_meeting": {
        **_publicity("2021-05-01", "2021-05-07"),
        "meeting_date": "2021-05-10",
        "voters_total": 20,
        "voters_present": 18,
        "votes_for": 17,
    },
    "step16_talk": {"talk_date": "2021-05-20"},
    "step17_committee_approval": {
        **_publicity("2021-06-01", "2021-06-07"),
        "approval_date": "2021-06-10",
        "education": "大学本科",
        "league_date": "2008-05-04",
        "work_start_date": "2013-07-01",
        "job": "公有制单位/事业单位专业技术人员",
        "phone": "13800138000",
    },
    "step18_filing": {"filing_department": "中共示例县委组织部", "filing_date": "2021-06-15"},
    "step19_assignment": {"branch_name": "示例党支部", "group_id": "", "assign_date": "2021-06-20"},
    "step20_oath": {"oath_date": "2021-07-01"},
    "step21_probation_education": {
        "education_start": "2021-05-10",
        "education_end": "2022-05-09",
        "assessments": [{"assess_date": day} for day in ("2021-08-10", "2021-11-10", "2022-02-10", "2022-05-05")],
    },
    "step22_full_membership_application": {"application_date": "2022-04-20"},
    "step23_full_membership_meeting": {
        **_publicity("2022-05-01", "2022-05-07"),
        "meeting_date": "2022-05-12",
        "voters_total": 20,
        "voters_present": 19,
        "votes_for": 19,
        "conclusion": "按期转正",
        "extension_months": None,
    },
    "step24_full_membership_approval": {"approval_date": "2022-05-20", "conclusion": "按期转正", "extension_months": None},
    "step25_archive": {"archive_date": "2022-06-01"},
}
# 实名认证申请 is the step-1 form plus the proof scans (made up like every attachment).
_GIVEN["realname"] = dict(_GIVEN["step01_application"])

_ABSENT = object()


def _made_up(field):
    """A valid value for a field no sample lists, from its type and label."""
    if isinstance(field, AttachmentField):
        return [FAKE_HASH]
    if isinstance(field, SelectField):
        values = [tuple(choice)[0] for choice in field.choices or () if tuple(choice)[0] != ""]
        return values[0] if values else 0
    if isinstance(field, IntegerField):
        return 1
    if field.type in ("StringField", "TextAreaField"):
        return _PEOPLE.get(field.short_name, f"{field.label.text}（示例）")
    return None


def _fill(form, given: dict) -> dict:
    data = to_data(form)
    for field in form:
        name = field.short_name
        if name not in data:
            continue
        value = given.get(name, _ABSENT)
        if isinstance(field, FieldList):
            rows = value if value is not _ABSENT else [{}] * max(field.min_entries, 1)
            row_form = blank_form(field.subform)
            data[name] = [_fill(row_form, row) for row in rows]
        else:
            data[name] = value if value is not _ABSENT else _made_up(field)
    return data


def sample_data(key: str) -> dict:
    """A valid data dict in codec format for the form registered under ``key`` (a fresh copy each call)."""
    return copy.deepcopy(_fill(blank_form(get_form_class(key)), _GIVEN.get(key, {})))
