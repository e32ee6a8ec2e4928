"""The person_field projection follows the process: saves, submissions, approvals, move-back, rebuild."""
import sqlalchemy as sa

from app.extensions import db
from app.people.fields import form_values
from app.people.models import Person, PersonField
from app.timeutil import local_today
from app.workflow import services, simulate


def rows(person_id) -> dict:
    return {f: (t, d) for f, t, d in db.session.execute(
        sa.select(PersonField.field, PersonField.value_text, PersonField.value_date)
        .where(PersonField.person_id == person_id))}


def test_projection_follows_actions_and_rebuilds(app, demo):
    users = demo.users
    actors = {"branch_admin": users["branch1:branch_admin"], "committee_admin": users["committee1:committee_admin"]}
    person = simulate.add_applicant(users["branch1:branch_admin"], demo.orgs["branch1"], 1, name="赵一")
    got = rows(person.id)
    assert got["step01.name"] == ("赵一", None) and got["step01.ethnicity"] == ("01", None)
    assert got["step01.apply_date"][1].isoformat() == "2020-01-02"
    assert got["step01._date"] == (None, local_today())
    assert "step01.application_scans" not in got and "step01.org_id" not in got  # files, runtime choices
    simulate.advance(person, actors, until_step=10)
    got = rows(person.id)
    assert got["step03.native_place"][0] == "籍贯（示例）" and got["step03._date"][1] == local_today()
    assert got["step09.introducers.name"][0]  # a repeating group's column, rows joined
    assert "step10._date" not in got

    # A draft (保存) is projected too, without a done date.
    ctx = services.load(db.session.get(Person, person.id))
    task = next(t for t in ctx.ready if t.step == 10)
    data = simulate.sample(task.form_key, simulate.stored_sample_file(users["branch1:branch_admin"]))
    services.act(users["branch1:branch_admin"], ctx, task.id, "save", data)
    db.session.commit()
    got = rows(person.id)
    assert any(k.startswith("step10.") for k in got) and "step10._date" not in got
    # A second visit replaces the step's rows (the first one only inserted them): a changed value, then the
    # submit's done date, with no row left over or doubled.
    # A free-text field, not the 政审结论 beside it: a changed decision would choose another path.
    text_field, name = "step10.conclusion", "conclusion"
    assert got[text_field][0]
    ctx = services.load(db.session.get(Person, person.id))
    task = next(t for t in ctx.ready if t.step == 10)
    services.act(users["branch1:branch_admin"], ctx, task.id, "submit", {**data, name: "改后的值"})
    db.session.commit()
    got = rows(person.id)
    assert got[text_field] == ("改后的值", None) and got["step10._date"] == (None, local_today())

    # Rebuilding from the engine state and the events gives the same rows.
    before = rows(person.id)
    db.session.execute(sa.delete(PersonField).where(PersonField.person_id == person.id))
    services.reproject_fields(services.load(db.session.get(Person, person.id)))
    db.session.commit()
    assert rows(person.id) == before

    # 调整为积极分子: steps after the reopened one leave the projection.
    ctx = services.load(db.session.get(Person, person.id))
    county = users["county_admin"]
    reopened = services.move_back(county, ctx, "activist", "测试", [simulate.stored_sample_file(county)])
    db.session.commit()
    got = rows(person.id)
    assert f"step{reopened.step:02d}._date" not in got
    assert not any(k >= f"step{reopened.step + 1:02d}" for k in got)
    assert "step01.name" in got
    # The rewound task no longer holds the step's own values, so neither does the projection: it is what a
    # rebuild from the engine state gives.
    db.session.execute(sa.delete(PersonField).where(PersonField.person_id == person.id))
    services.reproject_fields(services.load(db.session.get(Person, person.id)))
    db.session.commit()
    assert rows(person.id) == got
    # The steps after the reopened one are visited again: their rows come back, the reopened step's replaced.
    simulate.advance(db.session.get(Person, person.id), actors, until_step=reopened.step + 2)
    got = rows(person.id)
    assert got[f"step{reopened.step:02d}._date"] == (None, local_today())
    assert got[f"step{reopened.step + 1:02d}._date"] == (None, local_today())


def test_form_values_types():
    values = form_values("step01_application", "step01", {
        "name": "  张三 ", "birth_date": "1990-01-02", "phone": "", "org_id": 5, "application_scans": ["a" * 64],
        "ethnicity": "03", "bogus": "x"})
    assert values["step01.name"] == ("  张三 ", None)
    assert values["step01.birth_date"][1].isoformat() == "1990-01-02"
    assert "step01.phone" not in values and "step01.org_id" not in values and "step01.bogus" not in values
    assert values["step01.ethnicity"] == ("03", None)


def test_cli_reproject_people_rebuilds_every_person(app, demo):
    users = demo.users
    a = simulate.add_applicant(users["branch1:branch_admin"], demo.orgs["branch1"], 1, name="钱一")
    b = simulate.add_applicant(users["branch3:branch_admin"], demo.orgs["branch3"], 2, name="钱二")
    before = {a.id: rows(a.id), b.id: rows(b.id)}
    db.session.execute(sa.delete(PersonField))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["reproject-people"])
    assert result.exit_code == 0 and "已重建 2 人" in result.output
    assert {a.id: rows(a.id), b.id: rows(b.id)} == before
