"""The admin pages: a school's settings, schedule, topics, prompts, publication, reports, audit.

Blueprint ``admin`` under /admin. A school admin works on their own organization, a
regional admin on the one chosen in the header (and may add schools). Views are thin: they
read the form (helpline.admin.forms), call helpline.admin.service, and redirect, or show the
page again with a Russian message and HTTP 400, having changed nothing.
"""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from helpline.admin import cli, views, views_reports  # noqa: E402, F401  (routes on bp)
