"""Demo passwords hashed once per run instead of once per row.

``factory.django.Password("demo-password")`` runs Django's password hasher (PBKDF2, made to
be slow) for every user: about 500 users a minute. Seeded users all share the same demo
password, so the suite hashes it once per seeding session, with a salt drawn from the
session so the same seed gives the same hash. Suite factories get this for their
``Password`` declarations automatically; a password given explicitly
(``UserFactory(password="secret")``) is hashed once per run too.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password

from forge_suite.seeding import adapter

__all__ = ["hash_once", "hashed_password", "once_per_run"]


def hashed_password(session: Any, raw: Any) -> str:
    """The hash of ``raw`` for this session, made on first use."""
    key = ("password", raw)
    if key not in session.pools:
        salt = "".join(session.rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=22))
        session.pools[key] = [make_password(raw, salt=salt)]
    hashed: str = session.pools[key][0]
    return hashed


def hash_once(raw: Any) -> str:
    """``make_password`` for seeding: one hash per raw password and session."""
    from forge_suite.seeding.session import current_session

    return hashed_password(current_session(), raw)


def once_per_run(declaration: Any) -> Any:
    """``declaration`` with its password hashed once per run, if it is a Password."""
    if not adapter.hashes_a_password(declaration, make_password):
        return declaration
    return adapter.password_declaration(adapter.transformer(declaration)[1], hash_once)
