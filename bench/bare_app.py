"""The bare baseline of the page benchmarks: the least a Flask route can do to show the same data.

A separate tiny WSGI app (``gunicorn bench.bare_app:app``), no ORM, no session, no forms, no
translations: the raw driver (``sqlite3`` or ``psycopg``, one connection per worker), the same
indexed queries the portal's pages run, and a minimal Jinja template for the same rows, compiled
once. The member and reviewer are fixed by the environment (no sign-in). Personal data is
decrypted and masked as the portal does, with the same key, so both sides pay for it.

    BARE_DATABASE_URL=sqlite:////path/portal.db | postgresql://…   BARE_MEMBER_ID=1   BARE_DATA_KEY=…
"""

from __future__ import annotations

import os

from flask import Flask

from portal.domain.identity import mask_id_number, mask_mobile, mask_name
from portal.pii import PersonalDataVault

app = Flask(__name__)
URL = os.environ.get("BARE_DATABASE_URL", "")
MEMBER_ID = int(os.environ.get("BARE_MEMBER_ID", "1"))
VAULT = PersonalDataVault(os.environ["BARE_DATA_KEY"]) if os.environ.get("BARE_DATA_KEY") else None
IS_SQLITE = URL.startswith("sqlite")
OPEN = ("submitted", "in_review", "awaiting_second")
_connection = None

LAYOUT = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>{% block body %}{% endblock %}</main></body></html>"""

CLAIMS = LAYOUT.replace("{% block body %}{% endblock %}", """
{% for c in claims %}<article><h2><a href="/claims/{{ c[0] }}">{{ c[1] }} · LP{{ '%07d' % c[0] }}</a></h2>
<p><span>{{ c[2] }}</span> {{ c[3] or '' }} {{ c[4] or '' }}</p>
{% if c[5] is not none %}<p>金额：<strong>{{ '{:,.2f}'.format(c[5] / 100) }}元</strong></p>{% endif %}</article>
{% else %}<p>您还没有理赔申请。</p>{% endfor %}""")

COVER = LAYOUT.replace("{% block body %}{% endblock %}", """
<p>{{ name }} · {{ id_number }} · {{ mobile }}</p>
{% for e in covers %}<article><h2>{{ e[1] }}年度 · {{ e[6] }}</h2><p>{{ e[2] }} {{ e[3] }}—{{ e[4] }}</p>
<p>住院津贴每天{{ '{:,.2f}'.format(e[7] / 100) }}元，最多{{ e[8] }}天；重疾{{ '{:,.2f}'.format(e[9] / 100) }}元；
意外身故{{ '{:,.2f}'.format(e[10] / 100) }}元</p></article>
{% else %}<p>您目前没有保障。</p>{% endfor %}""")

QUEUE = LAYOUT.replace("{% block body %}{% endblock %}", """
<p>{% for status, count in counts %}{{ status }} {{ count }} {% endfor %} · 共{{ total }}件</p>
<table><tr><th>编号</th><th>职工</th><th>工会</th><th>类型</th><th>提交</th><th>状态</th><th>测算金额</th></tr>
{% for r in rows %}<tr><td><a href="/review/claims/{{ r[0] }}">LP{{ '%07d' % r[0] }}</a></td><td>{{ r[1] }}</td>
<td>{{ r[2] or '' }}</td><td>{{ r[3] }}</td><td>{{ r[4] }}</td><td>{{ r[5] }}</td>
<td>{{ '{:,.2f}'.format((r[6] or 0) / 100) }}元</td></tr>{% endfor %}</table>""")


# Compiled once, as Flask's render_template does for template files: compiling on every request (what
# render_template_string does) cost the baseline more than its queries and made the ratios look better.
CLAIMS_TEMPLATE, COVER_TEMPLATE, QUEUE_TEMPLATE = (app.jinja_env.from_string(source)
                                                   for source in (CLAIMS, COVER, QUEUE))


def _cursor():
    global _connection
    if _connection is None:
        if IS_SQLITE:
            import sqlite3

            _connection = sqlite3.connect(URL.removeprefix("sqlite:///"), check_same_thread=False)
        else:
            import psycopg

            _connection = psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    return _connection.cursor()


def _q(sql: str) -> str:
    return sql.replace("%s", "?") if IS_SQLITE else sql


def _rows(sql: str, *params) -> list:
    cursor = _cursor()
    cursor.execute(_q(sql), params)
    return cursor.fetchall()


@app.get("/claims")
def claims():
    rows = _rows("SELECT id, claim_type, status, event_date, hospital, COALESCE(approved_fen, calculated_fen) "
                 "FROM claims WHERE member_id = %s ORDER BY id DESC", MEMBER_ID)
    return CLAIMS_TEMPLATE.render(title="我的理赔", claims=rows)


@app.get("/cover")
def cover():
    name, id_number, mobile = _rows("SELECT name, id_number, mobile FROM members WHERE id = %s", MEMBER_ID)[0]
    covers = _rows("SELECT e.id, e.plan_year, e.status, e.starts_on, e.ends_on, e.channel, p.name, "
                   "p.hospital_daily_fen, p.hospital_days_cap, p.critical_illness_fen, p.accident_death_fen "
                   "FROM enrollments e JOIN plans p ON p.id = e.plan_id WHERE e.member_id = %s "
                   "ORDER BY e.plan_year DESC", MEMBER_ID)
    return COVER_TEMPLATE.render(title="我的保障", name=name,
                                  id_number=mask_id_number(VAULT.decrypt(id_number)),
                                  mobile=mask_mobile(VAULT.decrypt(mobile)) if mobile else "", covers=covers)


@app.get("/queue")
def queue():
    marks = ", ".join(["%s"] * len(OPEN))
    total = _rows(f"SELECT count(id) FROM claims WHERE status != 'draft' AND status IN ({marks})", *OPEN)[0][0]
    ids = [row[0] for row in _rows(
        f"SELECT id FROM claims WHERE status != 'draft' AND status IN ({marks}) ORDER BY submitted_at, id LIMIT 50",
        *OPEN)]
    rows = []
    if ids:
        id_marks = ", ".join(["%s"] * len(ids))
        found = {row[0]: row for row in _rows(
            f"SELECT c.id, m.name, u.name, c.claim_type, c.submitted_at, c.status, c.calculated_fen "
            f"FROM claims c JOIN members m ON m.id = c.member_id LEFT JOIN unions u ON u.id = c.union_id "
            f"WHERE c.id IN ({id_marks})", *ids)}
        rows = [(r[0], mask_name(r[1]), *r[2:]) for r in (found[i] for i in ids)]
    counts = _rows("SELECT status, count(*) FROM claims WHERE status IN "
                   "('submitted', 'in_review', 'awaiting_second', 'approved', 'needs_documents') GROUP BY status")
    return QUEUE_TEMPLATE.render(title="理赔审核", rows=rows, total=total, counts=counts)
