"""The step forms: registry, validators (R01, R17–R19, R22), attachments, codec and samples."""
import io
import json
from datetime import date

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import DateField, FieldList, SelectChoice

import forms
from forms.codec import flat_errors, from_data, from_json, schema, to_data, to_formdata
from forms.fields import AttachmentField, store_uploads
from forms.samples import FAKE_HASH, sample_data
from forms.validators import birth_date_from_id, id_number_error, sex_from_id

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PDF = b"%PDF-1.4\n" + b"\x00" * 32
OTHER_HASH = "a" * 64


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False, TESTING=True)
    return app


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def application(payload_changes=None, **kwargs):
    """Step 1 built from a JSON payload (the sample, changed), with the placeholder branch offered."""
    payload = {**sample_data("step01_application"), **(payload_changes or {})}
    form = from_json(forms.get_form_class("step01_application"), payload, **kwargs)
    form.org_id.choices = [(0, "示例支部")]
    return form


def upload(content: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=filename, content_type="image/png")


# --- registry ---------------------------------------------------------------------------------------------


def test_registry_has_the_diagram_keys_in_order():
    keys = list(forms.FORMS)
    assert len(keys) == 27
    assert keys[0] == "step01_application" and keys[24] == "step25_archive" and keys[25] == "review"
    assert keys[26] == "realname"  # bpmn/realname.bpmn's entry task


@pytest.mark.parametrize("key", list(forms.FORMS))
def test_every_form_instantiates_with_title_and_sections(ctx, key):
    form = forms.get_form_class(key)()
    assert form.title
    names = [name for _, section in form.sections for name in section]
    data_fields = [f.short_name for f in form if f.type not in ("CSRFTokenField", "SubmitField")]
    assert sorted(names) == sorted(data_fields), "each field is in exactly one section"
    assert form.context == {}


def test_unknown_form_key_is_a_clear_key_error():
    with pytest.raises(KeyError, match="step99_nothing"):
        forms.get_form_class("step99_nothing")


@pytest.mark.parametrize(
    ("key", "names"),
    [
        ("step01_application", ["apply_date"]),
        ("step03_activist", ["double_recommend_date", "league_recommend_date", "activist_date"]),
        ("step07_candidate", ["candidate_date"]),
        ("step15_admission_meeting", ["meeting_date", "publicity_start", "publicity_end"]),
        ("step17_committee_approval", ["approval_date", "publicity_start", "publicity_end"]),
        ("step23_full_membership_meeting", ["meeting_date", "publicity_start", "publicity_end"]),
        ("step24_full_membership_approval", ["approval_date"]),
        ("step04_activist_publicity", ["publicity_start", "publicity_end"]),
        ("step08_candidate_publicity", ["publicity_start", "publicity_end"]),
    ],
)
def test_dates_the_diagram_reads_are_date_fields(ctx, key, names):
    form = forms.get_form_class(key)()
    for name in names:
        assert isinstance(form[name], DateField), name


def test_repeating_groups_the_diagram_counts_exist(ctx):
    training = forms.get_form_class("step06_activist_training")()
    assert isinstance(training.contact_opinions, FieldList)
    assert isinstance(training.branch_opinions, FieldList)
    sessions = forms.get_form_class("step11_training")().sessions
    assert "hours" in sessions.entries[0].form


# --- R17: ID numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["360426199101010071", "120103198806018241", "34052419800101001X"])
def test_valid_id_numbers(number):
    assert id_number_error(number) is None


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("360426199101010072", "校验码不正确"),
        ("36042619910101007", "应为18位"),
        ("36042619911301007A", "应为18位"),
        ("360426199113010071", "出生日期无效"),
    ],
)
def test_invalid_id_numbers(number, message):
    assert message in id_number_error(number)


def test_birth_and_sex_come_from_the_id_number():
    assert birth_date_from_id("120103198806018241") == date(1988, 6, 1)
    assert sex_from_id("120103198806018241") == "女"
    assert sex_from_id("360426199101010071") == "男"
    assert birth_date_from_id("360426199101010072") is None


def test_lower_case_x_is_accepted_and_stored_upper_case(ctx):
    form = application(
        {"id_number": "34052419800101001x", "birth_date": "1980-01-01", "sex": "男", "apply_date": "2020-01-02"}
    )
    assert form.validate(), flat_errors(form)
    assert to_data(form)["id_number"] == "34052419800101001X"


def test_wrong_check_character_is_refused(ctx):
    form = application({"id_number": "360426199101010072"})
    assert not form.validate()
    assert form.id_number.errors == ["公民身份证号码校验码不正确，请核对"]


