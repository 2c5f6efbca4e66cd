"""Investigation fixtures: the intake world (two field workers, two lawyers, an outsider).

The membership rule is exercised through the records of the packages that use it, so these
tests build the same world as the intake tests.
"""

from tests.intake.conftest import client_for, world  # noqa: F401
