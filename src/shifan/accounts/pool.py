"""The expert pool's Excel list: reading it, checking every row, and the template to fill in.

The province keeps its experts in a spreadsheet, one expert a row. `read_workbook` reads the first
sheet of an uploaded .xlsx within the limits; `parse` finds the columns by their header and checks
each row, giving either the cleaned values (`ExpertRow`) or the problems, each naming its column.
Whether an e-mail address already has an account is passed in, so nothing here queries the
database: the view asks the selectors, the import service writes. `template_workbook` builds the
file officers download.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from shifan.accounts.models import ExpertiseField, Role
from shifan.core import reference, uploads, uscc

if TYPE_CHECKING:
    from shifan.accounts.models import ExpertProfile

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
# Columns read per row: the list has ten; a sheet with thousands of stray columns is not read whole.
MAX_COLUMNS = 50
# What the .xlsx may expand to before openpyxl opens it: a full list (2,000 rows of ten columns) is
# about two megabytes of XML, so this leaves room for formatting and stray columns.
MAX_EXPANDED_BYTES = 20 * 1024 * 1024

NAME = "姓名"
EMPLOYER = "工作单位"
EMPLOYER_CODE = "工作单位统一社会信用代码"
CITY = "所在城市"
PHONE = "联系电话"
EMAIL = "电子邮箱"
EXPERTISE = "专业领域"
TITLE = "职称"
INDUSTRIES = "熟悉行业"
PAST_CODES = "曾任职单位统一社会信用代码"

REQUIRED_COLUMNS = (NAME, EMPLOYER, EMPLOYER_CODE, CITY, PHONE, EMAIL, EXPERTISE, TITLE)
OPTIONAL_COLUMNS = (INDUSTRIES, PAST_CODES)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
MAX_LENGTHS = {NAME: 100, EMPLOYER: 200, PHONE: 30, TITLE: 100}

# Between several values in one cell: 、，,;； and line breaks (Alt+Enter in Excel).
SEPARATORS = re.compile(r"[、，,;；\r\n]+")
# A city outside Guangdong (the profile's "广东省外或不适用").
OUTSIDE_PROVINCE = ("省外", "广东省外")

EXAMPLE = {
    NAME: "张三",
    EMPLOYER: "广东省示例研究院",
    EMPLOYER_CODE: uscc.compose(authority="12", area="440000", body="45541653"),
    CITY: "广州",
    PHONE: "13800000000",
    EMAIL: "zhangsan@example.com",
    EXPERTISE: "工业设计服务、数字化转型",
    TITLE: "正高级工程师",
    INDUSTRIES: "34、39",
    PAST_CODES: uscc.compose(authority="91", area="440101", body="MA5CJQ4N"),
}


class PoolFileError(Exception):
    """Raised when an uploaded list cannot be read as a whole; `message` is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ExpertRow:
    """One expert's cleaned values. `industries` is None when the list does not give them."""

    name: str
    email: str
    phone: str
    employer: str
    employer_credit_code: str
    city_code: str
    title: str
    expertise: tuple[str, ...]
    industries: tuple[str, ...] | None
    past_credit_codes: tuple[str, ...]

    def as_data(self) -> dict[str, Any]:
        """Return the values as JSON types, to carry them from the preview to the import."""
        return {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "employer": self.employer,
            "employer_credit_code": self.employer_credit_code,
            "city_code": self.city_code,
            "title": self.title,
            "expertise": list(self.expertise),
            "industries": None if self.industries is None else list(self.industries),
            "past_credit_codes": list(self.past_credit_codes),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ExpertRow:
        industries = data["industries"]
        return cls(
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            employer=data["employer"],
            employer_credit_code=data["employer_credit_code"],
            city_code=data["city_code"],
            title=data["title"],
            expertise=tuple(data["expertise"]),
            industries=None if industries is None else tuple(industries),
            past_credit_codes=tuple(data["past_credit_codes"]),
        )

    @property
    def city_name(self) -> str:
        return reference.city(self.city_code).name if self.city_code else "省外"


@dataclass(frozen=True)
class ParsedRow:
    """One row of the list as read: its Excel row number, its cells as text, and the verdict."""

    line: int
    cells: Mapping[str, str]
    expert: ExpertRow | None
    errors: tuple[str, ...]
    # The e-mail address belongs to an expert already in the pool: the import updates that expert.
    is_update: bool = False

    @property
    def status(self) -> str:
        if self.errors:
            return "error"
        return "update" if self.is_update else "new"


@dataclass(frozen=True)
class ParsedSheet:
    rows: tuple[ParsedRow, ...]

    @property
    def valid_rows(self) -> list[ParsedRow]:
        return [row for row in self.rows if row.expert is not None]

    @property
    def error_rows(self) -> list[ParsedRow]:
        return [row for row in self.rows if row.errors]

    @property
    def experts(self) -> list[ExpertRow]:
        return [row.expert for row in self.rows if row.expert is not None]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)


