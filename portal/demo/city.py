"""City-scale demo data (``flask --app wsgi demo-data --scale city``): the figures of the Wuxi
federation's newspaper page on top of the small demo, written with bulk inserts.

About 2,000 grassroots unions, 300,000 members (one in ten a gig worker), 600,000 enrolments over
three plan years, 60,000 claims of which 12,388 paid (19,155,800元 in paid payout batches), 200
stations each with a kiosk, 500 work-study positions and 60 childcare classes with 3,000
registrations. ``scale`` multiplies every figure (``test`` is a thousandth, for the suite).

The large tables go through SQLAlchemy Core ``insert`` with lists of rows (``executemany``:
psycopg's pipeline on PostgreSQL), in chunks, with every column's Python default and type applied
as the models apply them: ID numbers, mobiles and bank cards are encrypted by ``EncryptedText``
and their lookup hashes are the vault's, so the portal reads these rows exactly as its own. The
small tables (stations, kiosks, enterprises, classes) go through the areas' services or models.

Deterministic (a seeded generator), and additive: a second call adds another slice with new codes,
ID numbers and mobiles (the N+1 tests render pages with N and 3N rows this way).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select, text, update

from portal.domain.childcare import ClassStatus, PriorityCategory, RegistrationStatus
from portal.domain.claims import CLAIM_TYPE_LABELS, ClaimStatus, ClaimType, PayoutBatchStatus
from portal.domain.enrollment import EnrollmentStatus
from portal.domain.errors import InvalidInput
from portal.domain.identity import compose_id_number, parse_mobile
from portal.domain.jobs import EnterpriseStatus, PositionStatus, compose_uscc
from portal.domain.plans import cover_period
from portal.extensions import db
from portal.models import (
    Campaign,
    Child,
    ChildcareClass,
    Enrollment,
    Enterprise,
    Member,
    Plan,
    Position,
    Registration,
    StaffUser,
    Union,
    UnionKind,
)
from portal.models.claims import Claim, ClaimEvent, PayoutBatch, PayoutItem
from portal.models.members import GIG_OCCUPATIONS
from portal.pii import lookup_hash

# The newspaper's figures (../shared/seed/wuxi-union-news-409.txt) at scale 1.
FIGURES = {
    "unions": 2000, "members": 300_000, "enrolments": 600_000, "claims": 60_000, "paid": 12_388,
    "paid_fen": 1_915_580_000, "stations": 200, "positions": 500, "enterprises": 61, "classes": 60,
    "registrations": 3000,
}
SCALES = {"small": 0.0, "test": 0.001, "city": 1.0}
CHUNK = 5000  # rows per executemany: bounded memory, few round trips

REGIONS = {"LX": "320213", "XS": "320205", "HS": "320206", "BH": "320211", "XW": "320214", "JY": "320281",
           "YX": "320282"}
BIRTH_FIRST = date(1966, 1, 1)
BIRTH_DAYS = 12_784  # births over 35 years: 1966 to 2000
MOBILE_PREFIXES = ("138", "139", "137", "136", "135", "150", "151", "152", "158", "159", "186", "187", "188",
                   "189", "180", "133", "153", "177", "199", "183")
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
            "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红建国志海燕晨阳子涵浩然欣怡"
WORDS = "华新恒盛德利源达隆兴昌泰丰瑞祥宏鑫嘉信安康顺联创锡惠梁滨太湖运河"
TRADES = ("精密机械", "纺织", "电子科技", "物流", "建设工程", "食品", "医药", "新材料", "汽车零部件", "环境服务",
          "商贸", "软件", "光伏", "服装", "化工", "家政服务", "餐饮管理", "印务", "包装", "数控设备")
OTHER_OCCUPATIONS = ("企业职工", "企业职工", "企业职工", "企业职工", "环卫工人", "机关事业单位职工", "个体工商户")
HOSPITALS = ("无锡市人民医院", "无锡市第二人民医院", "江南大学附属医院", "无锡市中医医院", "无锡市第九人民医院",
             "江阴市人民医院", "宜兴市人民医院")
DIAGNOSES = ("社区获得性肺炎", "急性阑尾炎", "腰椎间盘突出症", "胆囊结石伴胆囊炎", "冠状动脉粥样硬化性心脏病",
             "2型糖尿病", "骨折术后", "急性胃肠炎")
ACCIDENTS = ("送件途中电动车侧滑摔伤", "搬运货物时扭伤腰部", "雨天路滑跌倒致右腕骨折", "装卸时被货架划伤")
BANKS = ("中国工商银行无锡分行", "中国建设银行无锡分行", "中国农业银行无锡分行", "招商银行无锡分行")
# Valid (Luhn) card numbers of the kind Chinese banks issue.
CARDS = ("6222021234567890128", "6217001234567890125", "6228480402564890018", "6214830123456781")
# The statuses of the unpaid claims, in shares of the claims that are not paid.
UNPAID_SHARES = ((ClaimStatus.SUBMITTED, 0.40), (ClaimStatus.IN_REVIEW, 0.10), (ClaimStatus.REJECTED, 0.18),
                 (ClaimStatus.NEEDS_DOCUMENTS, 0.06), (ClaimStatus.DRAFT, 0.12), (ClaimStatus.APPROVED, 0.08),
                 (ClaimStatus.PAYOUT_PENDING, 0.04), (ClaimStatus.AWAITING_SECOND, 0.02))
BATCH_SIZE = 400  # claims per paid payout batch (a month's bank file)


@dataclass
class CityCounts:
    """What one call added, table by table."""

    added: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, count: int) -> None:
        self.added[name] = self.added.get(name, 0) + count

    def __str__(self) -> str:
        return ", ".join(f"{name} {count:,}" for name, count in self.added.items())


def scaled(name: str, scale: float, *, minimum: int = 1) -> int:
    return max(round(FIGURES[name] * scale), minimum)


def chunks(rows: Iterable[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk_insert(model, rows: Iterable[dict]) -> int:
    """Insert ``rows`` into ``model``'s table in chunks through Core (the columns' defaults and
    types apply: timestamps, encryption); returns how many."""
    table = model.__table__
    count = 0
    for batch in chunks(rows):
        db.session.execute(insert(table), batch)
        count += len(batch)
    return count


def _max_id(model) -> int:
    return db.session.scalar(select(func.coalesce(func.max(model.id), 0)))


def _valid_prefixes() -> tuple[str, ...]:
    valid = []
    for prefix in MOBILE_PREFIXES:
        try:
            parse_mobile(f"{prefix}00000000")
        except InvalidInput:
            continue
        valid.append(prefix)
    return tuple(valid)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def grow_city(scale: float, *, today: date | None = None, seed: int = 409) -> CityCounts:
    """Add a city's worth (times ``scale``) of unions, members, covers, claims, payouts, stations,
    kiosks, positions and childcare to a database holding the small demo. Runs in the caller's
    unit of work (one transaction)."""
    today = today or date.today()  # noqa: DTZ011 - the demo's own calendar day
    rng = random.Random(seed + _max_id(Member))
    counts = CityCounts()
    unions = _unions(scaled("unions", scale), rng, counts)
    members = _members(scaled("members", scale), unions, rng, counts)
    enrolments = _enrolments(members, today, rng, counts, target=scaled("enrolments", scale))
    _claims(enrolments, today, rng, counts, total=scaled("claims", scale), paid=scaled("paid", scale),
            paid_fen=round(FIGURES["paid_fen"] * scale))
    _stations(scaled("stations", scale), unions, rng, counts)
    _jobs(scaled("enterprises", scale), scaled("positions", scale), unions, today, rng, counts)
    _childcare(scaled("classes", scale), scaled("registrations", scale), unions, members, today, rng, counts)
    return counts


# ---------------------------------------------------------------------------------------- unions

def _unions(count: int, rng: random.Random, counts: CityCounts) -> list[tuple[int, str]]:
    """Grassroots unions (enterprises, communities) under the districts: ``[(id, region code)]``."""
    districts = list(db.session.execute(
        select(Union.id, Union.code, Union.path, Union.district).where(Union.kind == UnionKind.DISTRICT,
                                                                       Union.code.in_(REGIONS))))
    first_id = _max_id(Union) + 1
    rows = []
    for number in range(count):
        district_id, code, _, district_name = districts[number % len(districts)]
        serial = first_id + number
        name = f"无锡{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司工会"
        rows.append({"code": f"{code}G{serial:05d}", "name": name, "kind": UnionKind.GRASSROOTS,
                     "parent_id": district_id, "path": "/", "district": district_name,
                     "contact_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                     "contact_phone": f"0510-8{serial % 10_000_000:07d}"})
    counts.add("unions", bulk_insert(Union, rows))
    # The materialised path needs each row's id: one UPDATE per district sets them all.
    for district_id, _, path, _ in districts:
        db.session.execute(update(Union).where(Union.parent_id == district_id, Union.id >= first_id)
                           .values(path=path + func.cast(Union.id, db.String) + "/"))
    region_of = {district_id: REGIONS[code] for district_id, code, _, _ in districts}
    return [(union_id, region_of[parent_id]) for union_id, parent_id in db.session.execute(
        select(Union.id, Union.parent_id).where(Union.id >= first_id).order_by(Union.id))]


# --------------------------------------------------------------------------------------- members

@dataclass
class CityMember:
    id: int
    union_id: int
    name: str
    is_gig_worker: bool
    region: str
    gender: str
    birth_date: date


def _members(count: int, unions: list[tuple[int, str]], rng: random.Random,
             counts: CityCounts) -> list[CityMember]:
    prefixes = _valid_prefixes()
    # Numbering continues from the members already there, so ID numbers and mobiles never repeat.
    start = db.session.scalar(select(func.count(Member.id)).where(Member.union_id.in_(
        select(Union.id).where(Union.code.like("%G%")))))
    first_id = _max_id(Member) + 1
    regions = sorted(set(REGIONS.values()))

    def rows():
        for offset in range(count):
            index = start + offset
            union_id = unions[offset % len(unions)][0]
            region = regions[index % len(regions)]  # where the member was born, not where they work
            birth = BIRTH_FIRST + timedelta(days=(index // len(regions)) % BIRTH_DAYS)
            # Region and birth date vary fastest; the sequence block keeps every number distinct.
            sequence = 500 + 2 * (index // (len(regions) * BIRTH_DAYS)) + rng.randint(0, 1)
            id_number = compose_id_number(region, birth, sequence)
            mobile = f"{prefixes[index % len(prefixes)]}{(index * 7_919 + 13) % 100_000_000:08d}"
            gig = rng.random() < 0.10
            occupation = rng.choice(GIG_OCCUPATIONS) if gig else rng.choice(OTHER_OCCUPATIONS)
            yield {"name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                   "id_number": id_number, "id_number_hash": lookup_hash(id_number),
                   "gender": "M" if sequence % 2 else "F", "birth_date": birth, "mobile": mobile,
                   "mobile_hash": lookup_hash(mobile), "union_id": union_id, "occupation": occupation,
                   "is_gig_worker": gig, "has_social_insurance": rng.random() < 0.95 or gig,
                   "sms_consent": rng.random() < 0.95, "is_verified": True, "session_generation": 0}

    counts.add("members", bulk_insert(Member, rows()))
    region_of = dict(unions)
    return [CityMember(row.id, row.union_id, row.name, row.is_gig_worker, region_of[row.union_id], row.gender,
                       row.birth_date)
            for row in db.session.execute(
                select(Member.id, Member.union_id, Member.name, Member.is_gig_worker, Member.gender,
                       Member.birth_date).where(Member.id >= first_id).order_by(Member.id))]


# ------------------------------------------------------------------------------------ enrolments

@dataclass
class CityCover:
    id: int
    member: CityMember
    plan_id: int
    plan_year: int
    starts_on: date
    ends_on: date


def _enrolments(members: list[CityMember], today: date, rng: random.Random, counts: CityCounts,
                *, target: int) -> list[CityCover]:
    """Two covers a member on average over three plan years: a third of the members in all
    three, a third in the last two (renewed), a third only this year (gig workers by the gift)."""
    plans = {row.version: row for row in db.session.execute(
        select(Plan.id, Plan.version, Plan.contribution_fen).where(Plan.code == "SANHEYI"))}
    current = max(plans.values(), key=lambda plan: plan.version)
    earliest = min(plans.values(), key=lambda plan: plan.version)
    years = (today.year - 2, today.year - 1, today.year)
    gifted = [m for number, m in enumerate(members) if number % 3 == 2 and m.is_gig_worker]
    campaign = Campaign(name=f"{today.year}年度“锡新保”新就业形态劳动者专项互助保障（全市）", sponsor="无锡市总工会",
                        plan_id=current.id, union_id=db.session.scalar(select(Union.id).where(Union.code == "WX")),
                        opens_on=date(today.year, 1, 1), closes_on=date(today.year, 12, 31),
                        quota=max(len(gifted), 1), claimed_count=len(gifted), occupations=list(GIG_OCCUPATIONS),
                        requires_gig_worker=True, requires_social_insurance=False,
                        description="市总工会为新就业形态劳动者赠送一年三合一互助保障。")
    db.session.add(campaign)
    db.session.flush()
    first_id = _max_id(Enrollment) + 1
    latest_day = min((today - date(today.year, 1, 1)).days, 330)

    def rows():
        made = 0
        for number, member in enumerate(members):
            first_year = number % 3  # 0: three years, 1: two, 2: this year only
            day_of_year = (number * 37) % max(latest_day, 1)
            for year in years[first_year:]:
                if made >= target:
                    return
                made += 1
                confirmed_on = date(year, 1, 1) + timedelta(days=day_of_year)
                starts_on, ends_on = cover_period(confirmed_on)
                is_gift = first_year == 2 and member.is_gig_worker
                plan = earliest if year == years[0] else current
                yield {"member_id": member.id, "plan_id": plan.id, "union_id": member.union_id, "plan_year": year,
                       "status": EnrollmentStatus.ACTIVE if ends_on >= today else EnrollmentStatus.EXPIRED,
                       "channel": "campaign" if is_gift else ("roster" if year == years[first_year] else "renewal"),
                       "payer": "campaign" if is_gift else "union", "is_renewal": year != years[first_year],
                       "contribution_fen": 0 if is_gift else plan.contribution_fen, "starts_on": starts_on,
                       "ends_on": ends_on, "confirmed_at": _at(confirmed_on, 9 + number % 8),
                       "campaign_id": campaign.id if is_gift else None}

    counts.add("enrolments", bulk_insert(Enrollment, rows()))
    # Each renewal points at the cover it renews (the year before), as the renewal service links them.
    previous = Enrollment.__table__.alias("previous")
    db.session.execute(
        update(Enrollment).where(Enrollment.id >= first_id, Enrollment.is_renewal.is_(True))
        .values(renews_id=select(previous.c.id).where(previous.c.member_id == Enrollment.member_id,
                                                      previous.c.plan_year == Enrollment.plan_year - 1)
                .scalar_subquery()))
    by_id = {member.id: member for member in members}
    return [CityCover(row.id, by_id[row.member_id], row.plan_id, row.plan_year, row.starts_on, row.ends_on)
            for row in db.session.execute(
                select(Enrollment.id, Enrollment.member_id, Enrollment.plan_id, Enrollment.plan_year,
                       Enrollment.starts_on, Enrollment.ends_on).where(Enrollment.id >= first_id)
                .order_by(Enrollment.id))]


# ---------------------------------------------------------------------------------------- claims

def _amounts(count: int, total_fen: int, rng: random.Random) -> list[int]:
    """``count`` payouts (whole yuan, at least 200元) adding up to ``total_fen`` exactly."""
    if count == 0:
        return []
    weights = [rng.lognormvariate(0, 0.9) for _ in range(count)]
    scale = total_fen / sum(weights)
    amounts = [max(20_000, round(weight * scale / 100) * 100) for weight in weights]
    amounts[-1] += total_fen - sum(amounts)
    if amounts[-1] < 20_000:  # a tiny scale: spread evenly instead
        amounts = [total_fen // count] * count
        amounts[-1] += total_fen - sum(amounts)
    return amounts


def _claims(covers: list[CityCover], today: date, rng: random.Random, counts: CityCounts, *, total: int,
            paid: int, paid_fen: int) -> None:
    """Claims on distinct covers (so no member has two claims on one stay); the paid ones in paid
    payout batches with one payout item each, the amounts adding up to the article's total."""
    reviewer = db.session.scalar(select(StaffUser.id).where(StaffUser.role == "reviewer").order_by(StaffUser.id))
    # Claims need an event that has happened: a cover that started at least a week ago.
    eligible = [cover for cover in covers if cover.starts_on <= today - timedelta(days=7)]
    chosen = rng.sample(eligible, min(total, len(eligible)))
    # The oldest events are the paid ones, as in life.
    chosen.sort(key=lambda cover: cover.starts_on)
    paid = min(paid, len(chosen))
    statuses: list[str] = [ClaimStatus.PAID] * paid
    unpaid = len(chosen) - paid
    for status, share in UNPAID_SHARES:
        statuses += [status] * round(unpaid * share)
    statuses = (statuses + [ClaimStatus.SUBMITTED] * len(chosen))[:len(chosen)]
    amounts = iter(_amounts(paid, paid_fen, rng))
    first_id = _max_id(Claim) + 1
    kinds = (ClaimType.HOSPITAL,) * 7 + (ClaimType.CRITICAL_ILLNESS,) * 2 + (ClaimType.ACCIDENT,)
    plans = {row.id: row.critical_diseases for row in db.session.execute(select(Plan.id, Plan.critical_diseases))}
    facts_of: list[tuple[str, int, str]] = []  # (status, amount, card) per claim, in insert order

    def rows():
        for number, (cover, status) in enumerate(zip(chosen, statuses, strict=True)):
            member = cover.member
            last_day = min(cover.ends_on, today - timedelta(days=5))
            event = cover.starts_on + timedelta(days=rng.randint(0, max((last_day - cover.starts_on).days, 0)))
            kind = rng.choice(kinds)
            row = {"member_id": member.id, "union_id": member.union_id, "enrollment_id": cover.id,
                   "plan_id": cover.plan_id, "plan_year": cover.plan_year, "claim_type": kind, "status": status,
                   "filed_by_type": "member", "filed_by_id": member.id, "event_date": event,
                   "payee_name": member.name, "bank_name": BANKS[number % len(BANKS)], "flags": [],
                   "flag_codes": "", "is_flagged": False, "version_id": 1, "admission_date": None,
                   "discharge_date": None, "hospital": None, "diagnosis": None, "disease": None,
                   "diagnosis_date": None, "accident_date": None, "accident_description": None,
                   "medical_costs_fen": None, "submitted_at": None, "decided_at": None, "paid_at": None,
                   "calculated_fen": None, "approved_fen": None, "allowance_days": 0, "medical_fen": 0,
                   "pays_critical_illness": False, "bank_card": None, "bank_card_last4": None,
                   "decided_by_id": None, "rejection_code": None, "decision_reason": None}
            if kind == ClaimType.HOSPITAL:
                days = rng.randint(2, 20)
                row.update(admission_date=event, discharge_date=event + timedelta(days=days),
                           hospital=rng.choice(HOSPITALS), diagnosis=rng.choice(DIAGNOSES),
                           allowance_days=days)
            elif kind == ClaimType.CRITICAL_ILLNESS:
                row.update(disease=rng.choice(plans[cover.plan_id] or ["恶性肿瘤"]), diagnosis_date=event,
                           hospital=rng.choice(HOSPITALS), pays_critical_illness=status == ClaimStatus.PAID)
            else:
                row.update(accident_date=event, accident_description=rng.choice(ACCIDENTS),
                           medical_costs_fen=rng.randint(5, 300) * 10_000)
            amount = next(amounts) if status == ClaimStatus.PAID else rng.randint(4, 60) * 10_000
            card = CARDS[number % len(CARDS)]
            if status != ClaimStatus.DRAFT:
                filed = min(event + timedelta(days=rng.randint(row["allowance_days"] + 1, 40)), today)
                row.update(submitted_at=_at(filed, 8 + number % 10), calculated_fen=amount, bank_card=card,
                           bank_card_last4=card[-4:])
                if status in (ClaimStatus.APPROVED, ClaimStatus.PAYOUT_PENDING, ClaimStatus.PAID,
                              ClaimStatus.REJECTED):
                    decided = min(filed + timedelta(days=rng.randint(1, 10)), today)
                    row.update(decided_at=_at(decided, 15), decided_by_id=reviewer)
                if status in (ClaimStatus.APPROVED, ClaimStatus.PAYOUT_PENDING, ClaimStatus.PAID):
                    row["approved_fen"] = amount
                if status == ClaimStatus.REJECTED:
                    row.update(rejection_code="not_covered", decision_reason="事故发生时不在保障期内",
                               approved_fen=None)
            facts_of.append((status, amount, card))
            yield row

    counts.add("claims", bulk_insert(Claim, rows()))
    claims = list(db.session.execute(
        select(Claim.id, Claim.status, Claim.submitted_at, Claim.decided_at, Claim.approved_fen,
               Claim.bank_card_last4, Claim.payee_name, Claim.bank_name, Claim.claim_type)
        .where(Claim.id >= first_id).order_by(Claim.id)))
    _claim_events(claims, counts)
    _payouts(claims, facts_of, reviewer, today, counts)


