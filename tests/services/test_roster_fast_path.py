"""Issue 14: the roster import's fast path (rows checked in one pass, members found a chunk at a time,
ID numbers and mobiles encrypted a chunk at a time, rows written by the driver) gives what the
rules say: every error of every row, duplicates in the file, members already known or covered,
ciphertexts the vault decrypts and lookup hashes that find the member."""

import base64
import hmac
import os
from datetime import date

from cryptography.fernet import Fernet
from sqlalchemy import select, text

from portal.domain import enrollment as rules
from portal.domain.plans import cover_period
from portal.extensions import db
from portal.models import Enrollment, Member
from portal.pii import fernet_tokens, lookup_hash, vault
from portal.services.enrollment import roster_rows
from tests.factories import TODAY, create_enrollment, create_member, create_union
from tests.services.test_enrollment_rosters import _plan, person, run, xlsx


def test_fernet_tokens_are_byte_for_byte_the_tokens_fernet_writes():
    key = os.urandom(32)
    fernet = Fernet(base64.urlsafe_b64encode(key))
    values = ["", "1", "13900000001", "x" * 15, "y" * 16, "z" * 17, person(1), "张三·李四" * 7]
    tokens = fernet_tokens(key, values, now=1_790_000_000)
    assert [fernet.decrypt(token.encode()).decode() for token in tokens] == values
    ivs = []
    for value, token in zip(values, tokens, strict=True):
        iv = base64.urlsafe_b64decode(token)[9:25]
        ivs.append(iv)
        # Fernet itself, given the same time and IV, writes exactly this token.
        assert fernet._encrypt_from_parts(value.encode(), 1_790_000_000, iv).decode() == token
    assert len(set(ivs)) == len(values)  # a fresh IV per value, never shared
    assert fernet_tokens(key, []) == []


def test_the_vault_decrypts_what_encrypt_many_stores(app):
    values = [person(n) for n in range(50)]
    tokens = vault().encrypt_many(values)
    assert [vault().decrypt(token) for token in tokens] == values
    assert all(value not in token for value, token in zip(values, tokens, strict=True))
    assert lookup_hash(values[0]) == hmac.new(vault()._hash_key, values[0].encode(), "sha256").hexdigest()


