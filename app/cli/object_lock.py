"""After a command that copies or restores blobs: the holds in force mirrored onto the store."""

from __future__ import annotations

import click


def mirror_holds_onto_the_store() -> None:
    """On an Object Lock bucket, every blob a hold in force covers gets the legal hold.

    A restore brings the holds without the store's locks; a re-encryption or rotation that
    found a lock still waiting (object_lock_pending) had none to carry to the new copy.
    """
    from app.retention.lock_pending import mirroring
    from app.retention.object_lock import mirror_every_hold

    if not mirroring():
        return
    locked = mirror_every_hold()
    click.echo(f"Object Lock: legal hold set on {locked} blob(s) that the holds in force cover")