def _claim_events(claims, counts: CityCounts) -> None:
    from portal.domain.money import format_yuan
    from portal.services.claims import timeline

    def rows():
        for claim in claims:
            created = (claim.submitted_at or _at(date.today())) - timedelta(hours=1)  # noqa: DTZ011
            yield {"claim_id": claim.id, "at": created, "kind": "created", "actor_label": "本人",
                   "message": timeline.interpolate(
                       timeline.CREATED, {"claim_type": CLAIM_TYPE_LABELS[ClaimType(claim.claim_type)]}),
                   "visible_to_member": True}
            if claim.submitted_at is None:
                continue
            yield {"claim_id": claim.id, "at": claim.submitted_at, "kind": "submitted", "actor_label": "本人",
                   "message": timeline.SUBMITTED, "visible_to_member": True}
            if claim.status == ClaimStatus.REJECTED:
                yield {"claim_id": claim.id, "at": claim.decided_at, "kind": "rejected", "actor_label": "互助会审核员",
                       "message": timeline.interpolate(timeline.REJECTED, {"reason": "事故发生时不在保障期内"}),
                       "visible_to_member": True}
            elif claim.approved_fen is not None:
                yield {"claim_id": claim.id, "at": claim.decided_at, "kind": "approved", "actor_label": "互助会审核员",
                       "message": timeline.interpolate(timeline.APPROVED,
                                                       {"amount": format_yuan(claim.approved_fen)}),
                       "visible_to_member": True}
            if claim.status == ClaimStatus.PAID:
                yield {"claim_id": claim.id, "at": claim.decided_at + timedelta(days=3), "kind": "paid",
                       "actor_label": "互助会审核员",
                       "message": timeline.interpolate(timeline.PAID, {"amount": format_yuan(claim.approved_fen),
                                                                       "last4": claim.bank_card_last4}),
                       "visible_to_member": True}

    counts.add("claim_events", bulk_insert(ClaimEvent, rows()))


