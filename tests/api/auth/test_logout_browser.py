"""In headless Chromium: 退出 on a page ends the login on the server too (the token revoked,
the login cookie cleared), and a throttled login page says how long to wait."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from api.auth.roles import Role
from tests.api.pages.conftest import DESKTOP, Site, Tab


def test_logging_out_revokes_the_token_and_the_cookie(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    person = site.person(Role.STREET, "110102020")
    tab = open_tab(DESKTOP)
    page = tab.page
    page.goto(f"{site.base}/app/login")
    page.fill("#username", person.username)
    page.fill("#password", person.password)
    page.click("button[type=submit]")
    page.wait_for_selector("button:has-text('退出')")
    token = page.evaluate("() => localStorage.getItem('gw.token')")
    assert token
    cookies = {c["name"]: c["value"] for c in tab.context.cookies()}
    assert cookies["gridwhistle_token"] == token
    page.click("button:has-text('退出')")
    page.wait_for_url("**/app/login")
    me = httpx.get(
        f"{site.base}/api/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert me.status_code == 401  # revoked on the server, not only forgotten here
    assert "gridwhistle_token" not in {c["name"] for c in tab.context.cookies()}
    page.goto(f"{site.base}/maps/street/110102020")  # the map asks to log in again
    assert page.url == f"{site.base}/app/login?next=/maps/street/110102020"
    assert (
        site.scalar(
            "SELECT count(*) FROM audit_events WHERE kind = 'token:revoked' AND username = :u",
            u=person.username,
        )
        == 1
    )


def test_the_login_page_says_how_long_to_wait(site: Site, open_tab: Callable[..., Tab]) -> None:
    person = site.person(Role.STREET, "110102020")
    page = open_tab(DESKTOP).page
    page.goto(f"{site.base}/app/login")
    shown = ""
    for _ in range(4):  # three free failures, then a wait
        page.evaluate("() => { document.querySelector('#login-message').textContent = ''; }")
        page.fill("#username", person.username)
        page.fill("#password", "not-the-password")
        page.click("button[type=submit]")
        page.wait_for_function(
            "() => { const t = document.querySelector('#login-message').textContent;"
            " return t && t !== '正在登录…'; }"
        )
        shown = page.inner_text("#login-message")
    assert "登录失败次数过多" in shown and "秒后再试" in shown, shown
