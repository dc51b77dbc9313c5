"""The electronic certificate (电子参保凭证): one A4 page when printed, and a QR code whose public
verification page proves the cover without giving away who the holder is."""

import re
from datetime import timedelta

import segno
from playwright.sync_api import expect

from portal import clock
from portal.domain.identity import mask_mobile
from tests.factories import create_enrollment, create_member, create_plan, create_union

PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")  # each page of the PDF; not the /Pages tree


def test_certificate_prints_on_one_a4_page_and_its_qr_code_verifies_publicly(phone, new_page, sign_in):
    member = create_member(union=create_union(name="无锡市总工会机关工会"), name="虞建国")
    enrollment = create_enrollment(member, create_plan(), starts_on=clock.today() - timedelta(days=30))

    sign_in.member(phone, member)
    phone.goto("/enrollment/my")
    phone.get_by_role("link", name="电子参保凭证").first.click()
    certificate = phone.locator("#certificate")
    expect(certificate.get_by_role("heading", name="电子参保凭证")).to_be_visible()
    expect(certificate).to_contain_text("虞建国")
    expect(certificate).to_contain_text(member.masked_id_number)
    expect(certificate).to_contain_text(f"{enrollment.id:08d}")
    assert member.id_number not in certificate.inner_text()

    pdf = phone.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    assert len(PAGE_OBJECT.findall(pdf)) == 1, "the certificate does not print on exactly one A4 page"

    verify_url = certificate.locator(".verify-url").inner_text().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/enrollment/verify/[\w.-]+", verify_url), verify_url
    assert member.id_number not in verify_url
    # The QR code on the page encodes exactly the address printed under it.
    drawn = certificate.locator(".certificate-qr svg path").first.get_attribute("d")
    expected = re.search(r' d="([^"]+)"', segno.make(verify_url, error="m").svg_inline(scale=4)).group(1)
    assert drawn == expected, "the QR code does not encode the verification address shown"

    stranger = new_page()  # whoever scans it: not signed in, another browser
    stranger.goto(verify_url)
    verification = stranger.locator("#verification")
    expect(verification).to_contain_text("有效，保障中")
    expect(verification).to_contain_text("虞*国")
    period = f"{enrollment.starts_on.year}年{enrollment.starts_on.month}月{enrollment.starts_on.day}日"
    expect(verification).to_contain_text(period)
    text = stranger.content()
    for secret in (member.name, member.id_number, member.id_number[6:14], member.mobile, mask_mobile(member.mobile)):
        assert secret not in text, f"the public page gives away {secret}"

    stranger.goto(verify_url[:-3] + "xyz")  # a forged or mistyped code
    expect(stranger.get_by_role("alert")).to_contain_text("凭证无效")


# --- the work-study certificate (实践证明) ------------------------------------------------------
# Issue 15, finding 5: the two certificates shared the ``.certificate`` rules, and one's overrode the
# other's (the enrolment certificate stood 449 px wide on a 360 px phone: the last test below). The
# work-study certificate must fit a 360 px phone without a horizontal scroll, and print on one A4
# page with its lines where they belong: its spaced-out title stood 8 px left of the centre in print.

SMALL_PHONE = {"width": 360, "height": 800}
A4_AT_96_DPI = {"width": 703, "height": 1032}  # (210 − 2 × 12) mm × (297 − 2 × 12) mm


def finished_placement(*, enterprise_name="无锡市惠山区爱心物流股份有限公司（关爱·圆梦勤工俭学实践基地）"):
    """A finished placement with a long enterprise and union name (the longest lines to fit) and the
    student's own link (``/jobs/s/<token>``)."""
    from portal.domain.jobs import certificate_number
    from portal.extensions import db
    from portal.models.base import utcnow
    from portal.services.jobs.placements import link_token_hash
    from tests.factories import create_application, create_enterprise, create_placement, create_position

    union = create_union(name="无锡市惠山区长安街道总工会")
    enterprise = create_enterprise(union=union, name=enterprise_name)
    position = create_position(enterprise, title="档案整理与数字化助理")
    placement = create_placement(create_application(position), status="finished")
    placement.days_worked, placement.pay_received_fen = 22, 330_000
    placement.finished_at = utcnow()
    placement.certificate_no = certificate_number(placement.ends_on.year, placement.id)
    placement.access_token_hash = link_token_hash("certificate-link")
    db.session.commit()
    return placement


def overflow(page) -> dict:
    """How far the page and each line of the certificate reach past the viewport or the certificate."""
    return page.evaluate("""() => {
        const certificate = document.querySelector('#certificate').getBoundingClientRect();
        const out = [];
        document.querySelectorAll('#certificate *').forEach(el => {
            const box = el.getBoundingClientRect();
            if (box.width && (box.right > certificate.right + 0.5 || box.left < certificate.left - 0.5)) {
                out.push(el.tagName + '.' + el.className + ' ' + Math.round(box.left) + '–' + Math.round(box.right));
            }
        });
        return {page: document.documentElement.scrollWidth, viewport: window.innerWidth,
                left: certificate.left, right: certificate.right, outside: out};
    }""")


def heading_off_centre(page) -> float:
    """How far the middle of the certificate title's letters is from the middle of the certificate."""
    return page.evaluate("""() => {
        const title = document.querySelector('#certificate h1');
        const ink = document.createRange();  // the letters, without the box around them
        ink.selectNodeContents(title);
        const letters = [...ink.getClientRects()];
        // Letter-spacing puts its space after each letter, the last one too: the visible word is
        // what lies between the first letter's left and the last letter's right less that space.
        const spacing = parseFloat(getComputedStyle(title).letterSpacing) || 0;
        const left = Math.min(...letters.map(r => r.left));
        const right = Math.max(...letters.map(r => r.right)) - spacing;
        const box = document.querySelector('#certificate').getBoundingClientRect();
        return Math.abs((left + right) / 2 - (box.left + box.right) / 2);
    }""")


