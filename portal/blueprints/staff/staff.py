"""Every staff member: the dashboard of their role, the union tree (administrators add unions).
The hardship register has its own area (``portal.blueprints.hardship``)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.staff import bp
from portal.blueprints.staff.forms import UnionForm
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.services import unions
from portal.web import field_error, render, roles_required, staff_required


@bp.get("/")
@staff_required
def dashboard():
    """Where each role starts: the tasks of that role."""
    return render("staff/dashboard.html")


@bp.route("/unions", methods=["GET", "POST"], endpoint="unions")
@roles_required(Role.ADMIN, Role.UNION_OFFICER, Role.CHILDCARE_ORGANISER)
def union_tree():
    """The union tree (an officer sees its own subtree); administrators add unions."""
    form = UnionForm() if current_user.role == Role.ADMIN else None
    if form is not None and form.validate_on_submit():
        try:
            union = unions.create_union(current_user, code=form.code.data, name=form.name.data,
                                               kind=form.kind.data, parent_code=form.parent_code.data)
        except DomainError as error:
            field_error(form, error, "code")
        else:
            flash(_("已添加 %(name)s。", name=union.name), "success")
            return redirect(url_for("staff.unions"))
    return render("staff/unions.html", form=form, tree=unions.union_tree(current_user))

