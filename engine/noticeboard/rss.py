"""The notice board as an RSS 2.0 feed (beside the JSON feed): one item per edict exposed today,
its link the edict's public page, its guid that page too, its date the moment it was published
(RFC 822, as RSS requires); the exposure period is written in the feed's language."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import format_datetime

from lxml import etree

from engine.base.clock import as_utc
from engine.base.formats import format_day
from engine.noticeboard.models import Edict

ATOM = "http://www.w3.org/2005/Atom"


def rss_feed(*, title: str, board_url: str, feed_url: str, language: str, items: list[Edict],
             url_of: Callable[[Edict], str]) -> bytes:
    """The RSS 2.0 document of the board at ``board_url`` (served at ``feed_url``)."""
    rss = etree.Element("rss", version="2.0", nsmap={"atom": ATOM})
    channel = etree.SubElement(rss, "channel")
    for name, value in (("title", title), ("link", board_url), ("description", title), ("language", language)):
        etree.SubElement(channel, name).text = value
    etree.SubElement(channel, f"{{{ATOM}}}link", href=feed_url, rel="self", type="application/rss+xml")
    for edict in items:
        item = etree.SubElement(channel, "item")
        url = url_of(edict)
        published = as_utc(edict.published_at)
        assert published is not None
        period = f"{format_day(edict.starts_on, language)} – {format_day(edict.ends_on, language)}"
        etree.SubElement(item, "title").text = edict.title
        etree.SubElement(item, "link").text = url
        etree.SubElement(item, "description").text = f"{period}\n\n{edict.text}"
        etree.SubElement(item, "guid", isPermaLink="true").text = url
        etree.SubElement(item, "pubDate").text = format_datetime(published, usegmt=True)
    return bytes(etree.tostring(rss, xml_declaration=True, encoding="UTF-8", pretty_print=True))
