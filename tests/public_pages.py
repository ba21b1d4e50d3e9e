"""What a citizen sees around every public page (e-office, notice board, transparency portal,
verification): the e-office frame, never the staff one."""

from __future__ import annotations

from typing import Any

from lxml import html as lxml_html

#: Where a link of a public page may lead: the public pages themselves, a logo, a static file, a place
#: on the page or another site; never a staff page (/login, /tasks, /noticeboard, /transparency...).
PUBLIC_TARGETS = ("/seu/", "/tauler/", "/transparencia/", "/verify", "/tenants/", "/static/", "#", "http://",
                  "https://")


def public_frame(html: str) -> Any:
    """The page (lxml), checked to be in the public frame: the e-office header with its language switch
    and the footer's way to verify a document; no link to a staff page, no inline script or style."""
    page = lxml_html.fromstring(html)
    assert page.body.get("class") == "seu"
    assert page.xpath('//header//select[@id="seu-locale"]')  # the language switch
    assert page.xpath('//footer//a[@href="/verify"]')
    staff = [href for href in page.xpath("//a/@href|//form/@action")
             if not href.startswith(PUBLIC_TARGETS) and href != "/locale"]
    assert not staff, staff
    assert "<script>" not in html and " style=" not in html and " onclick=" not in html
    return page


def municipality_frame(html: str, code: str, name: str) -> tuple[Any, dict[str, str]]:
    """The page and its e-office navigation ({href: label}), checked to be in the frame of municipality
    ``code``: its name in the header leading to its e-office, and the way to its procedures, notice board,
    transparency portal and the verification page."""
    page = public_frame(html)
    [brand] = page.xpath('//header//a[@class="seu-brand"]')
    assert brand.text_content().strip() == name and brand.get("href") == f"/seu/{code}/"
    nav = {a.get("href"): a.text_content().strip() for a in page.xpath("//header//nav//a")}
    assert {f"/seu/{code}/", f"/tauler/{code}/", f"/transparencia/{code}/", "/verify"} <= nav.keys()
    return page, nav