def test_birth_date_and_sex_must_agree_with_the_id_number(ctx):
    form = application({"birth_date": "1991-01-02", "sex": "女"})
    assert not form.validate()
    assert form.birth_date.errors == ["出生日期与公民身份证号码不一致（应为1991-01-01）"]
    assert form.sex.errors == ["性别与公民身份证号码不一致（应为男）"]
    assert not form.id_number.errors


# --- R01, R18, R19 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("apply_date", "adult"), [("2008-12-31", False), ("2009-01-01", True)])
def test_applicant_is_at_least_18_on_the_application_date(ctx, apply_date, adult):
    form = application({"apply_date": apply_date})
    assert form.validate() is adult
    if not adult:
        assert form.id_number.errors == ["须在申请入党日期年满18周岁"]


def test_taken_id_number_is_refused_through_the_context_hook(ctx):
    seen = []

    def taken(number):
        seen.append(number)
        return True

    form = application(context={"id_number_taken": taken})
    assert not form.validate()
    assert form.id_number.errors == ["该公民身份证号码已存在于系统中"]
    assert seen == ["360426199101010071"]


def test_receiving_organisation_must_be_a_branch(ctx):
    form = application(context={"org_level": lambda org_id: "committee"})
    assert not form.validate()
    assert form.org_id.errors == ["接受申请党组织须选定到党支部"]
    assert application(context={"org_level": lambda org_id: "branch"}).validate()


def test_hooks_absent_means_checks_skipped(ctx):
    assert application().validate()


def test_context_can_be_set_after_construction(ctx):
    form = application()
    form.context["id_number_taken"] = lambda number: True
    assert not form.validate()


def test_org_id_choices_may_be_select_choices(ctx):
    form = application({"org_id": 12})
    form.org_id.choices = [SelectChoice(12, "中共示例村支部委员会")]
    assert form.validate(), flat_errors(form)
    assert to_data(form)["org_id"] == 12


def test_org_id_must_be_one_of_the_offered_branches(ctx):
    form = application({"org_id": 7})
    assert not form.validate()
    assert form.org_id.errors == ["请从列表中选择"]


@pytest.mark.parametrize(("phone", "valid"), [("13800138000", True), ("1380013800", False), ("23800138000", False)])
def test_phone_is_an_11_digit_mobile_number(ctx, phone, valid):
    form = application({"phone": phone})
    assert form.validate() is valid
    if not valid:
        assert form.phone.errors == ["请填写11位手机号码"]


# --- dates and counts inside one form ------------------------------------------------------------------------


def test_publicity_end_before_start_is_refused_on_the_end_field(ctx):
    payload = {**sample_data("step04_activist_publicity"), "publicity_end": "2020-02-28"}
    form = from_json(forms.get_form_class("step04_activist_publicity"), payload)
    assert not form.validate()
    assert form.publicity_end.errors == ["公示结束日期不能早于公示开始日期"]
    assert not form.publicity_start.errors


def test_publicity_form_does_not_enforce_the_seven_days(ctx):
    payload = {**sample_data("step08_candidate_publicity"), "publicity_end": "2021-03-20"}
    assert from_json(forms.get_form_class("step08_candidate_publicity"), payload).validate()


def test_branch_meeting_comes_after_its_publicity(ctx):
    cls = forms.get_form_class("step15_admission_meeting")
    form = from_json(cls, {**sample_data("step15_admission_meeting"), "meeting_date": "2021-05-06"})
    assert not form.validate()
    assert form.meeting_date.errors == ["支部大会时间不能早于公示结束日期"]


def test_unreadable_date_gets_a_chinese_format_message(ctx):
    form = application({"apply_date": "2020/13/01"})
    assert not form.validate()
    assert form.apply_date.errors == ["日期格式应为“年-月-日”，如 2020-01-02"]


def test_exactly_two_introducers(ctx):
    cls = forms.get_form_class("step09_introducers")
    payload = sample_data("step09_introducers")
    assert from_json(cls, payload).validate()
    one = from_json(cls, {"introducers": payload["introducers"][:1]})
    assert not one.validate()
    assert flat_errors(one)["introducers"] == ["请至少填写2条入党介绍人"]
    assert flat_errors(one)["introducers-1-source"] == ["请选择党员来源"]
    three = from_json(cls, {"introducers": payload["introducers"] * 2})
    assert not three.validate()
    assert "入党介绍人最多填写2条" in flat_errors(three)["introducers"]


def test_votes_cannot_exceed_those_present(ctx):
    cls = forms.get_form_class("step15_admission_meeting")
    form = from_json(cls, {**sample_data("step15_admission_meeting"), "votes_for": 19})
    assert not form.validate()
    assert form.votes_for.errors == ["赞成票数不能多于实到会有表决权的正式党员人数"]


