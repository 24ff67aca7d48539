"""The invitation sheet (`banli user invite`): one row per person with their one-time sign-in
link, for the office to hand out. Every cell is text, so Excel keeps ids and links as written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from banli.errors import InvalidInput
from banli.files import replacing
from banli.i18n import _

HEADERS = ("账号", "姓名", "单位", "角色", "登录链接", "有效期至")
SHEET = "登录链接"
# how the roles of the org file read to the people they are handed to
ROLE_LABELS = {
    "admin": "系统管理员", "supervisor": "督查室", "npc_office": "人大工委", "registrar": "登记员",
    "reviewer": "审核员", "unit": "承办单位", "deputy": "人大代表", "auditor": "审计", "leader": "县领导",
}
HEADER_FILL = "FFDDEBF7"
WIDTHS = (14, 12, 20, 16, 90, 18)


@dataclass(frozen=True, kw_only=True)
class InvitationRow:
    user: str
    name: str
    unit: str
    roles: tuple[str, ...]
    link: str
    valid_until: str  # local time, as people read it

    def cells(self) -> list[str]:
        roles = "、".join(ROLE_LABELS.get(role, role) for role in self.roles)
        return [self.user, self.name, self.unit, roles, self.link, self.valid_until]


def check_path(path: str | Path) -> Path:
    """The path the sheet will be written to, refused before any code is made if it cannot be."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InvalidInput(_("{path}: the invitations are written as .xlsx; name the file e.g. 账号.xlsx").format(path=path))
    if not path.parent.is_dir():
        raise InvalidInput(_("cannot write {path}: its folder does not exist").format(path=path))
    return path


def write_invitations(rows: list[InvitationRow], path: str | Path) -> None:
    """The sheet written to `path` in one piece: a failed write leaves no file."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    from banli.sheets.writing import as_text

    path = check_path(path)
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    fill = PatternFill(fill_type="solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    header = [WriteOnlyCell(sheet, text) for text in HEADERS]
    for cell in header:
        cell.font, cell.fill = Font(bold=True), fill
    sheet.append(header)
    for row in rows:  # each cell made here and appended: `sheet[n]` per row would be quadratic
        cells = [WriteOnlyCell(sheet, value) for value in row.cells()]
        for cell in cells:
            cell.number_format = "@"  # text: an id such as 001 or a date stays as written
            as_text(cell)  # a name starting with '=' is never a formula
        sheet.append(cells)
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    book.properties.title = "登录链接（一次有效）"
    with replacing(path) as temporary:
        book.save(temporary)
