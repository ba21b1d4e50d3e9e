"""A tiny OpenID Connect provider for development and tests (never in production).

It plays VÀLid / Cl@ve: the person picks a test identity (NIF and name) instead of using a
certificate. Authorization code flow: discovery, ``authorize`` (pick an identity), ``token``
(code -> RS256-signed id_token with a ``nif`` claim), ``jwks``. Codes are signed and expire in
two minutes, so nothing is stored. The signing key is made when the process starts.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.jwk import RSAKey

from engine.base.errors import ValidationFailed
from engine.base.i18n import _
from engine.base.identifiers import normalise_nif
from engine.base.settings import current_settings
from engine.showcase.expedients import CITIZENS
from webapp.security import csrf
from webapp.seu.oidc import DEV_CLIENT_ID, DEV_CLIENT_SECRET

bp = Blueprint("dev_idp", __name__, url_prefix="/dev-idp")

CODE_MAX_AGE = 120
#: One click away: the demo's citizens (`gee demo` files their requests, so their carpeta is full),
#: then three more the tests use.
TEST_IDENTITIES = (
    *((citizen.nif, citizen.name) for citizen in CITIZENS),
    ("12345678Z", "Maria Puig i Serra"),
    ("87654321X", "Jordi Vidal Roca"),
    ("X1234567L", "Aina Rossi"),
)
_KEY: dict[str, RSAKey] = {}


def _key() -> RSAKey:
    if "rsa" not in _KEY:
        _KEY["rsa"] = RSAKey.generate_key(2048, parameters={"kid": "gee-dev-idp", "use": "sig", "alg": "RS256"})
    return _KEY["rsa"]


def _codes() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="gee-dev-idp-code")


def _issuer() -> str:
    return url_for("dev_idp.discovery", _external=True).removesuffix("/.well-known/openid-configuration")


@bp.before_request
def _only_outside_production() -> None:
    if current_settings().production:
        abort(404)


@bp.get("/.well-known/openid-configuration")
def discovery() -> Any:
    issuer = _issuer()
    return jsonify(
        issuer=issuer,
        authorization_endpoint=url_for("dev_idp.authorize", _external=True),
        token_endpoint=url_for("dev_idp.token", _external=True),
        jwks_uri=url_for("dev_idp.jwks", _external=True),
        response_types_supported=["code"],
        subject_types_supported=["public"],
        id_token_signing_alg_values_supported=["RS256"],
        scopes_supported=["openid", "profile"],
        token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
        claims_supported=["sub", "nif", "name", "email"],
    )


@bp.get("/jwks")
def jwks() -> Any:
    return jsonify(keys=[_key().as_dict(private=False)])


def _auth_request() -> dict[str, str]:
    args = request.values
    wanted = {k: args.get(k, "") for k in ("client_id", "redirect_uri", "state", "nonce", "response_type", "scope")}
    if wanted["client_id"] != DEV_CLIENT_ID or wanted["response_type"] != "code" or not wanted["redirect_uri"]:
        abort(400)
    return wanted


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Any:
    params = _auth_request()
    error = None
    if request.method == "POST":
        try:
            nif = normalise_nif(request.form.get("nif", ""))
            name = " ".join(request.form.get("name", "").split())
            if not name:
                raise ValidationFailed(_("The name is required."), field="name")
        except ValidationFailed as exc:
            error = str(exc)
        else:
            grant = {"nif": nif, "name": name[:200], "nonce": params["nonce"], "client_id": params["client_id"],
                     "redirect_uri": params["redirect_uri"]}  # fmt: skip
            code = _codes().dumps(grant)
            separator = "&" if "?" in params["redirect_uri"] else "?"
            return redirect(params["redirect_uri"] + separator + urlencode({"code": code, "state": params["state"]}))
    return render_template("seu/dev_idp_authorize.html", params=params, identities=TEST_IDENTITIES, error=error,
                           form=request.form), (422 if error else 200)  # fmt: skip


def _client_ok() -> bool:
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username == DEV_CLIENT_ID and auth.password == DEV_CLIENT_SECRET
    return request.form.get("client_id") == DEV_CLIENT_ID and request.form.get("client_secret") == DEV_CLIENT_SECRET


@bp.post("/token")
@csrf.exempt
def token() -> Any:
    if not _client_ok():
        return jsonify(error="invalid_client"), 401
    if request.form.get("grant_type") != "authorization_code":
        return jsonify(error="unsupported_grant_type"), 400
    try:
        grant = _codes().loads(request.form.get("code", ""), max_age=CODE_MAX_AGE)
    except BadSignature:
        return jsonify(error="invalid_grant"), 400
    if grant.get("redirect_uri") != request.form.get("redirect_uri"):
        return jsonify(error="invalid_grant"), 400
    now = int(time.time())
    claims = {"iss": _issuer(), "sub": grant["nif"], "aud": DEV_CLIENT_ID, "iat": now, "exp": now + 300,
              "nonce": grant["nonce"], "nif": grant["nif"], "name": grant["name"]}  # fmt: skip
    id_token = jwt.encode({"alg": "RS256", "kid": "gee-dev-idp"}, claims, _key())
    answer = {"access_token": f"dev-{now}", "token_type": "Bearer", "expires_in": 300, "id_token": id_token}
    return jsonify(answer)
