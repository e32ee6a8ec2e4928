"""The actions of a process instance: the ``action`` of every event in an instance's chain."""
from app.vocab.labelled import LabelledEnum


class Action(LabelledEnum):
    """What an event did to its instance (development, 接续培养, 实名认证, 归国恢复)."""
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
    WITHDRAW = ("withdraw", "撤回申请")
    # A request whose subject moved on (调整申请 after the person's process left the state it was asked in).
    LAPSE = ("lapse", "申请失效")
    SUSPEND = ("suspend", "暂停发展")
    RESUME = ("resume", "归国恢复")
    # 数据导入 (onboarding): a person already in the pipeline elsewhere, started and walked to its step at once.
    IMPORT = ("import", "导入")
    # Outcomes the diagram decided (R24–R30): recorded right after the action whose decision chose them.
    STOP = ("stop", "停止发展")
    SEND_BACK = ("send_back", "退回支部委员会审查")
    EXTEND_PROBATION = ("extend_probation", "延长预备期")
    DISQUALIFY = ("disqualify", "取消预备党员资格")



ACTION_LABELS = Action.labels()