def test_the_work_study_certificate_fits_a_360_px_phone(new_page):
    placement = finished_placement()
    page = new_page(viewport=SMALL_PHONE, is_mobile=True, has_touch=True)
    page.goto("/jobs/s/certificate-link/certificate")
    certificate = page.locator("#certificate")
    expect(certificate.get_by_role("heading", name="实践证明")).to_be_visible()
    expect(certificate).to_contain_text(placement.student.name)
    expect(certificate).to_contain_text(placement.certificate_no)
    measured = overflow(page)
    assert measured["page"] <= SMALL_PHONE["width"], f"the page scrolls sideways: {measured}"
    assert 0 <= measured["left"] and measured["right"] <= SMALL_PHONE["width"], measured
    assert not measured["outside"], f"lines stand out of the certificate: {measured['outside']}"
    assert heading_off_centre(page) < 2, "the title is not centred on the certificate"
    # The enrolment certificate's rules no longer reach it: its own padding and width, not the
    # 24 px / 780 px of ``.certificate``.
    width = page.evaluate("getComputedStyle(document.querySelector('#certificate')).maxWidth")
    assert width == "720px", width


def test_the_work_study_certificate_prints_on_one_a4_page_with_its_lines_in_place(new_page):
    placement = finished_placement()
    page = new_page(viewport=A4_AT_96_DPI)  # laid out as on paper: A4 less the 12 mm margins
    page.goto("/jobs/s/certificate-link/certificate")
    expect(page.locator("#certificate")).to_contain_text(placement.certificate_no)
    page.emulate_media(media="print")
    for hidden in (".site-header", ".site-footer", ".no-print"):
        assert page.locator(hidden).first.is_hidden(), f"{hidden} prints"
    layout = page.evaluate("""() => {
        const box = sel => document.querySelector(sel).getBoundingClientRect();
        const signatures = [...document.querySelectorAll('#certificate .certificate-signatures > p')]
            .map(p => p.getBoundingClientRect());
        return {certificate: box('#certificate'), number: box('.certificate-no'),
                date: box('.certificate-date'), signatures: signatures,
                align: getComputedStyle(document.querySelector('#certificate h1')).textAlign};
    }""")
    assert not overflow(page)["outside"]
    cert = layout["certificate"]
    assert layout["align"] == "center"
    # The title's letters centred on the certificate, the number and the date at its right edge.
    assert heading_off_centre(page) < 2, "the title is not centred on the certificate"
    assert abs(layout["number"]["right"] - cert["right"]) < 2 and abs(layout["date"]["right"] - cert["right"]) < 2
    # The two seals side by side on one line, the enterprise's left and the union's right.
    first, second = layout["signatures"]
    assert abs(first["top"] - second["top"]) < 2, layout["signatures"]
    assert first["right"] <= second["left"]
    pdf = page.pdf(format="A4", print_background=True)
    assert len(PAGE_OBJECT.findall(pdf)) == 1, "the certificate does not print on exactly one A4 page"


# --- the enrolment certificate at 360 px and in print --------------------------------------------
# The work-study certificate's rules once reached this one through the shared ``.certificate`` and
# ``.certificate-body`` classes: a 56 px padding and a flowing text body stood it 449 px wide on a
# 360 px phone, and in print its facts and QR code no longer stood side by side.


def test_the_enrolment_certificate_fits_a_360_px_phone_and_prints_its_facts_beside_the_qr_code(new_page, sign_in):
    member = create_member(union=create_union(name="无锡市梁溪区快递物流行业工会联合会"), name="虞建国")
    create_enrollment(member, create_plan(), starts_on=clock.today() - timedelta(days=30))
    page = new_page(viewport=SMALL_PHONE, is_mobile=True, has_touch=True)
    sign_in.member(page, member)
    page.goto("/enrollment/my")
    page.get_by_role("link", name="电子参保凭证").first.click()
    expect(page.locator("#certificate").get_by_role("heading", name="电子参保凭证")).to_be_visible()
    measured = overflow(page)
    assert measured["page"] <= SMALL_PHONE["width"], f"the page scrolls sideways: {measured}"
    assert 0 <= measured["left"] and measured["right"] <= SMALL_PHONE["width"], measured
    assert not measured["outside"], f"lines stand out of the certificate: {measured['outside']}"
    padding = page.evaluate("getComputedStyle(document.querySelector('#certificate')).paddingLeft")
    assert padding == "14px", padding  # its own phone padding, not the work-study certificate's

    page.set_viewport_size(A4_AT_96_DPI)
    page.emulate_media(media="print")
    layout = page.evaluate("""() => {
        const facts = document.querySelector('#certificate .certificate-body .facts').getBoundingClientRect();
        const qr = document.querySelector('#certificate .certificate-qr').getBoundingClientRect();
        const cert = document.querySelector('#certificate').getBoundingClientRect();
        return {facts, qr, cert};
    }""")
    assert not overflow(page)["outside"]
    facts, qr, cert = layout["facts"], layout["qr"], layout["cert"]
    assert facts["right"] <= qr["left"] and abs(facts["top"] - qr["top"]) < 4, layout  # side by side
    assert qr["right"] <= cert["right"]
    pdf = page.pdf(format="A4", print_background=True)
    assert len(PAGE_OBJECT.findall(pdf)) == 1
