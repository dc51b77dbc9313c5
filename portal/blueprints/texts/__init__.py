"""Texts (SMS) under /texts: the gateway's delivery reports (``public``) and the templates
administrators edit (``admin``)."""

from flask import Blueprint

bp = Blueprint("texts", __name__, url_prefix="/texts")

from portal.blueprints.texts import admin, public  # noqa: E402

__all__ = ["admin", "bp", "public"]