def _payouts(claims, facts_of, reviewer, today: date, counts: CityCounts) -> None:
    """Paid claims in paid batches of ``BATCH_SIZE`` (oldest first), waiting ones in one open batch."""
    paid = [(claim, facts) for claim, facts in zip(claims, facts_of, strict=True) if claim.status == ClaimStatus.PAID]
    pending = [(claim, facts) for claim, facts in zip(claims, facts_of, strict=True)
               if claim.status == ClaimStatus.PAYOUT_PENDING]
    first_batch = _max_id(PayoutBatch) + 1
    groups = [paid[start:start + BATCH_SIZE] for start in range(0, len(paid), BATCH_SIZE)]
    batches = []
    for number, group in enumerate(groups):
        last_decided = max(claim.decided_at for claim, _ in group)
        paid_at = min(last_decided + timedelta(days=3), _at(today, 9))
        batches.append({"status": PayoutBatchStatus.PAID, "claim_count": len(group),
                        "total_fen": sum(facts[1] for _, facts in group), "created_by_id": reviewer,
                        "exported_at": paid_at - timedelta(days=1), "export_count": 1, "paid_at": paid_at,
                        "paid_by_id": reviewer, "bank_reference": f"ICBC{first_batch + number:08d}",
                        "version_id": 1})
    if pending:
        batches.append({"status": PayoutBatchStatus.OPEN, "claim_count": len(pending),
                        "total_fen": sum(facts[1] for _, facts in pending), "created_by_id": reviewer,
                        "export_count": 0, "version_id": 1, "exported_at": None, "paid_at": None,
                        "paid_by_id": None, "bank_reference": None})
    counts.add("payout_batches", bulk_insert(PayoutBatch, batches))
    batch_ids = list(db.session.scalars(select(PayoutBatch.id).where(PayoutBatch.id >= first_batch)
                                        .order_by(PayoutBatch.id)))
    assignments = [(batch_ids[number], group) for number, group in enumerate(groups)]
    if pending:
        assignments.append((batch_ids[-1], pending))

    def rows():
        for batch_id, group in assignments:
            for claim, (_, amount, card) in group:
                yield {"batch_id": batch_id, "claim_id": claim.id, "amount_fen": amount,
                       "payee_name": claim.payee_name, "bank_name": claim.bank_name, "bank_card": card}

    counts.add("payout_items", bulk_insert(PayoutItem, rows()))
    # A paid claim's paid_at is its batch's.
    for number, group in enumerate(groups):
        db.session.execute(update(Claim).where(Claim.id.in_([claim.id for claim, _ in group]))
                           .values(paid_at=batches[number]["paid_at"]))


