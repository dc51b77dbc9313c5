"""The foundation's demo data: unions, members, staff accounts."""

from __future__ import annotations

from datetime import date, timedelta

from portal.domain.errors import InvalidInput
from portal.domain.identity import compose_id_number, parse_id_number, parse_mobile
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Member, StaffUser, UnionKind, add_union
from portal.models.base import utcnow
from portal.models.members import GIG_OCCUPATIONS

DEMO_PASSWORD = "demo-portal-2026"
# Administrators and reviewers must use two-factor: the demo ones are enrolled with these published
# keys (add one to an authenticator app, or print the current code: ``flask demo-totp admin``).
DEMO_TOTP_SECRETS = {
    "admin": "PORTALDEMOADMINTWOFACTORSECRET22",
    "reviewer": "PORTALDEMOREVIEWERTWOFACTORKEY22",
}

# (code, name, region code used for members' ID numbers, grassroots unions under it)
DISTRICTS = [
    ("LX", "梁溪区总工会", "320213", ["梁溪区快递行业工会联合会", "崇安寺街道总工会", "梁溪区环卫工会"]),
    ("XS", "锡山区总工会", "320205", ["锡山区东港镇总工会", "锡山经济开发区工会"]),
    ("HS", "惠山区总工会", "320206", ["惠山区长安街道总工会", "惠山经开区总工会"]),
    ("BH", "滨湖区总工会", "320211", ["滨湖区荣巷街道总工会", "雪浪街道总工会"]),
    ("XW", "新吴区总工会", "320214", ["新吴区软件园工会", "新吴区网约车行业工会"]),
    ("JY", "江阴市总工会", "320281", ["江阴市物流行业工会"]),
    ("YX", "宜兴市总工会", "320282", ["宜兴市陶瓷行业工会"]),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国志强海燕晨阳子涵浩然欣怡"
OTHER_OCCUPATIONS = ["企业职工", "企业职工", "企业职工", "环卫工人", "机关事业单位职工", "个体工商户"]

# A known member to sign in with, printed by ``make run``.
DEMO_MEMBER_BIRTH = date(1988, 5, 20)
DEMO_MEMBER_MOBILE = "13861800001"
DEMO_MEMBER_SEQUENCE = 1  # odd: 虞师傅 is a man; below 100, so no other demo member can share it


def _name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _mobile(rng) -> str:
    """A random mobile the sign-in form accepts: drawn again until ``parse_mobile`` takes it, so no
    demo member is stuck behind a range (154, 174, 179, …) the numbering plan does not give out."""
    while True:
        candidate = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        try:
            return parse_mobile(candidate)
        except InvalidInput:
            continue


def _member(context, union, region: str, index: int, *, name=None, birth=None, mobile=None, occupation=None,
            sequence=None):
    rng = context.rng
    birth = birth or date(rng.randint(1968, 2002), rng.randint(1, 12), rng.randint(1, 28))
    sequence = 100 + index if sequence is None else sequence
    parsed = parse_id_number(compose_id_number(region, birth, sequence), today=context.today)
    if occupation is None:
        occupation = rng.choice(GIG_OCCUPATIONS) if rng.random() < 0.35 else rng.choice(OTHER_OCCUPATIONS)
    member = Member(
        name=name or _name(rng),
        union=union,
        occupation=occupation,
        is_gig_worker=occupation in GIG_OCCUPATIONS,
        has_social_insurance=rng.random() < 0.9,
    )
    # About one family in twenty is on its union's hardship register (registered by portal.demo.hardship).
    if rng.random() < 0.05:
        context.hardship_candidates.append(member)
    member.sms_consent = rng.random() < 0.95
    member.set_identity(parsed)
    member.set_mobile(mobile or _mobile(rng))
    db.session.add(member)
    context.members.append(member)
    return member


def load(context, *, members: int = 300) -> None:
    federation = add_union("WX", "无锡市总工会", UnionKind.FEDERATION, district="无锡市")
    context.unions["WX"] = federation
    grassroots = []
    for code, name, region, children in DISTRICTS:
        district = add_union(code, name, UnionKind.DISTRICT, federation, district=name.removesuffix("总工会"),
                             takes_join_requests=True)
        context.unions[code] = district
        for number, child in enumerate(children, start=1):
            is_street = any(word in child for word in ("街道", "开发区", "经开区"))
            kind = UnionKind.STREET if is_street else UnionKind.GRASSROOTS
            union = add_union(f"{code}{number:02d}", child, kind, district, district=district.district)
            context.unions[union.code] = union
            grassroots.append((union, region))

    first_union, first_region = grassroots[0]
    _member(context, first_union, first_region, 0, name="虞建国", birth=DEMO_MEMBER_BIRTH,
            mobile=DEMO_MEMBER_MOBILE, occupation="快递员", sequence=DEMO_MEMBER_SEQUENCE)
    for index in range(1, members):
        union, region = grassroots[index % len(grassroots)]
        _member(context, union, region, index)

    accounts = [
        ("admin", "系统管理员", Role.ADMIN, None),
        ("reviewer", "互助会审核员", Role.REVIEWER, None),
        ("officer", "梁溪快递工会经办人", Role.UNION_OFFICER, first_union),
        ("officer_hs", "惠山区总工会经办人", Role.UNION_OFFICER, context.unions["HS"]),
        ("organiser", "新吴区暑托班负责人", Role.CHILDCARE_ORGANISER, context.unions["XW"]),
        ("enterprise", "爱心企业联系人", Role.ENTERPRISE, None),
    ]
    for username, display_name, role, union in accounts:
        user = StaffUser(username=username, display_name=display_name, role=role, union=union)
        user.set_password(DEMO_PASSWORD)
        if username in DEMO_TOTP_SECRETS:
            user.totp_secret, user.totp_enabled_at = DEMO_TOTP_SECRETS[username], utcnow()
        db.session.add(user)
        context.staff[username] = user
    context.notes.append(
        f"工作人员: admin / reviewer / officer / officer_hs / organiser / enterprise, 密码 {DEMO_PASSWORD}"
    )
    context.notes.append(
        "两步验证 (admin, reviewer): " + ", ".join(f"{name} {key}" for name, key in DEMO_TOTP_SECRETS.items())
        + " — 当前验证码: flask --app wsgi demo-totp admin"
    )
    demo_id = compose_id_number(first_region, DEMO_MEMBER_BIRTH, DEMO_MEMBER_SEQUENCE)
    context.notes.append(f"会员: 身份证号 {demo_id}, 手机 {DEMO_MEMBER_MOBILE} (验证码见控制台或 管理员→短信)")
    context.today_minus_year = context.today - timedelta(days=365)
