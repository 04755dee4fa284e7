"""Jobs of the files app (run through forge_suite.scheduling; eager by default)."""

from __future__ import annotations

from forge_suite.files.cleanup import cleanup
from forge_suite.files.variants import generate_variants
from forge_suite.scheduling import job


@job(queue="default", max_retries=3, timeout=600)
def make_variants(file_id: int) -> list[str]:
    """Generate the missing variants of one StoredFile (idempotent)."""
    return generate_variants(file_id)


@job(queue="low", priority="low", max_retries=1, timeout=1800)
def cleanup_uploads() -> str:
    """Remove abandoned tus uploads and stale temporary files."""
    return str(cleanup())
