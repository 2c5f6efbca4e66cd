"""factory_boy factories for accounts, investigations and memberships."""

from __future__ import annotations

import factory
import pyotp

from app.auth.models import User
from app.extensions import db
from app.investigations.models import Investigation, Membership
from app.security.passwords import hash_password
from app.timeutil import utcnow

DEFAULT_PASSWORD = "correct horse battery staple"


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    class Params:
        with_2fa = factory.LazyAttribute(lambda o: o.role in ("lawyer", "admin"))

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Sequence(lambda n: f"Test User {n}")
    role = "field"
    password_hash = factory.LazyFunction(lambda: hash_password(DEFAULT_PASSWORD))
    totp_secret = factory.LazyAttribute(lambda o: pyotp.random_base32() if o.with_2fa else None)
    totp_enabled_at = factory.LazyAttribute(lambda o: utcnow() if o.with_2fa else None)


class InvestigationFactory(BaseFactory):
    class Meta:
        model = Investigation

    reference = factory.Sequence(lambda n: f"INV-2015-SYR-{n:02d}")
    title = factory.Sequence(lambda n: f"Airstrikes on civilian areas, part {n}")
    description = "Test investigation."


class MembershipFactory(BaseFactory):
    class Meta:
        model = Membership

    investigation_id = factory.LazyAttribute(lambda o: o.investigation.id)
    user_id = factory.LazyAttribute(lambda o: o.user.id)
    role = factory.LazyAttribute(lambda o: "lawyer" if o.user.role == "lawyer" else "field")
    may_see_identities = False

    class Params:
        investigation = factory.SubFactory(InvestigationFactory)
        user = factory.SubFactory(UserFactory)
