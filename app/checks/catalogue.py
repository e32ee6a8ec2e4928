"""The catalogue of logic checks (逻辑校验, manual §2.9) on stored records.

Each check is data: an id, the domain rule it tests (domain-rules.md), a name as the page shows it, a
severity (提醒 for a warning rule, 错误 for a hard one), the version of the rules it follows, and its
query: a function of the reference date returning the SQL condition a *failing* person meets, over
``Person`` and ``CheckFact`` (joined outer, so a missing fact is NULL and fails nothing). A new rule, or
a new version of one, is one more entry.

Checks that look at a deadline ("within a month") flag both a late date that was recorded and a date
still missing once the deadline has passed for a person who is waiting at that point; ``today`` is
passed in, so a run is reproducible.
"""
from dataclasses import dataclass
from datetime import date
from typing import Callable

import sqlalchemy as sa

from app.checks.models import CheckFact as F
from app.checks.sqldates import add_months, add_years
from app.checks.waiting import waiting_tasks
from app.people.models import Person as P
from app.workflow import expressions

WARNING, ERROR = "提醒", "错误"
SEVERITIES = (ERROR, WARNING)
RULES_2014 = "细则2014"          # 《中国共产党发展党员工作细则》 issued 2014-05-28
NO_TALK_BEFORE = date(2014, 5, 28)   # R03: applications before this date skip the talk


@dataclass(frozen=True)
class Check:
    id: str
    rule: str
    name: str
    severity: str
    rule_version: str
    condition: Callable[[date], sa.ColumnElement[bool]]
    evidence: tuple = ()        # (label, column) pairs the person list shows beside each person


def _active():
    return P.status == "active"


def _recorded(*columns):
    # Written first in an AND, so the date arithmetic after it runs only for persons who reached the
    # steps (SQL evaluates AND left to right and stops at the first false on both databases we use).
    return [column.is_not(None) for column in columns]


def months_before(day: date, months: int) -> date:
    """The same calendar day ``months`` earlier (the last day of the month where it has fewer days): the
    diagram's own arithmetic, which the SQL's ``add_months`` matches."""
    return date.fromisoformat(expressions.add_months(day, -months))


def _late_or_overdue(done, start, months: int, waiting, today: date):
    """``done`` later than ``start`` + months, or still missing after it while the person waits for it."""
    return sa.or_(sa.and_(*_recorded(done, start), done > add_months(start, months)),
                  sa.and_(done.is_(None), start.is_not(None), waiting, _active(),
                          start < months_before(today, months)))


def _waits_for(fact: str, *, or_before: bool = False):
    """The person stands at the step recording ``fact`` (or, ``or_before``, not yet past it)."""
    names = waiting_tasks(fact, or_before=or_before)
    return P.current_task.in_(names) if names else sa.false()


def _r01(today):
    born = sa.func.coalesce(F.id_birth_date, P.birth_date)
    return sa.and_(*_recorded(P.apply_date, born), P.apply_date < add_years(born, 18))


def _r02(today):
    waiting = sa.and_(_waits_for("talk_date"), P.apply_date >= NO_TALK_BEFORE)
    return _late_or_overdue(F.talk_date, P.apply_date, 1, waiting, today)


def _r08(today):
    return sa.and_(*_recorded(P.candidate_date, P.activist_date), P.candidate_date < add_years(P.activist_date, 1))


def _r11(today):
    # As the manual words its warning (§2.9): fewer than 24 学时, whatever the number of days.
    return F.training_hours < 24


def _r13(months):
    def condition(today):
        return _late_or_overdue(P.probationary_date, F.admission_meeting_date, months,
                                _waits_for("probationary_date", or_before=True), today)
    return condition


def _probation_end():
    extension = sa.case((F.conversion_conclusion == "延长预备期", sa.func.coalesce(F.extension_months, 0)),
                        else_=0)
    return add_months(F.admission_meeting_date, 12 + extension)


def _r14(today):
    decided = sa.and_(F.conversion_meeting_date.is_not(None), F.conversion_conclusion != "延长预备期")
    return sa.and_(_active(), *_recorded(P.probationary_date, F.admission_meeting_date), sa.not_(decided),
                   _probation_end() < today)


def _r14_extension(today):
    return sa.and_(F.conversion_conclusion == "延长预备期",
                   sa.or_(F.extension_months.is_(None), F.extension_months < 6, F.extension_months > 12))