# ----------------------------------------------------------------------- stations, jobs, childcare

def _stations(count: int, unions: list[tuple[int, str]], rng: random.Random, counts: CityCounts) -> None:
    """Stations through the area's service, each with a kiosk registered with a fresh key."""
    from portal.demo.stations import _public_key
    from portal.services import stations
    from portal.services.sync import kiosks

    admin = db.session.scalar(select(StaffUser).where(StaffUser.role == "admin").order_by(StaffUser.id))
    codes = dict(db.session.execute(select(Union.id, Union.code).where(Union.id >= unions[0][0])).all())
    start = db.session.scalar(select(func.count()).select_from(text("stations")))
    kinds = ("outdoor_workers", "outdoor_workers", "cooling", "service_centre", "carnation")
    services = ["water", "rest", "charging", "microwave", "toilet", "first_aid"]
    for offset in range(count):
        number = start + offset
        union_id, _ = unions[(offset * 7) % len(unions)]
        code = f"ST{number:05d}"
        kind = kinds[number % len(kinds)]
        place = rng.choice(WORDS) + rng.choice(WORDS)
        station = stations.create_station(admin, stations.StationInput(
            code=code, name=f"{place}{'清凉驿站' if kind == 'cooling' else '服务站'}{number}",
            kind=kind, union_code=codes[union_id], address=f"{place}路{number % 300 + 1}号",
            opening_hours="每天 7:00—21:00", services=rng.sample(services, rng.randint(2, 6)),
            contact_name="站点值班员", contact_phone=f"0510-8{number % 1_000_000:06d}1",
            season_starts_on=None, season_ends_on=None))
        kiosks.register_kiosk(admin, station_code=station.code, name=f"{station.name}一号机", public_key=_public_key())
    counts.add("stations", count)
    counts.add("kiosks", count)


