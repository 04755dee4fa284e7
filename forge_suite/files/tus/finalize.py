"""What happens when a tus upload has all its bytes: validate, store, announce."""

from __future__ import annotations

import hashlib
import logging

from forge_suite.files.api import new_path, record, reject
from forge_suite.files.conf import app_settings
from forge_suite.files.disks import disk
from forge_suite.files.exceptions import InvalidUpload
from forge_suite.files.models import StoredFile, TusUpload, UploadState
from forge_suite.files.tus.backends import backend_for, open_staged
from forge_suite.files.tus.digests import running
from forge_suite.files.validation import UploadPolicy, validate

__all__ = ["finalize"]

logger = logging.getLogger("forge_suite.files")


def policy() -> UploadPolicy:
    return UploadPolicy.default(max_size=int(app_settings.TUS_MAX_SIZE))


def finalize(upload: TusUpload) -> StoredFile | None:
    """Validate a complete upload and turn it into a StoredFile (partials are kept as they
    are for a later concatenation). Exactly one caller wins; the others get None.

    A refused file is deleted and the upload marked rejected, then :class:`InvalidUpload`
    is raised for the caller to answer with.
    """
    backend = backend_for(upload.disk)
    if upload.multipart_id or upload.parts or upload.length == 0:
        backend.finish(upload)  # S3: complete the multipart upload; GCS: compose the parts
        TusUpload.objects.filter(pk=upload.pk).update(
            multipart_id=upload.multipart_id, parts=upload.parts
        )
    if upload.concat == "partial":
        running.forget(upload.pk)  # a final upload hashes its concatenation
        TusUpload.objects.filter(pk=upload.pk, state=UploadState.ACTIVE).update(
            state=UploadState.COMPLETE
        )
        return None
    claimed = TusUpload.objects.filter(pk=upload.pk, state=UploadState.ACTIVE).update(
        state=UploadState.COMPLETE
    )
    if not claimed:
        return None
    target = disk(upload.disk)
    name = str(upload.metadata.get("filename") or upload.metadata.get("name") or "upload")
    try:
        reader, chunks = open_staged(upload)
        with reader:
            facts = validate(reader, name, policy(), size=int(upload.length or 0))  # type: ignore[arg-type]
        digest = running.take(upload.pk, int(upload.length or 0))
        if digest is None:  # not all of it came through this process: one pass over it
            digest = hashlib.sha256()
            for block in chunks():
                digest.update(block)
    except InvalidUpload as exc:
        reject(exc, "tus")
        backend.terminate(upload)
        TusUpload.objects.filter(pk=upload.pk).update(state=UploadState.REJECTED, error=exc.message)
        raise
    except BaseException:
        TusUpload.objects.filter(pk=upload.pk).update(state=UploadState.ACTIVE)
        raise
    if upload.path == upload.staging_path:  # local staging file: a rename
        path = target.move(upload.staging_path, new_path(facts.name))
    else:  # S3: the object was written where it stays
        path = upload.path
    visibility = str(upload.metadata.get("visibility") or "private")
    if visibility not in ("public", "private"):
        visibility = "private"
    stored = record(
        target,
        path,
        facts,
        size=int(upload.length or 0),
        sha256=digest.hexdigest(),
        owner=upload.owner,
        visibility=visibility,
        metadata={"tus_upload": str(upload.pk)},
        source="tus",
    )
    TusUpload.objects.filter(pk=upload.pk).update(stored_file=stored)
    upload.stored_file = stored
    upload.state = UploadState.COMPLETE
    return stored
