"""Every staff member: the dashboard of their role, the union tree (administrators add unions),
and the hardship-family switch of the member list."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.staff import bp
from portal.blueprints.staff.forms import UnionForm
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.services import members, unions
from portal.web import EmptyForm, field_error, render, roles_required, staff_required


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


@bp.post("/members/<int:member_id>/hardship")
@roles_required(Role.UNION_OFFICER, Role.ADMIN)
def hardship_family(member_id: int):
    """Mark or clear a hardship family; htmx swaps just the switch in the member list."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    member = members.set_hardship_family(current_user, member_id, request.form.get("flag") == "1")
    return render("staff/_hardship_toggle.html", m=member)
