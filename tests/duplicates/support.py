"""Shared by the duplicates tests: members with the roles that matter, items through intake,
and pictures generated at run time (no stored vectors)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from app.extensions import db
from app.security import org_keys
from app.vault.models import EvidenceItem
from app.vault.upload.stream import begin_intake
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory


def ensure_keys() -> None:
    if not org_keys.keys_initialised():
        org_keys.init_keys(org_keys.keys_dir(), org_keys.master_key())


def add_item(investigation, user, data: bytes, filename: str = "file.jpg", facts=None):
    """An item made the way the app makes it: streamed through intake, then processed."""
    ensure_keys()
    writer = begin_intake(investigation, user, filename, facts, len(data))
    writer.write(data)
    item_id = writer.finish().id
    db.session.expire_all()
    return db.session.get(EvidenceItem, item_id)


class Team:
    """One investigation: a lawyer (sees everything), two field researchers (their own)."""

    def __init__(self, identities: bool = True) -> None:
        self.investigation = InvestigationFactory()
        self.lawyer = UserFactory(role="lawyer")
        self.field_a = UserFactory(role="field")
        self.field_b = UserFactory(role="field")
        for user in (self.lawyer, self.field_a, self.field_b):
            MembershipFactory(
                user=user, investigation=self.investigation, may_see_identities=identities
            )
        db.session.commit()
        self.ref = self.investigation.reference

    def item_url(self, item, suffix: str = "") -> str:
        return f"/investigations/{self.ref}/evidence/{item.id}{suffix}"


def scene(seed: int = 1, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A picture with shapes and a gradient: different seeds give unrelated pictures."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        x1, y1 = x0 + rng.randrange(40, 260), y0 + rng.randrange(40, 200)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
    return image


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def recompressed_and_resized(image: Image.Image) -> bytes:
    smaller = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
    return jpeg(smaller, quality=35)


def mirrored(image: Image.Image) -> bytes:
    return jpeg(ImageOps.mirror(image))


def blurred(image: Image.Image) -> bytes:
    return jpeg(image.filter(ImageFilter.GaussianBlur(2)))


def flat(size: tuple[int, int] = (640, 480)) -> bytes:
    return jpeg(Image.new("RGB", size, (128, 128, 128)))