@pytest.mark.parametrize(
    ("conclusion", "months", "message"),
    [
        ("延长预备期", None, "会议结论为延长预备期时，请填写延长预备期（月）"),
        ("延长预备期", 13, "预备期最多延长12个月"),
        ("按期转正", 6, "只有会议结论为延长预备期时才填写延长预备期（月）"),
        ("延长预备期", 6, None),
    ],
)
def test_extension_of_probation_needs_its_months(ctx, conclusion, months, message):
    cls = forms.get_form_class("step23_full_membership_meeting")
    form = from_json(
        cls, {**sample_data("step23_full_membership_meeting"), "conclusion": conclusion, "extension_months": months}
    )
    assert form.validate() is (message is None)
    if message:
        assert message in form.extension_months.errors


# --- R22: attachments ----------------------------------------------------------------------------------------


def scans_form(app, files, hashes=()):
    """Step 22 posted as multipart from a browser, with new files and hashes of stored ones."""
    data = MultiDict([("application_date", "2022-04-20")])
    for digest in hashes:
        data.add("application_scans", digest)
    for content, filename in files:
        data.add("application_scans", (io.BytesIO(content), filename))
    ctx = app.test_request_context(method="POST", data=data, content_type="multipart/form-data")
    ctx.push()
    return forms.get_form_class("step22_full_membership_application")(), ctx


@pytest.mark.parametrize(("content", "filename"), [(PNG, "a.png"), (JPEG, "b.jpg"), (PDF, "c.pdf"), (PNG, "d.txt")])
def test_images_and_pdf_are_accepted_by_content(app, content, filename):
    form, ctx = scans_form(app, [(content, filename)])
    try:
        assert form.validate(), flat_errors(form)
        assert [u.filename for u in form.application_scans.uploads] == [filename]
        assert form.application_scans.uploads[0].stream.read() == content, "the stream is rewound"
    finally:
        ctx.pop()


def test_text_renamed_png_is_refused_naming_the_file(app):
    form, ctx = scans_form(app, [(b"just some text", "letter.png")])
    try:
        assert not form.validate()
        assert form.application_scans.errors == ["文件“letter.png”不是 JPEG、PNG 或 PDF 格式"]
    finally:
        ctx.pop()


def test_file_over_5_mb_is_refused(app):
    big = PNG + b"\x00" * (5 * 1024 * 1024)
    form, ctx = scans_form(app, [(big, "big.png")])
    try:
        assert not form.validate()
        assert form.application_scans.errors == ["文件“big.png”超过5 MB"]
    finally:
        ctx.pop()


def test_required_attachments_count_stored_and_new_files(app):
    form, ctx = scans_form(app, [], hashes=[FAKE_HASH, "not-a-hash"])
    try:
        assert form.validate(), flat_errors(form)
        assert form.application_scans.data == [FAKE_HASH]
    finally:
        ctx.pop()
    form, ctx = scans_form(app, [])
    try:
        assert not form.validate()
        assert form.application_scans.errors == ["请上传转正申请书扫描件"]
    finally:
        ctx.pop()


def test_store_uploads_records_the_hashes(app):
    form, ctx = scans_form(app, [(PNG, "a.png")], hashes=[FAKE_HASH])
    try:
        assert form.validate()
        stored = store_uploads(form, lambda storage: OTHER_HASH)
        assert stored == [OTHER_HASH]
        assert to_data(form)["application_scans"] == [FAKE_HASH, OTHER_HASH]
        assert form.application_scans.uploads == []
    finally:
        ctx.pop()


def test_attachment_widget_renders_file_input_and_stored_hashes(ctx):
    form = from_data(forms.get_form_class("step22_full_membership_application"), {"application_scans": [FAKE_HASH]})
    html = str(form.application_scans())
    assert 'type="file"' in html and "multiple" in html
    assert 'accept="image/jpeg,image/png,application/pdf"' in html
    assert f'type="hidden" value="{FAKE_HASH}"' in html
    assert "required" not in html, "a stored file already satisfies the minimum"


def test_attachments_inside_repeating_rows_are_checked(app):
    data = MultiDict(
        [
            ("contact_opinions-0-opinion", "表现良好"),
            ("contact_opinions-0-start_date", "2020-03-12"),
            ("contact_opinions-0-end_date", "2020-09-11"),
            ("contact_opinions-0-scans", (io.BytesIO(b"plain"), "scan.jpg")),
            ("education_periods-0-start_date", "2020-03-12"),
            ("education_periods-0-end_date", "2021-03-11"),
        ]
    )
    with app.test_request_context(method="POST", data=data, content_type="multipart/form-data"):
        form = forms.get_form_class("step06_activist_training")()
        assert not form.validate()
        assert flat_errors(form) == {"contact_opinions-0-scans": ["文件“scan.jpg”不是 JPEG、PNG 或 PDF 格式"]}


