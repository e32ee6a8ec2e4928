"""Step 1 递交入党申请书 (manual §2.3.5)."""
from wtforms import SelectField, StringField

from forms.base import StepForm
from forms.codes import EDUCATION, ETHNICITY, SEX
from forms.fields import attachment_field, date_field, select_field, text_field, textarea_field
from forms.validators import (AdultOn, BirthDateMatchesId, IdNumber, Phone, Required, SexMatchesId,
                              birth_date_from_id, normalize_id_number, sex_from_id)

FORM_KEY = "step01_application"


class ApplicationForm(StepForm):
    """The applicant's basic data and the scanned letter of application.

    Context hooks: ``id_number_taken(id_number) -> bool`` (R18; the app excludes the person being edited) and
    ``org_level(org_id) -> str | None`` (R19). The app sets ``org_id.choices`` to the branches in scope.
    """

    title = "递交入党申请书"
    data_key = "step01"
    feeds = {"name": "name", "id_number": "id_number", "sex": "sex", "ethnicity": "ethnicity",
             "birth_date": "birth_date", "education": "education", "phone": "phone", "apply_date": "apply_date",
             "job": "job"}
    # R17: 性别 and 出生日期 are read from the ID number (shown read-only; a posted value that disagrees is refused).
    derived = {"sex": ("id_number", sex_from_id), "birth_date": ("id_number", birth_date_from_id)}
    sections = [
        (
            "入党申请人基本信息",
            ["name", "id_number", "sex", "ethnicity", "birth_date", "education", "apply_date", "phone",
             "background", "org_id"],
        ),
        ("入党申请书", ["application_scans"]),
    ]

    name = text_field("姓名", required=True, max_length=50)
    id_number = StringField(
        "公民身份证号码",
        [Required("请填写公民身份证号码"), IdNumber(), AdultOn("apply_date")],
        filters=[normalize_id_number],
    )
    sex = select_field("性别", SEX, required=True, validators=[SexMatchesId()])
    ethnicity = select_field("民族", ETHNICITY, required=True)
    birth_date = date_field("出生日期", required=True, validators=[BirthDateMatchesId()])
    education = select_field("学历", EDUCATION, required=True)
    apply_date = date_field("申请入党日期", required=True)
    phone = text_field("手机号码", required=True, max_length=11, validators=[Phone()])
    background = textarea_field("背景信息", required=True, max_length=500)
    org_id = SelectField("接受申请党组织", [Required("请选择接受申请党组织")], coerce=int, choices=[])
    application_scans = attachment_field("入党申请书扫描件", min_count=1)

    def validate_id_number(self, field):
        """R18: an ID number appears once among the persons in the system."""
        taken = self.context.get("id_number_taken")
        if taken and not field.errors and taken(field.data):
            raise self.rule_error("R18", "该公民身份证号码已存在于系统中")

    def validate_org_id(self, field):
        """R19: an application is received by a 党支部, not by a committee above it."""
        level_of = self.context.get("org_level")
        if level_of and not field.errors and level_of(field.data) != "branch":
            raise self.rule_error("R19", "接受申请党组织须选定到党支部")