def test_a_roster_over_many_chunks_gives_what_the_rules_say(monkeypatch):
    monkeypatch.setattr(roster_rows, "CHUNK_ROWS", 3)  # chunk boundaries everywhere
    union = create_union("LX01")
    other = create_union("HS01", "惠山区长安街道总工会")
    plan = _plan()
    known = create_member(union=other, name="老会员", mobile="13800000099")
    covered = create_member(union=other, name="已参保")
    create_enrollment(covered, plan, starts_on=date(2026, 3, 1), union=other)
    renewing = create_member(union=union, name="续保人")
    create_enrollment(renewing, plan, starts_on=date(2025, 7, 2), union=union)  # ends 2026-07-01
    bad_checksum = person(5)[:-1] + ("0" if person(5)[-1] != "0" else "1")
    new_people = {n: (f"新人{given}", person(n), f"1390000{n:04d}")
                  for n, given in zip((1, 10, 11, 12, 13, 14), "甲乙丙丁戊己", strict=True)}
    data = xlsx([
        ["花名册"],
        ["姓名", "身份证号", "手机号", "职业", "是否新就业形态劳动者", "是否参加社保"],
        [*new_people[1], "快递员", "", "是"],                 # 3 new, gig by occupation
        ["没手机", person(2), "", "", "", ""],                 # 4 new without a mobile: error
        ["重复者", person(1), "13900000777", "", "", ""],      # 5 duplicate of row 3
        ["老会员", known.id_number, "", "", "否", ""],          # 6 known member: cover only
        ["已参保", covered.id_number, "", "", "", ""],          # 7 covered by another union
        ["王五", bad_checksum, "123", "", "也许", "不清楚"],      # 8 four errors
        ["未参保", person(6), "13900000006", "", "", "否"],      # 9 refused by the plan's rules
        [*new_people[10], "", "否", "是"],                      # 10
        [*new_people[11], "环卫工人", "", ""],                  # 11
        ["续保人", renewing.id_number, "", "", "", ""],         # 12 renewal
        ["重复二", person(10), "13900000888", "", "", ""],      # 13 duplicate of row 10, another chunk
        [*new_people[12], "", "", ""],                          # 14
        [None],                                                 # 15 blank
        [*new_people[13], "", "", ""],                          # 16
        [*new_people[14], "", "", ""],                          # 17
    ])
    outcome = run(union, data)

    errors = sorted((issue.row, issue.column) for issue in outcome.errors)
    assert errors == sorted([(4, "手机号"), (5, "身份证号"), (8, "手机号"), (8, "是否新就业形态劳动者"),
                             (8, "是否参加社保"), (8, "身份证号"), (9, "是否参加社保"), (13, "身份证号")])
    assert next(i for i in outcome.errors if i.row == 5).message.startswith("与第3行的身份证号重复")
    assert next(i for i in outcome.errors if i.row == 13).message.startswith("与第10行的身份证号重复")
    assert [issue.row for issue in outcome.covered] == [7]
    assert "惠山区长安街道总工会" in outcome.covered[0].message
    assert (outcome.total_rows, outcome.ok_rows, outcome.created, outcome.members_created) == (14, 8, 8, 6)

    starts_on, ends_on = cover_period(TODAY)
    for n, (name, number, mobile) in new_people.items():
        member = Member.by_id_number(number)  # the lookup hash finds them
        assert (member.name, member.mobile, member.union_id) == (name, mobile, union.id)
        assert member.mobile_hash == lookup_hash(mobile)
        assert (member.gender, member.birth_date) == (
            "M" if int(number[16]) % 2 else "F", date(int(number[6:10]), int(number[10:12]), int(number[12:14])))
        assert (member.sms_consent, member.is_verified, member.session_generation) == (True, True, 0)
        assert member.is_gig_worker is (n == 1) and member.has_social_insurance is True
        assert member.occupation == {1: "快递员", 11: "环卫工人"}.get(n)
        assert member.created_at.tzinfo is not None
        stored = db.session.execute(text("SELECT id_number, mobile FROM members WHERE id = :id"),
                                    {"id": member.id}).one()
        assert number not in stored.id_number and mobile not in stored.mobile  # encrypted at rest
        assert (vault().decrypt(stored.id_number), vault().decrypt(stored.mobile)) == (number, mobile)
    for number in (person(2), person(6), bad_checksum):
        assert Member.by_id_number(number) is None
    assert db.session.get(Member, known.id).union_id == other.id  # a known member keeps their union

    enrolled = db.session.scalars(select(Enrollment).where(Enrollment.union_id == union.id,
                                                           Enrollment.plan_year == 2026)).all()
    by_member = {enrollment.member_id: enrollment for enrollment in enrolled}
    expected = {Member.by_id_number(number).id for _name, number, _mobile in new_people.values()}
    assert set(by_member) == expected | {known.id, renewing.id} and len(enrolled) == 8
    for member_id, enrollment in by_member.items():
        assert (enrollment.status, enrollment.channel, enrollment.payer, enrollment.plan_id) == (
            "active", "roster", "union", plan.id)
        assert (enrollment.starts_on, enrollment.ends_on) == (starts_on, ends_on)
        assert enrollment.contribution_fen == plan.contribution_fen and enrollment.confirmed_at is not None
        assert enrollment.is_renewal is (member_id == renewing.id)
        assert enrollment.campaign_id is None and enrollment.cancelled_reason is None
    assert db.session.scalar(select(Enrollment).where(Enrollment.member_id == covered.id,
                                                      Enrollment.union_id == union.id)) is None


def test_checking_and_importing_agree_row_for_row(monkeypatch):
    """A check (nothing written) and the import report the same rows the same way."""
    monkeypatch.setattr(roster_rows, "CHUNK_ROWS", 2)
    union = create_union("LX01")
    _plan()
    rows = [["姓名", "身份证号", "手机号"]]
    rows += [[f"成员{given}", person(200 + n), f"139001{n:05d}" if n % 4 else ""]
             for n, given in enumerate("甲乙丙丁戊己庚辛壬")]
    rows.append(["重复", person(203), "13900200003"])
    data = xlsx(rows)
    checked = run(union, data, write=False)
    imported = run(union, data)
    assert [(i.row, i.column, i.message) for i in checked.errors] == \
        [(i.row, i.column, i.message) for i in imported.errors]
    assert (checked.ok_rows, checked.created) == (imported.ok_rows, 0)
    assert imported.created == imported.ok_rows == 6
    validator = rules.RosterValidator(today=TODAY)
    good = [row for row in validator.check(enumerate(rows, start=1)) if isinstance(row, rules.RosterRow)]
    assert {Member.by_id_number(row.id_number.value).id for row in good if row.mobile} == \
        {e.member_id for e in db.session.scalars(select(Enrollment))}
