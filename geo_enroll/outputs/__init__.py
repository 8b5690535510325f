"""Printable outputs of a placement: admission notices (PDF) and rosters (XLSX).

Both follow the templates attached to the 太仆寺旗 2024 policy (附件3 入学通知书, 附件2 学籍导入模板).
"""

from .notices import notices_pdf
from .roster import ROSTER_COLUMNS, roster_xlsx

__all__ = ["notices_pdf", "roster_xlsx", "ROSTER_COLUMNS"]