# Reading the file


def read_workbook(data: bytes) -> list[tuple[Any, ...]]:
    """Return the first sheet's rows as tuples of cell values, up to the last non-empty row.

    Raise PoolFileError when the file is too large, would expand past MAX_EXPANDED_BYTES (checked
    on its directory, then by expanding it with a byte cap, before openpyxl opens it), is not an
    .xlsx workbook, or holds more than MAX_ROWS rows below the header. Empty rows in between are
    kept (as empty tuples) so that list positions are Excel's row numbers.
    """
    if len(data) > MAX_FILE_BYTES:
        raise PoolFileError(f"文件过大：上限 {MAX_FILE_BYTES // (1024 * 1024)} MB。")
    # An .xlsx file is a zip archive; an old .xls or a CSV is not, and openpyxl cannot read them.
    if not data.startswith(b"PK\x03\x04"):
        raise PoolFileError(_NOT_XLSX)
    limits = uploads.ArchiveLimits.from_settings(max_expanded_bytes=MAX_EXPANDED_BYTES)
    try:
        uploads.check_archive(data, limits)
        uploads.check_expansion(data, max_bytes=limits.max_expanded_bytes)
    except uploads.ArchiveUnreadable as error:
        raise PoolFileError(_NOT_XLSX) from error
    except uploads.UploadRefused as refusal:
        raise PoolFileError(refusal.message) from refusal
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise PoolFileError(_NOT_XLSX) from error
    try:
        if not workbook.worksheets:
            raise PoolFileError("文件中没有工作表。")
        sheet = workbook.worksheets[0]
        rows: list[tuple[Any, ...]] = []
        empty_run = 0
        non_empty = 0
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            if not any(_text(value) for value in values):
                empty_run += 1
                continue
            rows.extend([()] * empty_run)
            empty_run = 0
            values = tuple(values)
            while values and values[-1] is None:
                values = values[:-1]
            rows.append(values)
            non_empty += 1
            # The first non-empty row is the header.
            if non_empty - 1 > MAX_ROWS:
                raise PoolFileError(
                    f"名单超过 {MAX_ROWS} 行，一次最多导入 {MAX_ROWS} 位专家，请分成几个文件导入。"
                )
    except (KeyError, ValueError, TypeError) as error:
        raise PoolFileError(_NOT_XLSX) from error
    finally:
        workbook.close()
    return rows


_NOT_XLSX = "无法读取该文件，请上传 Excel 的 .xlsx 文件（.xls 或 CSV 请先在 Excel 中另存为 .xlsx）。"


