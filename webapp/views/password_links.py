"""The page a one-time password link opens: the person sets their own password (no login)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from engine.base import unit_of_work
from engine.base.errors import ValidationFailed
from engine.base.i18n import _
from engine.tenancy.password_links import set_password_with_link, user_of_link
from engine.tenancy.passwords import MIN_PASSWORD_LENGTH
from webapp.actions import field_errors
from webapp.views.account import PASSWORD_FIELDS

bp = Blueprint("password_links", __name__)


@bp.route("/password/<secret>", methods=["GET", "POST"])
def set_password(secret: str) -> Any:
    user = user_of_link(secret)
    if user is None:
        return render_template("account/set_password.html", user=None, errors={}, min_length=MIN_PASSWORD_LENGTH), 404
    if request.method == "POST":
        try:
            set_password_with_link(secret, request.form.get("new_password", ""),
                                   request.form.get("repeat_password", ""))  # fmt: skip
        except ValidationFailed as err:
            unit_of_work.discard()
            return render_template("account/set_password.html", user=user, min_length=MIN_PASSWORD_LENGTH,
                                   errors=field_errors(err, PASSWORD_FIELDS, "password")), err.status
        flash(_("Your password is set. Log in with your user name %(username)s.", username=user.username), "success")
        return redirect(url_for("auth.login"))
    return render_template("account/set_password.html", user=user, errors={}, min_length=MIN_PASSWORD_LENGTH)
