"""What every rule receives, and the registry that makes each rule a named unit."""

from __future__ import annotations

import copy
import datetime as dt
import functools
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING, TypeVar

from ..diagnostics import Diagnostic
from ..load import Deployment
from ..metrics import CadreStatus, cadres_per_youth
from ..records import CadreRecords, cadre_names, digest_of

if TYPE_CHECKING:
    from .privacy import PersonalInfo

T = TypeVar("T")


@dataclass
class RuleContext:
    """The checked data, and indexes over it built once for every rule (and kept by the
    check's result for the views that need the same ones)."""

    dep: Deployment
    today: dt.date
    statuses: Mapping[str, CadreStatus]
    records: CadreRecords = field(default_factory=CadreRecords)
    #: the findings of the plain cadre rules, once asked for (``_plain_findings``)
    plain_findings: dict[str, dict[str, list[Diagnostic]]] | None = field(
        default=None, repr=False
    )

    @cached_property
    def holders(self) -> dict[str, list[str]]:
        """学号 → the cadres whose current list holds it (shared between builds: not to be
        changed)."""
        return self.across(
            "holders", partial(current_ids, self),
            partial(cadres_per_youth, self.statuses),
        )

    def over_limit(self, limit: int) -> list[tuple[str, list[str]]]:
        """The 学号 held by more than ``limit`` cadres, with their holders: kept apart
        from :attr:`holders` (from the same parts), which a rebuild then does without."""
        return self.across(
            "holders", partial(current_ids, self),
            lambda: [(sid, h) for sid, h in self.holders.items() if len(h) > limit],
            limit, result="youth over limit",
        )

    def across(
        self, name: str, part: Callable[[str], object], compute: Callable[[], T],
        extra: Hashable = None, *, result: str | None = None,
    ) -> T:
        """``compute()``: a result over every cadre, made from each cadre's ``part(cid)``
        (and ``extra``) only.  Kept between builds (``records``) while every cadre's part is
        the same — a part is computed again only for a cadre whose files changed — so that
        after one edit the cross-cadre rules over 100,000 youth are not run again when the
        edit does not touch what they look at (a title, a note).  ``result``: the name it is
        kept under, when other than ``name`` (another result from the same parts)."""
        if self.records.one_build:
            return compute()
        parts = tuple(
            (cid, self.records.get(f"{name} part", cid, partial(_digest, part, cid)))
            for cid in self.dep.cadres
        )
        return self.records.whole(result or name, (parts, extra), compute)

    def findings_across(
        self, name: str, part: Callable[[str], object],
        check: Callable[[], Iterable[Diagnostic]], extra: Hashable = None,
    ) -> Iterator[Diagnostic]:
        """A rule's findings over every cadre (``check()``), kept as :meth:`across` keeps
        a result; each build gets copies (later stages set positions on them)."""
        found = self.across(name, part, lambda: list(check()), extra)
        yield from map(copy.copy, found)

    @cached_property
    def personal(self) -> PersonalInfo:
        """Every listed youth's 学号 and name: what public text must not contain."""
        from .privacy import Listed, PersonalInfo, listed_youth  # (registers its rules)

        cadres = self.dep.cadres

        def listed(cid: str) -> Listed:
            return self.records.get("listed youth", cid, partial(listed_youth, cadres[cid]))

        # The same index as the previous build's while every cadre lists the same people
        # (the digests are kept on their own: a rebuild then needs no cadre's list).
        digests = tuple(
            self.records.get("listed youth digest", cid, lambda cid=cid: listed(cid)[2])
            for cid in cadres
        )
        key = (digests, cadre_names(self.dep, self.records))
        return self.records.whole(
            "personal info", key,
            lambda: PersonalInfo(cadres.values(), [listed(cid) for cid in cadres]),
        )


Rule = Callable[[RuleContext], Iterable[Diagnostic]]
CadreCheck = Callable[[RuleContext, str], Iterable[Diagnostic]]

#: name → rule, in the order they run (the order only affects nothing but readability).
RULES: dict[str, Rule] = {}


def rule(func: Rule) -> Rule:
    """Register ``func`` under its own name (``references.unit_ids`` style names in docs)."""
    RULES[f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"] = func
    return func


def cadre_rule(
    *, orphan_notes: bool = False, extra: Callable[[RuleContext], Hashable] | None = None
) -> Callable[[CadreCheck], Rule]:
    """Register a rule that looks at one cadre's files at a time, ``func(ctx, cadre_id)``.

    Its findings for a cadre are kept between builds (``records``) and found again while
    that cadre's files and the shared inputs are unchanged — plus ``extra(ctx)``, whatever
    else the findings depend on.  ``orphan_notes``: also run for the notes of a cadre whose
    file failed validation (``func`` then finds no ``dep.cadres[cadre_id]``).
    """

    def register(check: CadreCheck) -> Rule:
        @functools.wraps(check)
        def run(ctx: RuleContext) -> Iterator[Diagnostic]:
            if extra is None:  # (kept with the other rules of its kind, per cadre)
                for found in _plain_findings(ctx).values():
                    yield from map(copy.copy, found.get(name, ()))
                return
            depends = extra(ctx)
            for cadre_id in _cadre_ids(ctx, orphan_notes):
                found = ctx.records.get(
                    f"rule {name}", cadre_id, partial(_listed, check, ctx, cadre_id), depends
                )
                yield from map(copy.copy, found)  # later stages set positions on them

        name = f"{check.__module__.rsplit('.', 1)[-1]}.{check.__name__}"
        if extra is None:
            _PLAIN[name] = (check, orphan_notes)
        RULES[name] = run
        return run

    return register


#: The cadre rules that depend on nothing but the cadre's files and the shared inputs
#: (no ``extra``), name → (check, ``orphan_notes``): their findings for a cadre are kept
#: as one record (``rule findings``), not one per rule (8,000 lookups fewer a build).
_PLAIN: dict[str, tuple[CadreCheck, bool]] = {}


def _cadre_ids(ctx: RuleContext, orphan_notes: bool) -> dict[str, None]:
    """The cadres a cadre rule looks at, in order: with ``orphan_notes``, also those whose
    notes are there but whose file failed validation."""
    ids = dict.fromkeys(ctx.dep.cadres)
    if orphan_notes:
        ids.update(dict.fromkeys(ctx.dep.notes))
    return ids


def _plain_findings(ctx: RuleContext) -> dict[str, dict[str, list[Diagnostic]]]:
    """Cadre → rule → findings, of every rule in :data:`_PLAIN` (made once per check)."""
    if ctx.plain_findings is None:
        cadres = ctx.dep.cadres

        def findings(cadre_id: str) -> dict[str, list[Diagnostic]]:
            return {
                name: list(check(ctx, cadre_id)) for name, (check, orphans) in _PLAIN.items()
                if orphans or cadre_id in cadres
            }

        ctx.plain_findings = {
            cid: ctx.records.get("rule findings", cid, partial(findings, cid))
            for cid in _cadre_ids(ctx, orphan_notes=True)
        }
    return ctx.plain_findings


def _digest(part: Callable[[str], object], cadre_id: str) -> bytes:
    return digest_of(part(cadre_id))


def current_ids(ctx: RuleContext, cadre_id: str) -> list[str]:
    """The 学号 on the cadre's current list (on ``ctx.today``)."""
    return ctx.statuses[cadre_id].current_ids


def _listed(check: CadreCheck, ctx: RuleContext, cadre_id: str) -> list[Diagnostic]:
    return list(check(ctx, cadre_id))
