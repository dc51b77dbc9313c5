"""The enrolment blueprint object, shared by the view modules of the area."""

from flask import Blueprint

bp = Blueprint("enrollment", __name__, url_prefix="/enrollment")
