"""How an action of a procedure is refused: the message is for the user, ``status`` the HTTP status."""


class WorkflowError(Exception):
    """An action was refused; ``message`` is for the user, ``status`` the HTTP status that fits."""
    status = 400

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class Conflict(WorkflowError):
    """Someone else acted first (the version lock, a task no longer ready): 409 已被他人处理."""
    status = 409

    def __init__(self, message: str = "已被他人处理，请刷新后查看最新状态"):
        super().__init__(message)


class NotAllowed(WorkflowError):
    """The actor may not take this action (403); ``rule`` names the rule that reserves it (R32), if any."""
    status = 403

    def __init__(self, message: str, fields: dict | None = None, rule: str = ""):
        super().__init__(message, fields)
        self.rule = rule


class RuleViolation(WorkflowError):
    """A rule of the procedure (in the diagram, or needing the database) refused the input; ``rule`` is its id
    in the project's rule list (``R05``) when one is known; the API answers with it."""
    status = 422

    def __init__(self, fields: dict, rule: str = ""):
        super().__init__("提交的数据不符合发展党员工作规定", {k: [v] if isinstance(v, str) else list(v)
                                                          for k, v in fields.items()})
        self.rule = rule  # the rule id (domain-rules.md) that refused, when known
