"""Blueprints, one package per area; each area adds its blueprint to this list."""

from portal.blueprints.auth import bp as auth_bp
from portal.blueprints.childcare import bp as childcare_bp
from portal.blueprints.claims import bp as claims_bp
from portal.blueprints.enrollment import bp as enrollment_bp
from portal.blueprints.evaluation import bp as evaluation_bp
from portal.blueprints.events import bp as events_bp
from portal.blueprints.hardship import bp as hardship_bp
from portal.blueprints.jobs import bp as jobs_bp
from portal.blueprints.joining import bp as joining_bp
from portal.blueprints.main import bp as main_bp
from portal.blueprints.members import bp as members_bp
from portal.blueprints.relief import bp as relief_bp
from portal.blueprints.review import bp as review_bp
from portal.blueprints.staff import bp as staff_bp
from portal.blueprints.stations import bp as stations_bp
from portal.blueprints.sync import bp as sync_bp
from portal.blueprints.texts import bp as texts_bp

BLUEPRINTS = [
    main_bp,
    auth_bp,
    members_bp,
    staff_bp,
    enrollment_bp,
    claims_bp,
    review_bp,
    childcare_bp,
    jobs_bp,
    sync_bp,
    stations_bp,
    events_bp,
    evaluation_bp,
    hardship_bp,
    relief_bp,
    joining_bp,
    texts_bp,
]
