"""The public /verify page (no login, rate-limited) and ``gee verify FILE.pdf``."""

from __future__ import annotations

import html as html_text
import time

import pytest
from lxml import html as lxml_html

from engine.base.db import db
from engine.documents.documents import issue_document, read_content
from engine.documents.store import content_store
from engine.signatures.circuits import request_signatures, sign
from engine.signatures.credentials import unlock_personal
from engine.signatures.pades import Stamp, sign_pdf
from tests.conftest import csrf_token, settings_changed
from tests.public_pages import public_frame
from tests.records_helpers import new_expedient
from tests.services import redis_url
from tests.test_signatures_helpers import KEY_PASSWORD, flip_byte_in_signed_range, pdf_document, report_pdf, town
from webapp.views.verify import LOOKUPS_PER_MINUTE, limiter


def _forget_counts(app) -> None:
    """Empty the limiter's memory and, when the app counts in Redis, its Redis counters."""
    limiter.reset()
    url = app.config["GEE_SETTINGS"].redis_url
    if url:
        from redis import Redis

        redis = Redis.from_url(url)
        for key in redis.scan_iter("gee:ratelimit:verify:*"):
            redis.delete(key)


@pytest.fixture(autouse=True)
def _fresh_limiter(app):
    """A fixed clock: every lookup of a test falls in the same one-minute window."""
    _forget_counts(app)
    limiter.clock = lambda: 1_800_000_000.0
    yield
    _forget_counts(app)
    limiter.clock = time.time


@pytest.fixture
def people():
    return town()


def _signed_document(people):
    expedient = new_expedient(people["clerk"])
    doc = pdf_document(people["clerk"], expedient.id)
    request = request_signatures(people["clerk"], doc.id, ["alcalde"])
    db.session.commit()
    sign(people["mayor"], request.steps[0].id, KEY_PASSWORD)
    db.session.commit()
    return read_content(people["clerk"], request.result_document_id)[0]


def test_verify_page_shows_metadata_signatures_and_download(client, people):
    doc = _signed_document(people)
    response = client.get(f"/verify?csv={doc.csv.lower()}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-intact="true"' in html and doc.eni_id in html and doc.title in html
    assert 'id="signature-verdict"' in html and 'data-valid="true"' in html and "Joan Batlle" in html
    # it serves every municipality: the public frame without one, whose brand leads to the list of
    # municipalities; nothing of the staff's (no login link)
    page = public_frame(html)
    assert page.xpath('//header//a[@class="seu-brand"]/@href') == ["/seu/"] and not page.xpath("//header//nav")
    # the file's size in kilobytes written the reader's way, not in raw bytes
    assert doc.size > 1000
    kilobytes = f"{doc.size / 1000:.1f}".removesuffix(".0")
    size = page.get_element_by_id("verify-file").text_content()
    assert size == f"{doc.file_name} ({kilobytes.replace('.', ',')} kB)", size
    # the ENI type in words of the reader's language, with its code for who knows them
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, "/verify")})
    page = lxml_html.fromstring(client.get(f"/verify?csv={doc.csv}").get_data(as_text=True))
    assert doc.tipo_documental == "TD13"
    assert page.get_element_by_id("verify-type").text_content() == "Report (TD13)"
    assert page.get_element_by_id("verify-file").text_content() == f"{doc.file_name} ({kilobytes} kB)"
    download = client.get(f"/verify/download?csv={doc.csv}")
    assert download.status_code == 200 and download.data == read_content(people["clerk"], doc.id)[1]
    assert "attachment" in download.headers["Content-Disposition"]


