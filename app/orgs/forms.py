"""Forms of the organisation pages."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _name_field():
    # 120 is the width of organisation.name.
    return StringField("组织名称", filters=[_strip], validators=[
        DataRequired("请填写组织名称"), Length(max=120, message="组织名称不能超过120个字")])


class CreateOrgForm(FlaskForm):
    name = _name_field()
    # Choices are set per parent; the level rule itself is checked by the service, so that a
    # forged value gets the same Chinese message as any other broken rule.
    level = SelectField("组织层级", validate_choice=False, validators=[DataRequired("请选择组织层级")])


class RenameOrgForm(FlaskForm):
    name = _name_field()


class MoveOrgForm(FlaskForm):
    # Choices list the valid targets; scope and tree rules are checked again by the service.
    parent_id = SelectField("新的上级组织", validate_choice=False,
                            validators=[DataRequired("请选择新的上级组织")])


def target_choices(targets, base_depth: int) -> list[tuple[str, str]]:
    """Select options for move targets, indented by depth below ``base_depth`` so the tree shows."""
    return [("", "请选择")] + [
        (str(o.id), "　" * max(o.depth - base_depth, 0) + f"{o.name}（{o.level_label}）") for o in targets]
