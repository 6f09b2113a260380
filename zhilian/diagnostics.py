"""Diagnostics: the one vocabulary every stage uses to report a problem.

A diagnostic names a stable code from :data:`CODES`, a file and — where it can — the
position inside that file.  Stages that only know *where in the document* a problem is
(a key path such as ``("youth", 3, "branch")``) leave ``line`` at 0; the reporter asks
:mod:`zhilian.read.positions` to resolve the path by re-reading just that file, so the fast
path never pays for positions.

Diagnostics may be printed in CI logs, which more people can read than the data: messages
never carry a youth's name or full 学号 (see :func:`mask_student_id`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Kind(StrEnum):
    DATA = "data"  # file, schema, reference, privacy, pull-request rules: block every build
    COMPLIANCE = "compliance"  # quotas, diversity, overlap, activity: content of internal pages


@dataclass(frozen=True)
class Code:
    code: str
    kind: Kind
    title: str  # short Chinese title (GitHub annotation title, handbook heading)
    hint: str  # default hint: how to fix it
    example: str = ""  # a minimal bad input, for the handbook


def _codes(*codes: Code) -> dict[str, Code]:
    return {c.code: c for c in codes}


D, C = Kind.DATA, Kind.COMPLIANCE

#: Every diagnostic code.  Codes are stable: never reuse or renumber one.
CODES: dict[str, Code] = _codes(
    # --- Y: reading files -------------------------------------------------------------------
    Code("Y001", D, "文件不是 UTF-8 编码",
         "请用 UTF-8 编码重新保存：记事本“另存为”选择“UTF-8”，WPS/VS Code 右下角选择“UTF-8”。",
         "（用 GBK 编码保存的文件）"),
    Code("Y002", D, "YAML 语法错误",
         "检查这一行的缩进和冒号：每个“键: 值”的冒号后要有一个空格，同一层的行要对齐。",
         "name 王晓明"),
    Code("Y003", D, "重复的键",
         "同一层里同一个键只能出现一次，删除或合并重复的那一行。",
         "name: 王晓明\nname: 王小明"),
    Code("Y004", D, "不允许使用锚点或别名（& / *）",
         "直接写出完整的值，不要用 &锚点 和 *别名。", "a: &x 1\nb: *x"),
    Code("Y005", D, "不允许使用 YAML 标签（!）",
         "去掉以 ! 开头的标签，直接写值；需要字符串时用引号括起来。", "phone: !!int 123"),
    Code("Y006", D, "键后面用了全角冒号“：”",
         "把全角冒号“：”改成半角冒号“:”，并在冒号后加一个空格。", "name：王晓明"),
    Code("Y007", D, "列表里用了全角逗号或分号",
         "方括号列表里的分隔符要用半角逗号“,”。", "branches: [cs-2023-1，math-2024-2]"),
    Code("Y008", D, "缩进里有全角空格",
         "缩进只能用半角空格：删除这一行开头的全角空格（U+3000），重新用空格键缩进。",
         "contact:\n\u3000\u3000phone: \"0358-3389036\""),
    Code("Y009", D, "缩进里有 Tab 制表符",
         "YAML 不允许用 Tab 缩进：把 Tab 换成两个空格。", "contact:\n\tphone: \"0358-3389036\""),
    Code("Y010", D, "文件太大",
         "数据文件不应超过站点配置 limits.max_file_bytes；检查是否误粘贴了大量内容。"),
    Code("Y011", D, "文件是空的",
         "按模板填写内容，或删除这个文件。"),
    Code("Y012", D, "文件的顶层结构不对",
         "这个文件的最外层应当是“键: 值”的映射，而不是列表或单个值。", "- name: 王晓明"),
    Code("Y013", D, "活动记录缺少开头的 --- 信息块",
         "活动记录第一行必须是 ---，接着写 title、date 等字段，再用一行 --- 结束。",
         "# 没有信息块的正文"),
    Code("Y014", D, "文件名或位置不符合约定",
         "团干部文件放在 data/cadres/<编号>.yml，编号只含小写字母、数字和连字符；"
         "活动记录放在 data/notes/<编号>/<YYYY-MM-DD>-<简短英文名>.md。"),
    Code("Y015", D, "无法读取文件",
         "检查文件是否存在、是否为普通文件（不是链接或文件夹）。"),
    # --- S: schema --------------------------------------------------------------------------
    Code("S001", D, "未知字段",
         "检查字段名的拼写；所有字段见手册“字段参考”。", "wechatt: wxm_tuanwei"),
    Code("S002", D, "缺少必填字段", "补上这个字段。"),
    Code("S003", D, "值的类型不对",
         "按手册“字段参考”填写：列表写成 [a, b] 或每行一个“- 值”，映射写成“键: 值”。"),
    Code("S004", D, "不是允许的选项", "从提示列出的选项中选一个（中文或英文均可）。",
         "level: 省级"),
    Code("S005", D, "日期无效", "日期写成 YYYY-MM-DD，例如 2026-05-04，并确认这一天存在。",
         "since: 2026-02-30"),
    Code("S006", D, "电话号码格式不对",
         "手机号写 11 位数字（如 13800138000），座机写“区号-号码”（如 0358-3389036），"
         "并用引号括起来。"),
    Code("S007", D, "电子邮箱格式不对", "写成 name@example.edu.cn 的形式。"),
    Code("S008", D, "QQ 号格式不对", "QQ 号是 5 到 11 位数字，用引号括起来，如 \"123456789\"。"),
    Code("S009", D, "网址格式不对", "写完整网址，微博必须以 https:// 开头。"),
    Code("S010", D, "编号格式不对",
         "编号只用小写字母、数字和连字符，如 cs-2023-1；学号只用数字和字母。"),
    Code("S011", D, "取值不合理", "按提示修改这个值。"),
    # --- R: references ----------------------------------------------------------------------
    Code("R001", D, "引用了不存在的分团委", "使用 data/org/committees.yml 中已有的 id。"),
    Code("R002", D, "引用了不存在的团支部", "使用 data/org/branches.yml 中已有的 id。"),
    Code("R003", D, "引用了不存在的宿舍团小组", "使用 data/org/dorm_groups.yml 中已有的 id。"),
    Code("R004", D, "活动记录所在文件夹不对应任何团干部",
         "文件夹名必须是某个团干部文件的编号：data/notes/<编号>/ 对应 data/cadres/<编号>.yml。"),
    Code("R005", D, "活动参与者不在本人的联系名单中",
         "只填写本人 youth 名单里的学号；新联系的青年先加入名单。"),
    Code("R006", D, "同一学号在不同文件中的信息不一致",
         "同一名青年的支部、专业、年级、政治面貌、家庭情况应在所有文件中一致，核对后统一。"),
    Code("R007", D, "名单中重复的学号", "同一学号只保留一条；联系结束请填写 until，不要重复添加。"),
    Code("R008", D, "重复的编号", "每个分团委、团支部、宿舍团小组的 id 必须唯一。"),
    Code("R009", D, "照片文件不存在或格式不对",
         "把 JPEG 或 PNG 照片放在 data/photos/ 下，文件名与 photo 字段一致。"),
    Code("R010", D, "调查结果引用了不存在的团干部", "使用 data/cadres/ 下已有的编号。"),
    Code("R011", D, "青年缺少专业或年级",
         "填写 branch（由团支部推出专业和年级），或者同时填写 major 和 grade。"),
    Code("R012", D, "系级团干部缺少所属分团委", "系级团干部必须填写 committee。"),
    # --- P: privacy and consent -------------------------------------------------------------
    Code("P001", D, "公开内容中出现了青年的个人信息",
         "公开字段（intro、title 等）和公开的活动记录里不能出现青年的姓名或学号，请删去。"),
    Code("P002", C, "联系方式未取得公开同意",
         "在 contact 下填写 consent_on（本人同意公开联系方式的日期）；未填写时只公开姓名和职务。"),
    Code("P003", D, "缺少公开的联系方式",
         "contact 下至少填写一种：phone、email、wechat、qq、weibo。"),
    # --- Q: quotas --------------------------------------------------------------------------
    Code("Q001", C, "联系的分团委数量不足", "在 units.committees 中补充联系的分团委。"),
    Code("Q002", C, "联系的团支部数量不足", "在 units.branches 中补充联系的团支部。"),
    Code("Q003", C, "联系的宿舍团小组数量不足", "在 units.dorm_groups 中补充联系的宿舍团小组。"),
    Code("Q004", C, "联系的青年人数不足", "在 youth 名单中补充联系的青年。"),
    # --- V: diversity (多样性) ---------------------------------------------------------------
    Code("V001", C, "联系青年的专业不够多样", "联系更多不同专业的青年。"),
    Code("V002", C, "联系青年的年级不够多样", "联系更多不同年级的青年。"),
    Code("V003", C, "联系青年的政治面貌不够多样", "联系不同政治面貌的青年（团员、党员、群众等）。"),
    Code("V004", C, "联系青年的家庭情况不够多样", "联系不同家庭情况的青年。"),
    # --- O: overlap -------------------------------------------------------------------------
    Code("O001", C, "同一青年被过多团干部联系",
         "避免反复联系少数人：与其他团干部协调，换成尚未被联系的青年。"),
    # --- A: activity ------------------------------------------------------------------------
    Code("A001", C, "长时间没有活动记录", "及时记录与青年的联系活动（线上互动也算）。"),
    Code("A002", C, "集中活动期间没有活动记录",
         "五四、国庆、一二·九集中活动期间应至少开展并记录一次活动。"),
    # --- G: pull-request gate ---------------------------------------------------------------
    Code("G001", D, "本次修改使原本达标的指标不再达标",
         "合并请求不能让已达标的团干部低于指标；如确需调整，请同时补充新的联系对象。"),
    Code("G002", D, "无权修改此文件",
         "团干部只能修改自己的文件和活动记录（github 字段中的账号）；其他修改请联系管理员。"),
    Code("G003", D, "不允许删除或跨人重命名团干部数据",
         "团干部离任等情况由管理员处理；联系结束请填写 until，而不是删除。"),
    Code("G004", D, "data/ 中不允许符号链接或子模块", "把真实文件提交到 data/ 中。"),
    Code("G005", D, "CODEOWNERS 与数据不一致",
         "运行 python build.py codeowners 重新生成 CODEOWNERS 并提交。"),
    Code("G006", D, "无法与基准版本比较",
         "确认在 git 仓库中运行、--base 指向存在的分支或提交；CI 中检出时需要 fetch-depth: 0。"),
    # --- X: configuration and internal --------------------------------------------------------
    Code("X001", D, "站点配置有误", "按手册“站点配置”修改 site_config.yml。"),
    Code("X002", D, "程序内部错误",
         "这是 zhilian 的缺陷，不是你的数据问题：请把这段输出发给管理员。"),
)


@dataclass
class Diagnostic:
    code: str
    severity: Severity
    file: str  # path relative to the deployment root, POSIX separators
    message: str  # Chinese; never a youth's name or full 学号
    hint: str = ""  # defaults to the code's hint
    line: int = 0  # 1-based; 0 = resolve from ``path``
    col: int = 0
    path: tuple[str | int, ...] = ()  # key path inside the YAML document
    at_key: bool = False  # point at the key rather than the value (unknown fields)
    cadre: str | None = None  # the cadre this concerns (pull-request rules)
    extra: dict[str, object] = field(default_factory=dict)  # machine-readable details

    def __post_init__(self) -> None:
        if not self.hint:
            self.hint = CODES[self.code].hint

    @property
    def kind(self) -> Kind:
        return CODES[self.code].kind

    @property
    def title(self) -> str:
        return CODES[self.code].title

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.col, self.code, self.message)


def error(code: str, file: str, message: str, **kw: object) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, file, message, **kw)  # type: ignore[arg-type]


def warning(code: str, file: str, message: str, **kw: object) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, file, message, **kw)  # type: ignore[arg-type]


def mask_student_id(student_id: str) -> str:
    """``2023010203`` → ``2023****03``: enough to find the entry, not to identify a person."""
    s = str(student_id)
    if len(s) <= 4:
        return "*" * len(s)
    keep_head = 4 if len(s) >= 8 else 2
    return s[:keep_head] + "*" * (len(s) - keep_head - 2) + s[-2:]


def mask_name(name: str) -> str:
    """``李明`` → ``李*``; ``欧阳娜娜`` → ``欧***``."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


class DataChanged(Exception):
    """A data file changed while the run read it (between its stat call and a later read of
    a file it deferred: ``read.batch.Later``): the run stops rather than mix two versions."""

    def __init__(self, rel: str) -> None:
        super().__init__(rel)  # (the path alone: what pickling between processes keeps)
        self.rel = rel

    def __str__(self) -> str:
        return f"数据文件 {self.rel} 在检查或生成的过程中被修改了，请再运行一次。"