def _jobs(enterprises: int, positions: int, unions, today: date, rng: random.Random, counts: CityCounts) -> None:
    start = _max_id(Enterprise)
    made = []
    for offset in range(enterprises):
        number = start + offset + 1
        union_id, region = unions[(offset * 13) % len(unions)]
        district = db.session.scalar(select(Union.district).where(Union.id == union_id))
        mobile = f"139{number:08d}"
        enterprise = Enterprise(
            name=f"无锡{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司{number}",
            uscc=compose_uscc(region, 700_000 + number), district=district or "无锡市",
            address=f"{district}{rng.choice(WORDS)}路{number}号", union_id=union_id,
            contact_name=rng.choice(SURNAMES) + rng.choice(GIVEN), status=EnterpriseStatus.APPROVED,
            description="爱心企业，为职工子女提供暑期实践岗位。")
        enterprise.contact_mobile, enterprise.contact_mobile_hash = mobile, lookup_hash(mobile)
        db.session.add(enterprise)
        made.append(enterprise)
    db.session.flush()
    titles = ("仓储数据录入", "软件测试实习生", "财务核算助理", "新媒体运营助理", "质量检验实习生", "门店运营助理")
    rows = []
    for number in range(positions):
        enterprise = made[number % len(made)]
        starts_on = today + timedelta(days=rng.randint(20, 200))
        rows.append({"enterprise_id": enterprise.id, "union_id": enterprise.union_id,
                     "title": rng.choice(titles), "description": f"在{enterprise.name}带教老师指导下完成实践任务。",
                     "district": enterprise.district, "address": enterprise.address, "majors": "不限专业",
                     "places": rng.randint(1, 4), "filled": 0, "pay_fen": rng.randint(120, 220) * 100,
                     "pay_unit": "day", "starts_on": starts_on, "ends_on": starts_on + timedelta(days=32),
                     "apply_by": starts_on - timedelta(days=7), "hours": "周一至周五 9:00—17:00", "min_age": 16,
                     "safety_notes": "上岗前安全培训；不安排高处、夜间和有毒有害作业。", "agreement_confirmed": True,
                     "status": PositionStatus.OPEN})
    counts.add("enterprises", len(made))
    counts.add("positions", bulk_insert(Position, rows))


