"""factory_boy post-generation hooks on the bulk path.

``@factory.post_generation`` is factory_boy's recommended way to fill a many-to-many field
(``self.tags.add(*extracted)``); skipping it on the bulk path would silently drop those rows.
So after each batch is inserted, every hook runs on every new object exactly as ``create()``
would run it (``create=True``, the value and ``hook__key`` extras the caller gave), and
fields a hook changed on the object are written back with one ``bulk_update``. Hooks that
build other objects through factory_boy (``RelatedFactory``) cannot run here and are refused
when the bulk call starts, naming the hook.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_save

from forge_suite.seeding import adapter
from forge_suite.seeding.exceptions import BulkError

__all__ = ["Hooks"]


class Hooks:
    """The post-generation hooks of one plan, ready to run on each inserted batch."""

    def __init__(
        self,
        owner: str,
        model: type[models.Model],
        declarations: dict[str, Any],
        values: dict[str, Any],
    ) -> None:
        self.model = model
        self.hooks: list[tuple[Callable[..., Any], bool, Any, dict[str, Any]]] = []
        for name, declaration in declarations.items():
            try:
                hook = adapter.post_generation_hook(declaration)
            except TypeError as exc:
                raise BulkError(
                    f"{owner}.{name} is a {exc} post-generation declaration, which the bulk "
                    f"path cannot run (it would be silently skipped). Use HasMany/HasOne, "
                    f"sample() for many-to-many fields, or create()."
                ) from None
            prefix = f"{name}__"
            extra = {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}
            self.hooks.append((hook, name in values, values.get(name), extra))
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]

    def __bool__(self) -> bool:
        return bool(self.hooks)

    def run(self, objects: list[Any], using: str) -> Counter[str]:
        """Run every hook on every object; save what the hooks changed on the objects.

        Returns the rows the hooks wrote per model (saved objects and many-to-many links).
        """
        attnames = [f.attname for f in self.fields]
        before = [[obj.__dict__.get(a) for a in attnames] for obj in objects]
        written: Counter[str] = Counter()

        def saved(sender: Any, created: bool = False, raw: bool = False, **kw: Any) -> None:
            if created and not raw:
                written[sender._meta.label] += 1

        def linked(sender: Any, action: str, pk_set: Any = None, **kw: Any) -> None:
            if action == "post_add" and pk_set:
                written[sender._meta.label] += len(pk_set)

        uid = f"forge_seeding.bulk.hooks.{id(self)}"
        post_save.connect(saved, weak=False, dispatch_uid=uid)
        m2m_changed.connect(linked, weak=False, dispatch_uid=uid)
        try:
            for obj in objects:
                for hook, provided, value, extra in self.hooks:
                    hook(obj, provided, value, extra)
        finally:
            post_save.disconnect(dispatch_uid=uid)
            m2m_changed.disconnect(dispatch_uid=uid)
        changed: set[str] = set()
        dirty = []
        for obj, old in zip(objects, before, strict=True):
            diff = {a for a, v in zip(attnames, old, strict=True) if obj.__dict__.get(a) != v}
            if diff:
                changed |= diff
                dirty.append(obj)
        if dirty:
            names = [f.name for f in self.fields if f.attname in changed]
            self.model._base_manager.db_manager(using).bulk_update(dirty, names)
        return written
