"""The union tree, as administrators maintain it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, func, literal, select, update

from portal.domain.errors import Conflict, InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.safe_parse import read_sheet
from portal.models import Member, Union, UnionKind, add_union
from portal.models.unions import UNION_KIND_LABELS
from portal.services import audit
from portal.services.access import require_role, scope_union
from portal.services.unit_of_work import unit_of_work


def union_tree(actor) -> list[tuple[Union, int, int]]:
    """(union, depth, member count) in tree order, limited to the actor's subtree."""
    scope = scope_union(actor)
    stmt = select(Union)
    if scope is not None:
        stmt = stmt.where(Union.path.startswith(scope.path))
    unions = list(db.session.scalars(stmt))
    counts = dict(db.session.execute(
        select(Member.union_id, func.count(Member.id)).group_by(Member.union_id)
    ).all())
    by_parent: dict[int | None, list[Union]] = {}
    ids = {union.id for union in unions}
    for union in unions:
        parent = union.parent_id if union.parent_id in ids else None
        by_parent.setdefault(parent, []).append(union)
    ordered: list[tuple[Union, int, int]] = []

    def walk(parent_id, depth):
        for union in sorted(by_parent.get(parent_id, []), key=lambda u: u.code):
            ordered.append((union, depth, counts.get(union.id, 0)))
            walk(union.id, depth + 1)

    walk(None, 0)
    return ordered


def find_union(code: str) -> Union:
    """The union with ``code`` (as typed: spaces and case do not matter), or ``InvalidInput``."""
    union = db.session.scalar(select(Union).where(Union.code == code.strip().upper()))
    if union is None:
        raise InvalidInput(N_("找不到工会代码 %(union_code)s。"), field="union_code", union_code=code)
    return union


@unit_of_work
def create_union(actor, *, code: str, name: str, kind: str, parent_code: str | None) -> Union:
    """Add a union below ``parent_code`` (administrators only)."""
    require_role(actor, Role.ADMIN)
    code, name = code.strip().upper(), name.strip()
    if not code or not name:
        raise InvalidInput(N_("请填写工会代码和名称。"), field="code")
    try:
        kind = UnionKind(kind)
    except ValueError:
        raise InvalidInput(N_("请选择工会类型。"), field="kind") from None
    if db.session.scalar(select(Union.id).where(Union.code == code)):
        raise Conflict(N_("工会代码 %(union_code)s 已被使用。"), field="code", union_code=code)
    parent = None
    if parent_code:
        parent = db.session.scalar(select(Union).where(Union.code == parent_code.strip().upper()))
        if parent is None:
            raise InvalidInput(N_("找不到上级工会 %(parent_code)s。"), field="parent_code", parent_code=parent_code)
    elif kind is not UnionKind.FEDERATION:
        raise InvalidInput(N_("除市总工会外，每个工会都要有上级工会。"), field="parent_code")
    union = add_union(code, name, kind, parent, district=parent.district if parent else name)
    audit.record(actor, "union.create", "union", union.id, code=code, parent=parent_code)
    return union


def get_union(actor, code: str) -> Union:
    require_role(actor, Role.ADMIN)
    union = db.session.scalar(select(Union).where(Union.code == code.strip().upper()[:32]))
    if union is None:
        raise NotFound(N_("找不到工会代码 %(union_code)s。"), union_code=code[:32])
    return union


@unit_of_work
def update_union(actor, code: str, *, name: str, kind: str, district: str = "", contact_name: str = "",
                 contact_phone: str = "", takes_join_requests: bool = False) -> Union:
    """Edit a union's name, kind, district and contact (administrators only; the code stays)."""
    union = get_union(actor, code)
    name = name.strip()
    if not name:
        raise InvalidInput(N_("请填写工会名称。"), field="name")
    try:
        kind = UnionKind(kind)
    except ValueError:
        raise InvalidInput(N_("请选择工会类型。"), field="kind") from None
    if (kind is UnionKind.FEDERATION) != (union.parent_id is None):
        raise InvalidInput(N_("只有最上级的市总工会是“市总工会”类型。"), field="kind")
    before = {"name": union.name, "kind": union.kind, "district": union.district}
    union.name, union.kind = name[:120], kind
    union.district = district.strip()[:40] or union.district
    union.contact_name = contact_name.strip()[:40] or None
    union.contact_phone = contact_phone.strip()[:20] or None
    union.takes_join_requests = bool(takes_join_requests)
    audit.record(actor, "union.update", "union", union.id, code=union.code, before=before,
                 after={"name": union.name, "kind": union.kind, "district": union.district})
    return union


