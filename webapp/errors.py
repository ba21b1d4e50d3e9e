"""Readable errors: engine errors become messages in the user's language, never a trace."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from engine.base import unit_of_work
from engine.base.errors import GeeError
from engine.base.i18n import _

log = logging.getLogger("gee.errors")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    @app.errorhandler(GeeError)
    def _gee_error(err: GeeError) -> Any:
        if _wants_json():
            return jsonify(err.to_dict()), err.status
        return render_template("error.html", status=err.status, message=str(err)), err.status

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Any:
        messages = {
            400: _("The request was not understood."),
            403: _("You do not have permission to do this."),
            404: _("Not found."),
            405: _("This action is not allowed here."),
            413: _("The file is too big."),
            429: _("Too many attempts. Wait a moment and try again."),
        }
        message = messages.get(err.code or 500, err.description or "")
        if _wants_json():
            return jsonify({"error": err.name.lower().replace(" ", "_"), "message": message}), err.code
        return render_template("error.html", status=err.code, message=message), err.code

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(err: Exception) -> Any:
        # Last line behind webapp.inputs: a number the database cannot hold is the request's fault.
        unit_of_work.discard()
        log.warning("value out of range on %s: %s", request.path, str(err).splitlines()[0])
        message = _("The request was not understood.")
        if _wants_json():
            return jsonify({"error": "bad_request", "message": message}), 400
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Any:
        log.exception("unhandled error on %s", request.path)
        message = _("Something went wrong on our side. The error has been logged; nothing was saved.")
        if _wants_json():
            return jsonify({"error": "internal", "message": message}), 500
        return render_template("error.html", status=500, message=message), 500
