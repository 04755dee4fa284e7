"""Signals of forge_suite.files."""

from __future__ import annotations

from django.dispatch import Signal

#: A file was validated and stored. Arguments: ``stored_file`` (StoredFile), ``source``
#: ("form", "api", "tus", "s3-multipart" or "python").
file_stored = Signal()

#: An upload was refused. Arguments: ``reason`` (short code), ``message``, ``source``.
upload_rejected = Signal()

#: A named variant was generated. Arguments: ``stored_file``, ``name``, ``path``.
variant_generated = Signal()
