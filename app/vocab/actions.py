"""The actions of a process instance: the ``action`` of every event in an instance's chain."""
from app.vocab.labelled import LabelledEnum


class Action(LabelledEnum):
    """What an event did to its instance (development, 接续培养, 实名认证)."""
    START = ("start", "添加")
    SAVE = ("save", "保存")
    SUBMIT = ("submit", "提交")
    REPORT = ("report", "上报")
    APPROVE = ("approve", "审核通过")
    REJECT = ("reject", "审核不通过")
    CANCEL = ("cancel", "取消发展")
    RESTORE = ("restore", "恢复发展")
    REDEVELOP = ("redevelop", "重新发展")
    MOVE_BACK = ("move_back", "调整阶段")
    MIGRATE = ("migrate", "迁移流程版本")
    AMEND = ("amend", "修改人员信息")
    CORRECT = ("correct", "更正封存数据")
    TRANSFER = ("transfer", "接续培养")



ACTION_LABELS = Action.labels()
