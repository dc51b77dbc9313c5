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