# --- codec ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(forms.FORMS))
def test_sample_data_is_valid(ctx, key):
    form = from_json(forms.get_form_class(key), sample_data(key))
    if key in ("step01_application", "realname"):
        form.org_id.choices = [(0, "示例支部")]
    assert form.validate(), flat_errors(form)


@pytest.mark.parametrize("key", list(forms.FORMS))
def test_codec_round_trip(ctx, key):
    cls = forms.get_form_class(key)
    data = sample_data(key)
    assert to_data(from_data(cls, data)) == data
    assert to_data(from_json(cls, data)) == data
    json.dumps(data)


def test_form_rebuilt_from_stored_data_validates_like_a_post(ctx):
    cls = forms.get_form_class("step11_training")
    assert from_data(cls, sample_data("step11_training")).validate()
    assert not from_data(cls, {"sessions": [{"hours": 8}]}).validate()


def test_dates_are_zero_padded_iso_strings(ctx):
    data = to_data(from_json(forms.get_form_class("step02_talk"), {"talker": "李四", "talk_date": "2020-1-2"}))
    assert data["talk_date"] == "2020-01-02"


def test_from_data_reads_only_field_names(ctx):
    cls = forms.get_form_class("step05_contacts")
    rows = [{**row, "prefix": "x", "formdata": "y", "meta": {}} for row in sample_data("step05_contacts")["contacts"]]
    data = to_data(from_data(cls, {"contacts": rows, "__class__": "z", "csrf_token": "t"}))
    assert set(data) == {"contacts"}
    assert set(data["contacts"][0]) == {"source", "member", "name", "position", "join_date", "education", "since_date",
                                         "remarks"}


def test_from_json_uses_html_field_names(ctx):
    formdata = to_formdata(forms.get_form_class("step06_activist_training"), sample_data("step06_activist_training"))
    assert formdata["contact_opinions-0-opinion"] == "该同志学习认真，表现良好。"
    assert formdata.getlist("contact_opinions-1-scans") == [FAKE_HASH]


def test_from_json_reports_field_errors_in_chinese(ctx):
    cls = forms.get_form_class("step11_training")
    payload = {"sessions": [{"start_date": "2021-04-12", "end_date": "2021-04-10", "content": "党章", "hours": 0}]}
    form = from_json(cls, payload)
    assert not form.validate()
    assert flat_errors(form) == {
        "sessions-0-end_date": ["培训结束时间不能早于培训开始时间"],
        "sessions-0-hours": ["培训学时不能小于1"],
        "proofs": ["请上传发展对象接收培训证明材料"],
    }


def test_from_json_with_nothing_asks_for_the_required_fields(ctx):
    form = from_json(forms.get_form_class("step02_talk"), {"talker": ["not", "a", "string"]})
    assert not form.validate()
    assert flat_errors(form) == {"talker": ["请填写谈话人"], "talk_date": ["请填写谈话时间"]}


# --- schema --------------------------------------------------------------------------------------------------


def test_schema_describes_fields_and_repeating_groups():
    described = {entry["name"]: entry for entry in schema(forms.get_form_class("step09_introducers"))}
    group = described["introducers"]
    assert group["type"] == "group" and group["min_rows"] == 2 and group["max_rows"] == 2
    assert [f["name"] for f in group["fields"]] == ["source", "member", "name", "position", "join_date",
                                                    "since_date"]
    assert group["fields"][4] == {
        "name": "join_date",
        "label": "入党日期",
        "type": "date",
        "required": False,  # typed for a member of another organisation, copied from the roster otherwise
        "format": "YYYY-MM-DD",
    }


def test_schema_of_step01():
    entries = schema(forms.get_form_class("step01_application"))
    described = {entry["name"]: entry for entry in entries}
    assert [e["name"] for e in entries][:3] == ["name", "id_number", "sex"], "in the order of the sections"
    assert described["sex"]["choices"] == [{"value": "男", "label": "男"}, {"value": "女", "label": "女"}]
    assert described["org_id"]["type"] == "select" and described["org_id"]["choices"] == []
    assert described["application_scans"]["type"] == "attachments" and described["application_scans"]["required"]
    assert described["background"]["type"] == "text"
    assert described["phone"]["section"] == "入党申请人基本信息"


@pytest.mark.parametrize("key", list(forms.FORMS))
def test_every_schema_is_json(key):
    json.dumps(schema(forms.get_form_class(key)), ensure_ascii=False)


def test_attachment_field_is_what_step_scans_use(ctx):
    form = forms.get_form_class("step25_archive")()
    assert isinstance(form.volunteer_form_scans, AttachmentField)


def test_pages_show_beijing_time():
    from datetime import datetime

    from app.timeutil import local
    assert local(datetime(2026, 1, 31, 17, 30)) == "2026-02-01 01:30"
    assert local(None) == ""