@unit_of_work
def move_union(actor, code: str, *, parent_code: str) -> Union:
    """Put a union (and everything below it) under another parent. The scopes follow at once: an
    officer's subtree is the union's path, and every path below the union is rewritten in one UPDATE.
    Refused when the new parent lies inside the union's own subtree (a cycle)."""
    union = get_union(actor, code)
    if union.parent_id is None:
        raise InvalidInput(N_("市总工会是最上级，不能移动。"), field="parent_code")
    parent = db.session.scalar(select(Union).where(Union.code == (parent_code or "").strip().upper()[:32]))
    if parent is None:
        raise InvalidInput(N_("找不到上级工会 %(parent_code)s。"), field="parent_code", parent_code=parent_code[:32])
    old_parent = union.parent.code if union.parent else None
    if not _move(union, parent):
        return union
    audit.record(actor, "union.move", "union", union.id, code=union.code, from_parent=old_parent,
                 to_parent=parent.code)
    return db.session.get(Union, union.id)


def _move(union: Union, parent: Union) -> bool:
    """Rewrite the paths of ``union``'s subtree under ``parent``; whether anything moved."""
    if union.contains(parent):
        raise InvalidInput(N_("不能把工会移到它自己或它的下级工会之下。"), field="parent_code")
    if parent.kind == UnionKind.GRASSROOTS:
        raise InvalidInput(N_("基层工会下不能再设工会，请选择总工会作为上级。"), field="parent_code")
    if parent.id == union.parent_id:
        return False
    old_path, new_path = union.path, f"{parent.path}{union.id}/"
    db.session.execute(
        update(Union).where(Union.path.startswith(old_path))
        .values(path=literal(new_path, String).concat(func.substr(Union.path, len(old_path) + 1)))
        .execution_options(synchronize_session=False))
    union.parent_id = parent.id
    if union.kind != UnionKind.DISTRICT and parent.district:
        db.session.execute(update(Union).where(Union.path.startswith(new_path)).values(district=parent.district)
                           .execution_options(synchronize_session=False))
    db.session.flush()
    db.session.expire_all()
    return True


# ---------------------------------------------------------------- import from Excel

IMPORT_HEADERS = ("工会代码", "工会名称", "类型", "上级工会代码", "所在区")
KIND_WORDS = {**{str(label): kind for kind, label in UNION_KIND_LABELS.items()}, **{k.value: k for k in UnionKind},
              "区总工会": UnionKind.DISTRICT, "市（区）总工会": UnionKind.DISTRICT, "街道总工会": UnionKind.STREET,
              "园区总工会": UnionKind.STREET}
MAX_IMPORT_ROWS = 20_000
MAX_REPORTED_PROBLEMS = 10


@dataclass
class ImportOutcome:
    created: int = 0
    updated: int = 0
    moved: int = 0
    unchanged: int = 0


@dataclass
class _Row:
    line: int
    code: str
    name: str
    kind: UnionKind
    parent_code: str
    district: str


def template_xlsx() -> bytes:
    from portal.integrations.spreadsheets import write_xlsx

    return write_xlsx(list(IMPORT_HEADERS), [["LX", "梁溪区总工会", "区（市）总工会", "WX", "梁溪区"],
                                             ["LX0101", "某某公司工会", "基层工会", "LX", "梁溪区"]],
                      sheet="工会组织", text_columns=(0, 3))


