"""OpenRosa routes: the protocol the apps speak, and the devices on the settings page."""

from app.openrosa.routes import devices, protocol  # noqa: F401  (importing registers them)
