"""Projection rows written directly, for tests of read-only queries (statistics, logic checks).

These tests count what the person projection and check facts hold; that the procedure writes those rows
is tested through the real services elsewhere (test_checks.py drives persons through the steps).
"""
from datetime import date

from app.checks.models import CheckFact
from app.extensions import db
from app.people.models import Person
from app.workflow.simulate import make_id_number

_FACT_FIELDS = set(CheckFact.__table__.columns.keys()) - {"person_id"}
_seq = iter(range(1, 10_000))


def add_person(org, *, fact: dict | None = None, **fields) -> Person:
    """A person row under ``org`` (a branch) with sensible defaults, and its check facts if given."""
    seq = next(_seq)
    birth = fields.get("birth_date", date(1991, 1, 1))
    values = {
        "name": f"测试{seq}", "sex": "男", "education": "大学本科", "job": "", "category": "入党申请人",
        "stage": 1, "current_step": 1, "status": "active", "apply_date": date(2020, 1, 2),
        "id_number": make_id_number(seq, birth.strftime("%Y%m%d") if birth else "19910101"),
        "birth_date": birth,
    }
    values.update(fields)
    person = Person(org_id=org.id, org_path=org.path, **values)
    db.session.add(person)
    db.session.flush()
    if fact is not None:
        unknown = set(fact) - _FACT_FIELDS
        assert not unknown, f"not check_fact columns: {unknown}"
        db.session.add(CheckFact(person_id=person.id, **{"id_issue": "", **fact}))
        db.session.flush()
    return person