def parse_import(rows: list[list[object]]) -> list[_Row]:
    """The union rows of a sheet, or ``InvalidInput`` naming every problem (line by line)."""
    from portal.integrations.spreadsheets import cell_text

    if not rows:
        raise InvalidInput(N_("文件是空的，请使用下载的模板填写。"))
    header = [cell_text(cell) for cell in rows[0]]
    missing = [name for name in IMPORT_HEADERS[:4] if name not in header]
    if missing:
        raise InvalidInput(N_("缺少列：%(columns)s。请使用下载的模板。"), columns="、".join(missing))
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise InvalidInput(N_("一次最多导入%(max)s个工会。"), max=MAX_IMPORT_ROWS)
    at = {name: header.index(name) for name in IMPORT_HEADERS if name in header}
    parsed, problems, seen = [], [], set()
    for line, raw in enumerate(rows[1:], start=2):
        cells = {name: cell_text(raw[index]) if index < len(raw) else "" for name, index in at.items()}
        if not any(cells.values()):
            continue
        code, name = cells["工会代码"].upper()[:33], cells["工会名称"][:121]
        kind = KIND_WORDS.get(cells["类型"])
        problem = (N_("工会代码或名称为空") if not code or not name else
                   N_("工会代码或名称过长") if len(code) > 32 or len(name) > 120 else
                   N_("类型应为“区（市）总工会”“街道（园区）总工会”或“基层工会”")
                   if kind in (None, UnionKind.FEDERATION) else
                   N_("工会代码在文件中重复") if code in seen else
                   N_("缺少上级工会代码") if not cells["上级工会代码"] else None)
        if problem:
            problems.append((line, problem))
            continue
        seen.add(code)
        parsed.append(_Row(line, code, name, kind, cells["上级工会代码"].upper()[:32], cells.get("所在区", "")[:40]))
    if problems:
        raise _problems(problems)
    return parsed


def _problems(problems: list[tuple[int, str]]) -> InvalidInput:
    shown = "；".join(f"第{line}行：{problem}" for line, problem in problems[:MAX_REPORTED_PROBLEMS])
    more = f"（另有{len(problems) - MAX_REPORTED_PROBLEMS}处）" if len(problems) > MAX_REPORTED_PROBLEMS else ""
    return InvalidInput(N_("文件有%(count)s处问题，未导入任何工会：%(problems)s%(more)s"), count=len(problems),
                        problems=shown, more=more)


@unit_of_work
def import_unions(actor, data: bytes, filename: str) -> ImportOutcome:
    """Create or update the unions of a sheet, in whatever order their rows come (a parent may be
    further down). All or nothing: any problem refuses the whole file, with every problem listed."""
    require_role(actor, Role.ADMIN)
    # An uploaded file is untrusted: read in a child process under memory, CPU and time limits.
    rows = parse_import(read_sheet(data, filename).rows)
    outcome, waiting, problems = ImportOutcome(), rows, []
    while waiting:
        codes = {row.parent_code for row in waiting} | {row.code for row in waiting}
        known = {union.code: union for union in db.session.scalars(select(Union).where(Union.code.in_(codes)))}
        ready = [row for row in waiting if row.parent_code in known]
        if not ready:
            problems += [(row.line, N_("找不到上级工会代码（文件和系统中都没有）")) for row in waiting]
            break
        for row in ready:
            try:
                _import_row(row, known, outcome)
            except InvalidInput as error:
                problems.append((row.line, error.msgid))
        waiting = [row for row in waiting if row not in ready]
    if problems:
        raise _problems(sorted(problems))
    audit.record(actor, "union.import", "union", None, file=filename[:100], created=outcome.created,
                 updated=outcome.updated, moved=outcome.moved)
    return outcome


def _import_row(row: _Row, known: dict[str, Union], outcome: ImportOutcome) -> None:
    parent = known[row.parent_code]
    union = known.get(row.code)
    if union is None:
        add_union(row.code, row.name, row.kind, parent, district=row.district or parent.district)
        outcome.created += 1
        return
    if union.parent_id is None:
        raise InvalidInput(N_("市总工会是最上级，不能移动。"))
    changed = (union.name, union.kind, union.district) != (row.name, row.kind, row.district or union.district)
    union.name, union.kind, union.district = row.name, row.kind, row.district or union.district
    if _move(union, parent):
        outcome.moved += 1
    elif changed:
        outcome.updated += 1
    else:
        outcome.unchanged += 1