def _childcare(classes: int, registrations: int, unions, members: list[CityMember], today: date,
               rng: random.Random, counts: CityCounts) -> None:
    """Last summer's classes (46 seats), full, with the children of members as registrations."""
    summer = date(today.year if today.month > 8 else today.year - 1, 7, 6)
    made = []
    for number in range(classes):
        union_id, _ = unions[(number * 31) % len(unions)]
        district = db.session.scalar(select(Union.district).where(Union.id == union_id))
        cls = ChildcareClass(
            union_id=union_id, district=district, name=f"“工娃小家”暑托班{number + 1}",
            site_name=f"{rng.choice(WORDS)}{rng.choice(WORDS)}社区职工之家", address=f"{district}社区活动中心",
            starts_on=summer, ends_on=summer + timedelta(days=39), weekdays="12345", daily_start=time(8),
            daily_end=time(17, 30), seats=46, seats_taken=0, last_number=0, min_age=6, max_age=12, fee_fen=0,
            meals="午餐、下午点心（工会承担）", programme="作业辅导、阅读、手工、参观",
            staff_and_volunteers="教师2名、志愿者4名",
            safety_rules="只交给登记的接送人。", registration_opens_on=summer - timedelta(days=30),
            registration_closes_on=summer - timedelta(days=14), status=ClassStatus.PUBLISHED,
            published_at=_at(summer - timedelta(days=35)))
        db.session.add(cls)
        made.append(cls)
    db.session.flush()
    parents = [m for m in members if 1978 <= m.birth_date.year <= 1992] or members
    parents = rng.sample(parents, min(registrations, len(parents)))
    child_rows = []
    for number, parent in enumerate(parents):
        birth = date(summer.year - rng.randint(6, 12), rng.randint(1, 12), rng.randint(1, 28))
        id_number = compose_id_number(parent.region, birth, 800 + number % 100)
        given = rng.choice(("子涵", "浩然", "欣怡", "雨桐"))
        child_rows.append({"parent_id": parent.id, "name": parent.name[0] + given,
                           "id_number": id_number, "id_number_hash": lookup_hash(id_number),
                           "gender": "M" if number % 2 else "F", "birth_date": birth})
    first_child = _max_id(Child) + 1
    counts.add("children", bulk_insert(Child, child_rows))
    children = list(db.session.execute(select(Child.id, Child.parent_id).where(Child.id >= first_child)
                                       .order_by(Child.id)))
    gig = {m.id for m in members if m.is_gig_worker}
    rows = []
    for number, child in enumerate(children):
        cls = made[number % len(made)]
        cls.last_number += 1
        confirmed = cls.seats_taken < cls.seats
        cls.seats_taken += 1 if confirmed else 0
        category = PriorityCategory.GIG_WORKER if child.parent_id in gig else PriorityCategory.GENERAL
        requested = _at(cls.registration_opens_on + timedelta(days=number % 14), 20)
        rows.append({"class_id": cls.id, "child_id": child.id, "parent_id": child.parent_id,
                     "number": cls.last_number,
                     "status": RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITLISTED,
                     "category": category, "category_declared": False,
                     "tier": category.tier,
                     "queue_number": None if confirmed else cls.last_number,
                     "seat_source": "ballot" if confirmed else None,
                     "accepted_rules_at": requested, "requested_at": requested,
                     "confirmed_at": requested + timedelta(days=15) if confirmed else None})
    counts.add("childcare_classes", len(made))
    counts.add("registrations", bulk_insert(Registration, rows))
    for cls in made:
        cls.allocated_at = _at(cls.registration_closes_on + timedelta(days=1))
