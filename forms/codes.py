"""Code lists offered by the forms, as WTForms (value, label) choices.

A value is the national-standard code where domain-rules.md gives one (民族, GB/T 3304); everywhere else the
Chinese term itself is the value, so stored records and event payloads read without a lookup table.
Values are what gets stored: never renumber or rename one, add new entries instead.
"""

SEX = [("男", "男"), ("女", "女")]

_ETHNIC_NAMES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 "
    "傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 "
    "仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
    "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
).split()
ETHNICITY = [(f"{i:02d}", name) for i, name in enumerate(_ETHNIC_NAMES, start=1)] + [
    ("97", "其他"),
    ("98", "外国血统中国籍人士"),
]

EDUCATION = [
    (label, label)
    for label in (
        "研究生(博士)",
        "研究生(硕士)",
        "大学本科",
        "大学专科",
        "中等专科",
        "职业高中",
        "技工学校",
        "普通高中",
        "初中",
        "小学",
        "其他",
    )
]

# The party statistics' 工作岗位 tree; only leaves are selectable, so a parent's name prefixes its children.
_JOB_TREE = {
    "公有制单位": (
        "党政机关工作人员",
        "事业单位管理人员",
        "事业单位专业技术人员",
        "企业管理人员",
        "企业专业技术人员",
        "工勤技能人员",
    ),
    "非公有制单位": (
        "企业管理人员",
        "企业专业技术人员",
        "民办非企业单位管理人员",
        "民办非企业单位专业技术人员",
        "工勤技能人员",
    ),
    "农牧渔民": (),
    "军人武警": (),
    "学生": (),
    "离退休人员": (),
    "其他": (),
}
JOB = [
    (path, path)
    for parent, children in _JOB_TREE.items()
    for path in ([f"{parent}/{child}" for child in children] or [parent])
]

PUBLICITY_RESULT = [("通过", "通过"), ("不通过", "不通过")]

# Decisions the diagram's outcome gateways read (R25, R26, R28); the way on is listed first.
POLITICAL_REVIEW_RESULT = [("合格", "合格"), ("不合格", "不合格")]
PREREVIEW_RESULT = [("同意", "同意"), ("不同意", "不同意")]
APPROVAL_RESULT = [("批准", "批准"), ("不批准", "不批准")]

CATEGORY = [(c, c) for c in ("入党申请人", "入党积极分子", "发展对象", "预备党员", "正式党员")]

REVIEW_METHOD = [(m, m) for m in ("函调", "外调", "座谈", "查阅档案", "其他")]

# 培养联系人 come either from the branch's own members (picked in the system) or from a former branch (typed in).
CONTACT_SOURCE = [("本支部", "本支部党员"), ("原支部", "原支部党员")]

# The three outcomes art. 33 of the 细则 allows for a probationary member's branch meeting.
CONVERSION_CONCLUSION = [(c, c) for c in ("按期转正", "延长预备期", "取消预备党员资格")]

PARTY_STATUS = [(s, s) for s in ("正常", "停止党籍", "失去联系")]

JOIN_TYPE = [(t, t) for t in ("共青团员发展", "非共青团员发展")]


def label_of(choices, value):
    """The label shown for ``value`` in ``choices``, or the value itself when it is not listed."""
    return dict(choices).get(value, value)
