"""The notice board as an RSS 2.0 feed: what a feed reader subscribed from the public page receives."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from lxml import etree, html

from engine.base.clock import as_utc, local_date, utcnow
from engine.base.db import db
from engine.noticeboard import edicts
from tests.conftest import make_tenant
from tests.procedures_helpers import town

#: RSS 2.0 (https://www.rssboard.org/rss-specification) as far as the board uses it: a channel with its
#: required title, link and description, and items with a title, link, description, permalink guid, date.
RSS_SCHEMA = b"""<grammar xmlns="http://relaxng.org/ns/structure/1.0"
    datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
  <start><element name="rss"><attribute name="version"><value>2.0</value></attribute>
    <element name="channel">
      <element name="title"><text/></element>
      <element name="link"><data type="anyURI"/></element>
      <element name="description"><text/></element>
      <optional><element name="language"><text/></element></optional>
      <element name="link" ns="http://www.w3.org/2005/Atom">
        <attribute name="href"/><attribute name="rel"><value>self</value></attribute>
        <attribute name="type"><value>application/rss+xml</value></attribute></element>
      <zeroOrMore><element name="item">
        <element name="title"><text/></element>
        <element name="link"><data type="anyURI"/></element>
        <element name="description"><text/></element>
        <element name="guid"><attribute name="isPermaLink"><value>true</value></attribute><text/></element>
        <element name="pubDate"><text/></element>
      </element></zeroOrMore>
    </element></element></start>
</grammar>"""


def test_the_rss_feed_lists_what_is_on_the_board_and_the_public_page_announces_it(client) -> None:
    t = town("instancia_generica.bpmn")
    secretary = t.people["secretari"]
    today = local_date(utcnow())
    on_board = edicts.publish(secretary, t.open_case("Piscina"), title="Informació pública: piscina municipal",
                              text="Es sotmet a informació pública el projecte.", starts_on=today, working_days=20)
    withdrawn = edicts.publish(secretary, t.open_case("Cementiri"), title="Edicte retirat", text="Text.",
                               starts_on=today, working_days=20)
    edicts.withdraw(secretary, withdrawn.id, "Publicat per error.")
    other = make_tenant("altra-vila", "Ajuntament d'Altra Vila")
    db.session.commit()

    response = client.get("/tauler/sant-proves/rss.xml")
    assert response.status_code == 200 and response.mimetype == "application/rss+xml"
    feed = etree.fromstring(response.data)
    schema = etree.RelaxNG(etree.fromstring(RSS_SCHEMA))
    assert schema.validate(feed), schema.error_log
    assert feed.findtext("channel/title") == "Tauler d'anuncis — Ajuntament de Sant Proves"
    assert feed.findtext("channel/link") == "http://localhost/tauler/sant-proves/"
    items = feed.findall("channel/item")
    assert [i.findtext("title") for i in items] == ["Informació pública: piscina municipal"]
    item = items[0]
    assert item.findtext("link") == item.findtext("guid") == f"http://localhost/tauler/sant-proves/{on_board.id}"
    assert "Es sotmet a informació pública el projecte." in item.findtext("description")
    assert parsedate_to_datetime(item.findtext("pubDate")) == as_utc(on_board.published_at).replace(microsecond=0)
    assert client.get(item.findtext("link")).status_code == 200  # the link opens the edict

    page = html.fromstring(client.get("/tauler/sant-proves/").data)
    assert page.xpath('//head/link[@rel="alternate" and @type="application/rss+xml"]/@href') == [
        "/tauler/sant-proves/rss.xml"]
    other_feed = etree.fromstring(client.get(f"/tauler/{other.code}/rss.xml").data)
    assert other_feed.findall("channel/item") == []  # tenants never see each other's edicts
    assert client.get("/tauler/no-such-town/rss.xml").status_code == 404
