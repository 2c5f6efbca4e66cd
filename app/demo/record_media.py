"""Demo photos, videos, recordings and the party's statement, stored through the vault's intake.

Each file goes in exactly as a field upload does: streamed through SHA-256 and age encryption,
recorded with its custody entries (collected, received), then processed (metadata extracted,
thumbnails made) by the vault itself.
"""

from __future__ import annotations

from app.demo.media import DemoFile, demo_audio, demo_document, demo_photo, demo_video
from app.demo.world import DemoWorld, loading
from app.vault.intake import begin_intake
from app.vault.models import EvidenceItem

CHUNK = 64 * 1024


def store_file(world: DemoWorld, key: str, by: str, made: DemoFile) -> EvidenceItem:
    writer = begin_intake(
        world.investigation, world.user(by), made.filename, made.client_facts, len(made.data)
    )
    for start in range(0, len(made.data), CHUNK):
        writer.write(made.data[start : start + CHUNK])
    item = writer.finish()  # commits the item and its custody entries, then processes it
    world.evidence[key] = item
    return item


def record_media(world: DemoWorld) -> None:
    scenario = world.scenario
    per_incident: dict[str, int] = {}
    for spec in scenario.photos:
        index = per_incident[spec.incident] = per_incident.get(spec.incident, -1) + 1
        with loading(f"photo {spec.key}"):
            made = demo_photo(scenario.incident(spec.incident), spec, index)
            store_file(world, spec.key, spec.by, made)
    for spec in scenario.videos:
        with loading(f"video {spec.key}"):
            store_file(world, spec.key, spec.by, demo_video(scenario.incident(spec.incident), spec))
    for spec in scenario.audio:
        with loading(f"recording {spec.key}"):
            store_file(world, spec.key, spec.by, demo_audio(spec))
    response = scenario.party_response
    with loading(f"party's response {response.key}"):
        store_file(world, response.key, response.by, demo_document(response))
