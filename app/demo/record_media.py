"""Demo photos, videos, recordings and the party's statement, stored through the vault's intake.

Each file goes in exactly as a field upload does: streamed through SHA-256 and age encryption,
recorded with its custody entries (collected, received), then processed (metadata extracted,
thumbnails made) by the vault itself. Photos and videos are tied to their incident as an upload
started from the incident's page is (in the same transaction, ledgered `linked_to_incident`),
saying what they show.
"""

from __future__ import annotations

from app.demo.media import DemoFile, demo_audio, demo_document, demo_photo, demo_video
from app.demo.world import DemoWorld, loading
from app.intake.services.evidence_links import checked_link
from app.investigations.viewer import viewer_of
from app.vault.incident_links import EvidenceShows
from app.vault.models import EvidenceItem
from app.vault.upload.stream import begin_intake

CHUNK = 64 * 1024
# What each photo scene shows of its incident (all were taken after the strike).
SCENE_SHOWS = {"remnants": EvidenceShows.WEAPON_REMNANT.value}
VIDEO_OF_THE_ATTACK_MINUTES = 2  # filmed within this of the strike: the attack itself


def store_file(
    world: DemoWorld,
    key: str,
    by: str,
    made: DemoFile,
    incident: str | None = None,
    shows: str = EvidenceShows.AFTERMATH.value,
) -> EvidenceItem:
    user = world.user(by)
    writer = begin_intake(
        world.investigation, user, made.filename, made.client_facts, len(made.data)
    )
    if incident is not None:
        viewer = viewer_of(world.investigation, user)
        writer.on_recorded = checked_link(viewer, world.incidents[incident].id, shows, "").apply
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
            shows = SCENE_SHOWS.get(spec.scene, EvidenceShows.AFTERMATH.value)
            store_file(world, spec.key, spec.by, made, spec.incident, shows)
    for spec in scenario.videos:
        with loading(f"video {spec.key}"):
            made = demo_video(scenario.incident(spec.incident), spec)
            attack = spec.minutes_after <= VIDEO_OF_THE_ATTACK_MINUTES
            shows = EvidenceShows.ATTACK.value if attack else EvidenceShows.AFTERMATH.value
            store_file(world, spec.key, spec.by, made, spec.incident, shows)
    for spec in scenario.audio:
        with loading(f"recording {spec.key}"):
            store_file(world, spec.key, spec.by, demo_audio(spec))
    response = scenario.party_response
    with loading(f"party's response {response.key}"):
        store_file(world, response.key, response.by, demo_document(response))