def _text(value: Any) -> str:
    """Return a cell's value as trimmed text: whole numbers without ".0", dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    # Non-breaking and ideographic spaces count as space; strip() covers both.
    return str(value).strip()


def _header(value: Any) -> str:
    """Return a header cell as a column name: no spaces, no "*" or "（必填）"-style remark."""
    text = re.sub(r"\s+", "", _text(value))
    text = re.sub(r"[（(][^（()）]*[）)]$", "", text)
    return text.strip("*＊")


def _split(text: str) -> list[str]:
    return [part.strip() for part in SEPARATORS.split(text) if part.strip()]


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


# Checking the rows


def _columns(header: Sequence[Any]) -> dict[str, int]:
    """Return the position of each known column; PoolFileError if one is doubled or required one missing."""
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        name = _header(value)
        if name not in COLUMNS:
            continue
        if name in positions:
            raise PoolFileError(
                f"表头“{name}”出现了两次（第 {_column_letter(positions[name])} 列和第 "
                f"{_column_letter(index)} 列），请只保留一列。"
            )
        positions[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        names = "、".join(f"“{name}”" for name in missing)
        raise PoolFileError(
            f"第一行表头缺少必填列：{names}。列的顺序不限，但表头文字须与模板一致，可下载导入模板对照。"
        )
    return positions


def _header_index(rows: Sequence[Sequence[Any]]) -> int:
    for index, row in enumerate(rows):
        if any(_text(value) for value in row):
            return index
    raise PoolFileError("文件是空的：第一个工作表中没有内容。")


def emails_in(rows: Sequence[Sequence[Any]]) -> list[str]:
    """Return the e-mail addresses in the list, normalised; none if the header is not usable.

    The view looks these up before calling `parse`, which needs to know who already has an account.
    """
    try:
        start = _header_index(rows)
        position = _columns(rows[start])[EMAIL]
    except PoolFileError:
        return []
    return [
        _text(row[position]).lower()
        for row in rows[start + 1 :]
        if position < len(row) and _text(row[position])
    ]


def parse(rows: Sequence[Sequence[Any]], *, roles_by_email: Mapping[str, str]) -> ParsedSheet:
    """Check the list: the first non-empty row is the header, every later non-empty row one expert.

    `roles_by_email` maps the addresses that already have an account to its role. Raise
    PoolFileError when the header lacks a required column or no row follows it.
    """
    start = _header_index(rows)
    positions = _columns(rows[start])
    numbered = [(index + 1, row) for index, row in enumerate(rows) if index > start and row]
    numbered = [(line, row) for line, row in numbered if any(_text(value) for value in row)]
    if not numbered:
        raise PoolFileError("表头下方没有专家信息，请从第二行起每行填写一位专家。")

    cells_by_line = {
        line: {name: _text(row[index]) if index < len(row) else "" for name, index in positions.items()}
        for line, row in numbered
    }
    lines_by_email: dict[str, list[int]] = {}
    for line, cells in cells_by_line.items():
        email = cells[EMAIL].lower()
        if email:
            lines_by_email.setdefault(email, []).append(line)

    parsed = []
    for line, cells in cells_by_line.items():
        checker = _RowChecker(cells, lines_by_email=lines_by_email, line=line, roles_by_email=roles_by_email)
        expert = checker.expert()
        parsed.append(
            ParsedRow(
                line=line,
                cells=cells,
                expert=expert,
                errors=tuple(checker.errors),
                is_update=expert is not None and roles_by_email.get(expert.email) == Role.EXPERT,
            )
        )
    return ParsedSheet(rows=tuple(parsed))


class _RowChecker:
    """Check one row's cells, collecting one message per problem, each beginning with its column."""

    def __init__(
        self,
        cells: Mapping[str, str],
        *,
        line: int,
        lines_by_email: Mapping[str, list[int]],
        roles_by_email: Mapping[str, str],
    ) -> None:
        self.cells = cells
        self.line = line
        self.lines_by_email = lines_by_email
        self.roles_by_email = roles_by_email
        self.errors: list[str] = []

    def fail(self, column: str, message: str) -> None:
        self.errors.append(f"{column}：{message}")

    def required(self, column: str) -> str:
        value = self.cells[column]
        if not value:
            self.fail(column, "必填，不能为空。")
        elif column in MAX_LENGTHS and len(value) > MAX_LENGTHS[column]:
            self.fail(column, f"不能超过 {MAX_LENGTHS[column]} 个字，现为 {len(value)} 个字。")
        return value

    def expert(self) -> ExpertRow | None:
        name = self.required(NAME)
        email = self.email()
        phone = self.required(PHONE)
        employer = self.required(EMPLOYER)
        employer_code = self.employer_code()
        city_code = self.city()
        expertise = self.expertise()
        title = self.required(TITLE)
        industries = self.industries()
        past_codes = self.past_codes(employer_code)
        if self.errors:
            return None
        return ExpertRow(
            name=name,
            email=email,
            phone=phone,
            employer=employer,
            employer_credit_code=employer_code,
            city_code=city_code,
            title=title,
            expertise=expertise,
            industries=industries,
            past_credit_codes=past_codes,
        )

    def email(self) -> str:
        email = self.required(EMAIL).lower()
        if not email:
            return ""
        try:
            validate_email(email)
        except ValidationError:
            self.fail(EMAIL, f"“{email}”不是有效的电子邮箱地址。")
            return email
        others = [line for line in self.lines_by_email.get(email, []) if line != self.line]
        if others:
            where = "、".join(f"第 {line} 行" for line in others)
            self.fail(EMAIL, f"{email} 与{where}重复，同一位专家只能填写一行。")
        role = self.roles_by_email.get(email)
        if role is not None and role != Role.EXPERT:
            self.fail(EMAIL, f"{email} 已是{Role(role).label}的账号，不能作为专家导入。")
        return email

    def employer_code(self) -> str:
        raw = self.required(EMPLOYER_CODE)
        if not raw:
            return ""
        try:
            return uscc.validate(raw)
        except uscc.CreditCodeError as error:
            self.fail(EMPLOYER_CODE, error.message)
            return ""

    def city(self) -> str:
        raw = self.required(CITY)
        if not raw:
            return ""
        if raw in OUTSIDE_PROVINCE:
            return ""
        for city in reference.cities():
            if raw in {city.name, city.short_name, city.code}:
                return city.code
        self.fail(
            CITY, f"未知城市“{raw}”，请填写广东省 21 个地级以上市之一，如“广州”或“广州市”；省外填“省外”。"
        )
        return ""

    def expertise(self) -> tuple[str, ...]:
        labels = _split(self.required(EXPERTISE))
        allowed = list(ExpertiseField.values)
        unknown = [label for label in labels if label not in allowed]
        if unknown:
            self.fail(
                EXPERTISE,
                "未知领域"
                + "、".join(f"“{label}”" for label in unknown)
                + "。可填："
                + "、".join(allowed)
                + "。",
            )
        return tuple(sorted({label for label in labels if label in allowed}, key=allowed.index))

    def industries(self) -> tuple[str, ...] | None:
        if INDUSTRIES not in self.cells or not self.cells[INDUSTRIES]:
            return None
        codes: list[str] = []
        unknown: list[str] = []
        for token in _split(self.cells[INDUSTRIES]):
            code = industry_code(token)
            if code is None:
                unknown.append(token)
            elif code not in codes:
                codes.append(code)
        if unknown:
            self.fail(
                INDUSTRIES,
                "未知行业"
                + "、".join(f"“{token}”" for token in unknown)
                + "，请填写制造业大类代码（13–43）或名称，如“34”或“通用设备制造业”。",
            )
        return tuple(sorted(codes))

    def past_codes(self, employer_code: str) -> tuple[str, ...]:
        if PAST_CODES not in self.cells:
            return ()
        codes: list[str] = []
        for token in _split(self.cells[PAST_CODES]):
            try:
                code = uscc.validate(token)
            except uscc.CreditCodeError as error:
                self.fail(PAST_CODES, f"“{token}”：{error.message}")
                continue
            # The current employer is a conflict already; listing it again changes nothing.
            if code != employer_code and code not in codes:
                codes.append(code)
        return tuple(codes)