def test_verify_page_says_when_the_stored_file_was_altered(client, people):
    doc = issue_document(people["clerk"], pdf_document(people["clerk"], None).id)
    db.session.commit()
    path = content_store().path_for(doc.sha256)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"%tampered")
    html = client.get(f"/verify?csv={doc.csv}").get_data(as_text=True)
    assert 'data-intact="false"' in html and 'id="verify-download"' not in html
    refused = client.get(f"/verify/download?csv={doc.csv}")
    assert refused.status_code == 409  # said in words, not the server's English "409 Conflict"
    message = html_text.unescape(refused.get_data(as_text=True))
    assert "el document desat ja no coincideix amb el que es va emetre" in message
    page = public_frame(refused.get_data(as_text=True))  # said in the public frame, with the way back to it
    assert page.xpath('//main//a[@href="/seu/"]')


def test_unknown_code_is_a_404_page(client):
    response = client.get("/verify?csv=AAAAA-AAAAA-AAAAA-AAAAA")
    assert response.status_code == 404 and 'id="verify-missing"' in response.get_data(as_text=True)
    field = lxml_html.fromstring(response.get_data(as_text=True)).get_element_by_id("csv")
    assert field.get("aria-invalid") == "true" and field.get("aria-describedby") == "verify-missing"
    assert field.get("value") == "AAAAA-AAAAA-AAAAA-AAAAA"  # what was typed stays, to correct it


def test_lookups_are_rate_limited_per_address(client):
    codes = [client.get("/verify?csv=AAAAA-AAAAA-AAAAA-AAAAA").status_code for _ in range(LOOKUPS_PER_MINUTE)]
    assert set(codes) == {404}
    assert client.get("/verify?csv=AAAAA-AAAAA-AAAAA-AAAAA").status_code == 429
    other = client.get("/verify?csv=AAAAA-AAAAA-AAAAA-AAAAA", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 404
    assert client.get("/verify").status_code == 200  # the empty form is not a lookup


def test_rate_limit_is_shared_through_redis(app, client):
    from redis import Redis

    url = redis_url()
    redis = Redis.from_url(url)

    def forget():
        for key in redis.scan_iter("gee:ratelimit:verify:*"):
            redis.delete(key)

    forget()
    with settings_changed(app, redis_url=url):
        for _ in range(LOOKUPS_PER_MINUTE):
            client.get("/verify?csv=AAAAA-AAAAA-AAAAA-AAAAA")
        limiter.reset()  # forgetting this process's memory changes nothing: Redis counts
        assert client.get("/verify?csv=AAAAA-AAAAA-AAAAA-AAAAA").status_code == 429
    forget()


def _run(app, *args):
    from webapp.cli import main

    return app.test_cli_runner().invoke(main, list(args))


def test_gee_verify_exit_codes(app, people, tmp_path):
    from engine.demo import ca as test_ca
    from engine.signatures.credentials import UnlockedCredential

    stamp = Stamp("Joan Batlle", "Alcalde", "21/11/2026", "ABCDE-FGHJK-MNPQR-STVWX", "http://x/verify",
                  {"signed_by": "Signed by", "role": "Role", "date": "Date"})
    signed = sign_pdf(report_pdf(), unlock_personal(people["mayor"].user_id, KEY_PASSWORD), stamp, reason="x")
    good, bad, plain, foreign = (tmp_path / n for n in ("good.pdf", "bad.pdf", "plain.pdf", "foreign.pdf"))
    good.write_bytes(signed)
    bad.write_bytes(flip_byte_in_signed_range(signed))
    plain.write_bytes(report_pdf())
    other_key, other_ca = test_ca.make_ca("Unknown CA")
    key, cert = test_ca.issue_certificate(other_key, other_ca, "Impostor")
    foreign.write_bytes(sign_pdf(report_pdf(), UnlockedCredential(key, cert, [other_ca]), stamp, reason="x"))

    result = _run(app, "verify", str(good))
    assert result.exit_code == 0 and "OK  Joan Batlle" in result.output
    result = _run(app, "verify", str(bad))
    assert result.exit_code == 1
    result = _run(app, "verify", str(plain))
    assert result.exit_code == 1 and "no electronic signature" in result.output
    result = _run(app, "verify", str(foreign))
    assert result.exit_code == 1 and "trusted authority" in result.output
