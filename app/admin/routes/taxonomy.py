"""Admin page for the weapon/munition taxonomy: add types, relabel them, retire and restore them."""

from __future__ import annotations

from flask import flash, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Length

from app.admin import bp
from app.auth.roles import role_required
from app.form_submission import commit_or_refuse, saved, submit_form
from app.intake.services.taxonomy import add_weapon_type, all_weapons, update_weapon_type
from app.service_errors import ServiceError


class AddWeaponForm(FlaskForm):
    code = StringField(
        _l("Code (permanent, e.g. thermobaric)"), validators=[DataRequired(), Length(max=40)]
    )
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=120)])
    label_ar = StringField(
        _l("Label in Arabic"), validators=[Length(max=120)], render_kw={"lang": "ar", "dir": "rtl"}
    )
    label_ru = StringField(
        _l("Label in Russian"), validators=[Length(max=120)], render_kw={"lang": "ru"}
    )


class UpdateWeaponForm(FlaskForm):
    code = HiddenField(validators=[DataRequired()])
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=120)])
    label_ar = StringField(
        _l("Label in Arabic"), validators=[Length(max=120)], render_kw={"lang": "ar", "dir": "rtl"}
    )
    label_ru = StringField(
        _l("Label in Russian"), validators=[Length(max=120)], render_kw={"lang": "ru"}
    )
    active = BooleanField(_l("Offered in forms"))


def translations(form: AddWeaponForm | UpdateWeaponForm) -> dict[str, str | None]:
    """The Arabic and Russian labels as sent; a field not sent (None) leaves its label alone."""
    return {"ar": form.label_ar.data, "ru": form.label_ru.data}


def page(add_form: AddWeaponForm, status: int = 200):
    weapons = all_weapons()
    return render_template(
        "admin/taxonomy_weapons.html",
        weapons=weapons,
        add_form=add_form,
        update_form_for=lambda w: UpdateWeaponForm(obj=w, formdata=None),
    ), status


@bp.route("/taxonomy/weapons", methods=["GET", "POST"])
@role_required("admin")
def taxonomy_weapons():
    form = AddWeaponForm()
    return submit_form(
        form,
        lambda: add_weapon_type(form.code.data, form.label.data, current_user, translations(form)),
        done=lambda weapon: saved(
            _("Weapon type %(code)s added.", code=weapon.code), "admin.taxonomy_weapons"
        ),
        page=lambda status: page(form, status),
    )


@bp.route("/taxonomy/weapons/update", methods=["POST"])
@role_required("admin")
def update_taxonomy_weapon():
    form = UpdateWeaponForm()
    if not form.validate_on_submit():
        flash(_("Give the weapon type a label."), "error")
        return page(AddWeaponForm(formdata=None), 400)
    outcome = commit_or_refuse(
        lambda: update_weapon_type(
            form.code.data, form.label.data, form.active.data, current_user, translations(form)
        )
    )
    if isinstance(outcome, ServiceError):
        return page(AddWeaponForm(formdata=None), outcome.status)
    return saved(_("Weapon type %(code)s saved.", code=form.code.data), "admin.taxonomy_weapons")