def industry_code(token: str) -> str | None:
    """Return the manufacturing division meant by "34", "C34", "通用设备制造业" or "34 通用设备制造业"."""
    divisions = reference.industries(manufacturing_only=True)
    match = re.fullmatch(r"[Cc]?(\d{2})\s*(.*)", token.strip())
    if match:
        code, name = match.groups()
        for division in divisions:
            if division.code == code and name in {"", division.name}:
                return division.code
        return None
    for division in divisions:
        if division.name == token.strip():
            return division.code
    return None


# Comparing with an expert already in the pool

# The field an import may change, with its column: the account's name and phone, the profile's rest.
UPDATE_LABELS = {
    "name": NAME,
    "phone": PHONE,
    "employer": EMPLOYER,
    "employer_credit_code": EMPLOYER_CODE,
    "city_code": CITY,
    "title": TITLE,
    "expertise": EXPERTISE,
    "industries": INDUSTRIES,
}


def updates_for(profile: ExpertProfile, row: ExpertRow, past_codes: Iterable[str]) -> dict[str, Any]:
    """Return the fields of an existing expert that the row changes, with their new values.

    `past_codes` are the expert's earlier employers already recorded; the row's others come back
    under "past_credit_codes", since an import only adds earlier employers, never removes them.
    Industries left empty in the list stay as they are.
    """
    wanted: dict[str, Any] = {
        "name": row.name,
        "phone": row.phone,
        "employer": row.employer,
        "employer_credit_code": row.employer_credit_code,
        "city_code": row.city_code,
        "title": row.title,
        "expertise": list(row.expertise),
    }
    if row.industries is not None:
        wanted["industries"] = list(row.industries)
    current: dict[str, Any] = {
        "name": profile.user.name,
        "phone": profile.user.phone,
        "employer": profile.employer,
        "employer_credit_code": profile.employer_credit_code,
        "city_code": profile.city_code,
        "title": profile.title,
        "expertise": profile.expertise,
        "industries": profile.industries,
    }
    changes = {key: value for key, value in wanted.items() if _comparable(current[key]) != _comparable(value)}
    known = set(past_codes)
    added = [code for code in row.past_credit_codes if code not in known]
    if added:
        changes["past_credit_codes"] = added
    return changes


