"""Forms of the designer pages (the modeler posts its XML with the page's CSRF token)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length


class UploadForm(FlaskForm):
    file = FileField("流程图文件（.bpmn）", validators=[DataRequired("请选择要上传的 .bpmn 文件")])
    # Empty: take the process id from the file (a new process).
    process_id = SelectField("作为哪个流程的新版本", validate_choice=False)
    comment = TextAreaField("修改说明", validators=[Length(max=2000, message="说明不能超过2000字")])


class SaveForm(FlaskForm):
    xml = TextAreaField("流程图", validators=[DataRequired("流程图为空")])
    comment = TextAreaField("修改说明", validators=[Length(max=2000, message="说明不能超过2000字")])
