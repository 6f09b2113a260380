"""Reference rules: every id points at something that exists, and the same person is
described the same way everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from ..diagnostics import Diagnostic, error, mask_student_id
from ..load import Deployment
from ..metrics import major_and_grade
from ..model.enums import Level
from .base import RuleContext, cadre_rule, rule

ORG_FILES = {
    "committees": "data/org/committees.yml",
    "branches": "data/org/branches.yml",
    "dorm_groups": "data/org/dorm_groups.yml",
}
CODE_BY_KIND = {"committees": "R001", "branches": "R002", "dorm_groups": "R003"}
LABEL_BY_KIND = {"committees": "分团委", "branches": "团支部", "dorm_groups": "宿舍团小组"}


def _known(dep: Deployment, kind: str) -> dict[str, object]:
    return getattr(dep, kind)  # type: ignore[no-any-return]


def _unknown(
    dep: Deployment, kind: str, unit_id: str, file: str, path: tuple[str | int, ...], **kw: object
) -> Iterator[Diagnostic]:
    if unit_id not in _known(dep, kind):
        yield error(
            CODE_BY_KIND[kind], file, f"{LABEL_BY_KIND[kind]}编号“{unit_id}”不存在", path=path, **kw
        )


@rule
def org_links(ctx: RuleContext) -> Iterator[Diagnostic]:
    """团支部、宿舍团小组所属的分团委（和团支部）存在。

    Branches and dorm groups name an existing 分团委 (and branch).
    """
    dep = ctx.dep
    for index, branch in enumerate(dep.branches.values()):
        yield from _unknown(dep, "committees", branch.committee, ORG_FILES["branches"],
                            ("branches", index, "committee"))
    for index, dorm in enumerate(dep.dorm_groups.values()):
        yield from _unknown(dep, "committees", dorm.committee, ORG_FILES["dorm_groups"],
                            ("dorm_groups", index, "committee"))
        if dorm.branch:
            yield from _unknown(dep, "branches", dorm.branch, ORG_FILES["dorm_groups"],
                                ("dorm_groups", index, "branch"))


@cadre_rule()
def unit_ids(ctx: RuleContext, cid: str) -> Iterator[Diagnostic]:
    """团干部填写的分团委、团支部、宿舍团小组编号都存在。

    A cadre's committee, units and youth branch/dorm group exist.
    """
    dep = ctx.dep
    cadre = dep.cadres[cid]
    file = dep.cadre_file(cid)
    if cadre.committee:
        yield from _unknown(dep, "committees", cadre.committee, file, ("committee",), cadre=cid)
    elif cadre.level is Level.DEPARTMENT:
        yield error("R012", file, "系级团干部必须填写所属分团委 committee", path=("level",),
                    cadre=cid)
    for kind in ("committees", "branches", "dorm_groups"):
        for index, unit_id in enumerate(getattr(cadre.units, kind)):
            yield from _unknown(dep, kind, unit_id, file, ("units", kind, index), cadre=cid)
    for index, youth in enumerate(cadre.youth):  # (100 a cadre: the lookups inline)
        if youth.branch and youth.branch not in dep.branches:
            yield from _unknown(dep, "branches", youth.branch, file,
                                ("youth", index, "branch"), cadre=cid)
        if youth.dorm_group and youth.dorm_group not in dep.dorm_groups:
            yield from _unknown(dep, "dorm_groups", youth.dorm_group, file,
                                ("youth", index, "dorm_group"), cadre=cid)
        if not youth.branch and not (youth.major and youth.grade):
            yield error("R011", file, f"第 {index + 1} 名青年（{mask_student_id(youth.id)}）"
                        "缺少 branch，或缺少 major 和 grade", path=("youth", index), cadre=cid)


@cadre_rule()
def family_categories(ctx: RuleContext, cid: str) -> Iterator[Diagnostic]:
    """青年的家庭情况是站点配置中规定的类别之一。

    A youth's family category is one the committee defined in site_config.yml.
    """
    allowed = ctx.dep.config.family_categories
    for index, youth in enumerate(ctx.dep.cadres[cid].youth):
        if youth.family not in allowed:
            yield error("S004", ctx.dep.cadre_file(cid),
                        f"family：第 {index + 1} 名青年的家庭情况不是允许的选项，可选："
                        + " / ".join(allowed), path=("youth", index, "family"), cadre=cid)


@cadre_rule()
def duplicate_youth(ctx: RuleContext, cid: str) -> Iterator[Diagnostic]:
    """同一个学号在一位团干部的名单中只出现一次。

    One 学号 appears once per cadre file.
    """
    first: dict[str, int] = {}
    for index, youth in enumerate(ctx.dep.cadres[cid].youth):
        if youth.id in first:
            yield error("R007", ctx.dep.cadre_file(cid),
                        f"学号 {mask_student_id(youth.id)} 在名单中重复（第 {first[youth.id] + 1} "
                        f"名和第 {index + 1} 名）", path=("youth", index, "id"), cadre=cid)
        else:
            first[youth.id] = index


def _youth_attributes(dep: Deployment, cadre_id: str) -> list[tuple[str, tuple[object, ...]]]:
    """(学号, what must agree wherever the 学号 is listed) for each of a cadre's youth."""
    found = []
    for youth in dep.cadres[cadre_id].youth:
        major, grade = major_and_grade(youth, dep)
        # (the status's key, not the member: a part of every build's digest, and an enum's
        # repr costs twice a string's)
        found.append((youth.id, (major, grade, youth.political_status.value, youth.family,
                                 youth.name, youth.hometown, youth.dorm_group)))
    return found