def _comparable(value: Any) -> Any:
    return sorted(value) if isinstance(value, list | tuple) else value


def change_labels(changes: Mapping[str, Any]) -> list[str]:
    return [UPDATE_LABELS.get(key, PAST_CODES) for key in changes]


# The template


def template_workbook() -> bytes:
    """Return the .xlsx officers fill in: the header and an example row, then the allowed values."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from shifan.core.sheets import append_row, workbook_bytes

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "专家名单"
    append_row(sheet, COLUMNS)
    append_row(sheet, [EXAMPLE[column] for column in COLUMNS])
    widths = {NAME: 10, EMPLOYER: 28, EMPLOYER_CODE: 24, CITY: 10, PHONE: 15, EMAIL: 26}
    widths |= {EXPERTISE: 30, TITLE: 14, INDUSTRIES: 16, PAST_CODES: 30}
    required_fill = PatternFill("solid", fgColor="DCE6F1")
    optional_fill = PatternFill("solid", fgColor="EDEDED")
    for index, column in enumerate(COLUMNS):
        cell = sheet.cell(row=1, column=index + 1)
        cell.font = Font(bold=True)
        cell.fill = required_fill if column in REQUIRED_COLUMNS else optional_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[_column_letter(index)].width = widths[column]
        # Codes and phone numbers must stay text: Excel would turn an all-digit credit code into
        # a rounded number in scientific notation.
        if column in {EMPLOYER_CODE, PHONE, PAST_CODES}:
            sheet.column_dimensions[_column_letter(index)].number_format = "@"
            sheet.cell(row=2, column=index + 1).number_format = "@"
    sheet.freeze_panes = "A2"

    help_sheet = workbook.create_sheet("填写说明")
    append_row(help_sheet, ["专业领域（可填多个）", "所在城市", "熟悉行业（制造业大类，选填）", "说明"])
    notes = [
        "每行一位专家，第二行是示例，导入前请删除。",
        "蓝色表头为必填列，灰色为选填列；列的顺序不限。",
        "专业领域、熟悉行业、曾任职单位可填多个，用顿号、逗号、分号或换行分隔。",
        "所在城市填广东省地级以上市，如“广州”或“广州市”；省外专家填“省外”。",
        "熟悉行业填 GB/T 4754 制造业大类代码或名称，如“34”或“通用设备制造业”。",
        "电子邮箱已是专家账号的，导入时更新该专家的信息；熟悉行业留空则保持不变，曾任职单位只增加、不删除。",
        "新专家导入后会收到设置密码的邮件。",
    ]
    cities = [city.name for city in reference.cities()] + ["省外"]
    divisions = [f"{i.code} {i.name}" for i in reference.industries(manufacturing_only=True)]
    expertise = list(ExpertiseField.values)
    for index in range(max(len(expertise), len(cities), len(divisions), len(notes))):
        append_row(
            help_sheet,
            [
                expertise[index] if index < len(expertise) else None,
                cities[index] if index < len(cities) else None,
                divisions[index] if index < len(divisions) else None,
                notes[index] if index < len(notes) else None,
            ],
        )
    for index, width in enumerate((18, 12, 30, 80)):
        help_sheet.column_dimensions[_column_letter(index)].width = width
        help_sheet.cell(row=1, column=index + 1).font = Font(bold=True)
    help_sheet.freeze_panes = "A2"
    return workbook_bytes(workbook)
