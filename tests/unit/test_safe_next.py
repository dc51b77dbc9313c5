"""A ``next`` or ``back`` address is followed only when it stays on this site."""

import pytest

from portal.web import safe_next


@pytest.mark.parametrize("target", [
    "/jobs/", "/jobs/positions/3?district=惠山区", "/enrollment/my#cover", "/me/",
])
def test_a_path_on_this_site_is_kept(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [
    None, "", "jobs/", "https://evil.example/", "//evil.example/", "///evil.example/",
    "/\\evil.example/", "\\\\evil.example/", "/\t/evil.example/", "/\n/evil.example", "/jobs/\x00",
    "/jobs/\x7f", "javascript:alert(1)", " /jobs/", "http:/jobs/",
])
def test_anything_that_could_leave_the_site_is_refused(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", [
    "/%09/evil.example", "/%0a/evil.example", "/%2F/evil.example", "/%2f%2fevil.example", "/%5Cevil.example",
    "/%252F/evil.example", "/%25252F%25252Fevil.example", "/jobs/%00", "/" + "a" * 3000,
])
def test_escaped_tricks_are_refused_after_decoding(target):
    assert safe_next(target) is None


def test_an_ordinary_escape_in_a_path_is_kept():
    assert safe_next("/jobs/?district=%E6%83%A0%E5%B1%B1%E5%8C%BA") == "/jobs/?district=%E6%83%A0%E5%B1%B1%E5%8C%BA"