def _r15(today):
    # The meeting that extended the probation is bound by the first year; any later one by 预备期满, which the
    # person row keeps with the extension (R31, person.probation_end): the fact's conclusion is overwritten by
    # the 按期转正 that follows an extension, the row's end date is not.
    first_year = add_years(F.admission_meeting_date, 1)
    end = sa.case((F.conversion_conclusion == "延长预备期", first_year),
                  else_=sa.func.coalesce(P.probation_end, first_year))
    return sa.and_(*_recorded(F.conversion_meeting_date, F.admission_meeting_date),
                   F.conversion_meeting_date < end)


def _r15_approval(today):
    waiting = sa.and_(F.conversion_conclusion == "按期转正", _waits_for("conversion_approval_date", or_before=True))
    return _late_or_overdue(F.conversion_approval_date, F.conversion_meeting_date, 3, waiting, today)


# R16: 申请 ≤ 谈话 ≤ 积极分子 ≤ 发展对象 ≤ 预审 ≤ 支部大会 ≤ 审批 ≤ 宣誓 ≤ 转正, for the dates recorded.
DATE_CHAIN = [
    ("申请入党", P.apply_date), ("谈话", F.talk_date), ("确定入党积极分子", P.activist_date),
    ("确定发展对象", P.candidate_date), ("基层党委预审", F.prereview_date),
    ("支部大会", F.admission_meeting_date), ("党委审批", P.probationary_date), ("入党宣誓", F.oath_date),
    ("转正", F.conversion_approval_date),
]


def _r16(today):
    # Each date against the nearest recorded date before it: if no such pair is out of order, the
    # recorded dates never decrease, so this equals comparing every pair, with 8 comparisons, not 36.
    dates = [column for _, column in DATE_CHAIN]
    return sa.or_(*(dates[j] < sa.func.coalesce(*reversed(dates[:j])) if j > 1 else dates[1] < dates[0]
                    for j in range(1, len(dates))))


def _r17(today):
    return F.id_issue != ""


_APPLY = ("申请入党时间", P.apply_date)
_MEETING = ("支部大会时间", F.admission_meeting_date)
_APPROVAL = ("党委审批时间", P.probationary_date)
_CONVERSION = ("转正支部大会时间", F.conversion_meeting_date)
_CONCLUSION = ("会议结论", F.conversion_conclusion)
_EXTENSION = ("延长预备期（月）", F.extension_months)

CATALOGUE: list[Check] = [
    Check("R01", "R01", "申请入党时未满18周岁", ERROR, RULES_2014, _r01,
          (("身份证出生日期", F.id_birth_date), _APPLY)),
    Check("R02", "R02", "收到入党申请后超过一个月未派人谈话", WARNING, RULES_2014, _r02, (_APPLY, ("谈话时间", F.talk_date))),
    Check("R08", "R08", "确定为发展对象时距确定为入党积极分子不满一年", ERROR, RULES_2014, _r08,
          (("确定入党积极分子时间", P.activist_date), ("确定发展对象时间", P.candidate_date))),
    Check("R11", "R11", "发展对象集中培训时间小于24学时", WARNING, RULES_2014, _r11,
          (("培训天数", F.training_days), ("培训学时", F.training_hours))),
    Check("R13", "R13", "支部大会通过后超过3个月未经党委审批", WARNING, RULES_2014, _r13(3), (_MEETING, _APPROVAL)),
    Check("R13b", "R13", "支部大会通过后超过6个月未经党委审批", ERROR, RULES_2014, _r13(6), (_MEETING, _APPROVAL)),
    Check("R14", "R14", "预备期已满未讨论转正", WARNING, RULES_2014, _r14, (_MEETING, _CONCLUSION, _EXTENSION)),
    Check("R14b", "R14", "延长预备期不在6至12个月之间", ERROR, RULES_2014, _r14_extension, (_CONCLUSION, _EXTENSION)),
    Check("R15", "R15", "转正支部大会早于预备期满", ERROR, RULES_2014, _r15,
          (_MEETING, ("预备期满", P.probation_end), _CONVERSION)),
    Check("R15b", "R15", "转正支部大会后超过3个月未经上级党委审批", WARNING, RULES_2014, _r15_approval,
          (_CONVERSION, ("上级党委审批时间", F.conversion_approval_date))),
    Check("R16", "R16", "发展流程各环节日期先后顺序颠倒", ERROR, RULES_2014, _r16, tuple(DATE_CHAIN[1:])),
    Check("R17", "R17", "公民身份证号码无效或与出生日期、性别不一致", ERROR, RULES_2014, _r17, (("问题", F.id_issue),)),
]
BY_ID = {check.id: check for check in CATALOGUE}
assert len(BY_ID) == len(CATALOGUE), "check ids must be unique"