@rule
def consistent_youth(ctx: RuleContext) -> Iterator[Diagnostic]:
    """同一个学号在不同团干部文件中的信息一致。

    The same 学号 carries the same attributes in every cadre file.
    """
    yield from ctx.findings_across(
        "consistent youth", partial(_attributes, ctx), partial(_inconsistent, ctx)
    )


def _attributes(ctx: RuleContext, cadre_id: str) -> list[tuple[str, tuple[object, ...]]]:
    return ctx.records.get(
        "youth attributes", cadre_id, partial(_youth_attributes, ctx.dep, cadre_id)
    )


def _inconsistent(ctx: RuleContext) -> Iterator[Diagnostic]:
    dep = ctx.dep
    seen: dict[str, tuple[str, tuple[object, ...]]] = {}
    for cid in dep.cadres:
        for index, (student_id, attrs) in enumerate(_attributes(ctx, cid)):
            if student_id not in seen:
                seen[student_id] = (cid, attrs)
                continue
            other, other_attrs = seen[student_id]
            if other != cid and other_attrs != attrs:
                names = ("专业", "年级", "政治面貌", "家庭情况", "姓名", "籍贯", "宿舍团小组")
                differing = "、".join(n for n, a, b in zip(names, attrs, other_attrs, strict=True)
                                     if a != b)
                yield error("R006", dep.cadre_file(cid),
                            f"第 {index + 1} 名青年（{mask_student_id(student_id)}）的{differing}与 "
                            f"{dep.cadre_file(other)} 中不一致", path=("youth", index, "id"),
                            cadre=cid)


@cadre_rule(orphan_notes=True)
def note_references(ctx: RuleContext, cid: str) -> Iterator[Diagnostic]:
    """活动记录涉及的单位存在，参与者都在本人的联系名单中。

    A note's units exist and its participants are in that cadre's youth list.
    """
    dep = ctx.dep
    cadre = dep.cadres.get(cid)
    listed = {y.id for y in cadre.youth} if cadre else None
    for note in dep.notes.get(cid, []):
        for index, unit_id in enumerate(note.front.units):
            kinds = [k for k in ("branches", "dorm_groups", "committees")
                     if unit_id in _known(dep, k)]
            if not kinds:
                yield error("R002", note.rel, f"单位编号“{unit_id}”不存在（不是团支部、宿舍团小组"
                            "或分团委）", path=("units", index), cadre=cid)
        if listed is None:
            continue
        for index, student_id in enumerate(note.front.youth):
            if student_id not in listed:
                yield error("R005", note.rel, f"参与者 {mask_student_id(student_id)} 不在 "
                            f"{dep.cadre_file(cid)} 的 youth 名单中", path=("youth", index),
                            cadre=cid)


@cadre_rule()
def photos(ctx: RuleContext, cid: str) -> Iterator[Diagnostic]:
    """照片文件存在，且是 JPEG 或 PNG。"""
    cadre = ctx.dep.cadres[cid]
    if cadre.photo and cadre.photo not in ctx.dep.photos:
        yield error("R009", ctx.dep.cadre_file(cid),
                    f"照片 data/photos/{cadre.photo} 不存在（只支持 .jpg/.jpeg/.png）",
                    path=("photo",), cadre=cid)


@rule
def survey_cadres(ctx: RuleContext) -> Iterator[Diagnostic]:
    """满意度调查结果中的团干部编号都存在。"""
    for year, results in ctx.dep.surveys.items():
        for cid in results:
            if cid not in ctx.dep.cadres:
                yield error("R010", f"data/surveys/{year}.yml", f"团干部编号“{cid}”不存在",
                            path=(cid,), at_key=True)
