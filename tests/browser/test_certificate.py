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
