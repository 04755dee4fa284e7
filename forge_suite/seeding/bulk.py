"""The bulk path: factory declarations generated in batches and written with ``bulk_create``.

``PostFactory.bulk(100_000, author=users)`` compiles the factory's declarations once into
column generators, then for each batch: reserves a block of sequence numbers, writes the
parents it needs first, generates the rows, inserts them with one ``bulk_create``, adds the
many-to-many rows and the ``with_*`` children, and forgets the objects (memory stays flat; only
the primary keys are kept, 8 bytes a row).

Fast generation: every Faker declaration draws from a pool of pre-generated values (made with
the factory's own Faker, seeded from the session), so a row costs a random pick rather than a
provider call. Unique columns get a sequence suffix (:func:`unique_suffix`) so they never
collide. Declarations the bulk path does not understand make that factory fall back to
factory_boy's ``build()`` per row: slower, but the same values a plain factory would give.
"""

from __future__ import annotations

import contextlib
import itertools
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import factory
import factory.declarations
import factory.django
import factory.fuzzy
from django.contrib.auth.hashers import make_password
from django.db import connections, models, router, transaction
from django.db.models import Max, QuerySet, signals
from django.db.models.base import ModelState

from forge_suite.seeding import writers
from forge_suite.seeding.exceptions import BulkError
from forge_suite.seeding.factories import (
    FactoryBuilder,
    HasOne,
    UniqueFaker,
    _Relationship,
    _resolve_count,
    unique_suffix,
)
from forge_suite.seeding.session import SeedSession, current_session

if TYPE_CHECKING:
    from forge_suite.seeding.factories import Factory

__all__ = ["BulkResult", "bulk_create", "sample"]

Column = Callable[[int, int], list[Any]]  # (batch size, first sequence number) -> values
RowFn = Callable[["_Row"], Any]


class BulkResult(Sequence[Any]):
    """Primary keys of the rows one bulk call wrote, plus the row count per model.

    Pass it as a foreign-key value to another bulk call (``author=users``) to draw parents
    from it; ``len(result)`` is the number of top-level rows.
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        pk = model._meta.pk
        integer = isinstance(pk, (models.AutoField, models.BigAutoField, models.IntegerField))
        self.pks: Any = array("q") if integer else []
        self.rows: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self.pks)

    def __getitem__(self, index: Any) -> Any:
        return self.pks[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.pks)

    def __repr__(self) -> str:
        return f"<BulkResult {self.model._meta.label} x{len(self)} rows={dict(self.rows)}>"

    def queryset(self) -> QuerySet[Any]:
        """The written rows (top level) as a queryset."""
        return self.model._default_manager.filter(pk__in=list(self.pks))

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


class sample:
    """Many-to-many value for the bulk path: ``tags=sample(tags, k=(1, 3))``.

    Each row gets ``k`` distinct targets (an int or an inclusive ``(low, high)`` range) drawn
    from a :class:`BulkResult`, queryset, or list of objects or primary keys.
    """

    def __init__(self, source: Any, k: Any = (1, 3)) -> None:
        self.source = source
        self.k = k


def _source_pks(source: Any, model: type[models.Model] | None = None) -> Sequence[Any]:
    """Primary keys from a BulkResult, queryset, model instance(s) or plain keys."""
    if isinstance(source, BulkResult):
        return source.pks
    if isinstance(source, QuerySet):
        return list(source.values_list("pk", flat=True))
    if isinstance(source, models.Model):
        return [source.pk]
    if isinstance(source, Iterable) and not isinstance(source, (str, bytes)):
        return [item.pk if isinstance(item, models.Model) else item for item in source]
    raise BulkError(f"cannot draw primary keys from {source!r}")


def _is_source(value: Any) -> bool:
    return isinstance(value, (BulkResult, QuerySet)) or (
        isinstance(value, (list, tuple)) and bool(value) and isinstance(value[0], models.Model)
    )


POST_PHASE = factory.enums.BuilderPhase.POST_INSTANTIATION

#: Marks a foreign key whose values the caller supplies per batch (the parent of a relation).
FILLED_BY_CALLER = object()


class _Unsupported(Exception):
    """A declaration the column compiler cannot turn into a fast generator."""


class _Row:
    """The object a LazyAttribute sees on the bulk path: resolved values, computed on demand."""

    __slots__ = ("_plan", "_values")

    def __init__(self, plan: _Plan, values: dict[str, Any]) -> None:
        self._plan = plan
        self._values = values

    def __getattr__(self, name: str) -> Any:
        values = self._values
        if name in values:
            return values[name]
        plan = self._plan
        if name in plan.row_fns:
            value = values[name] = plan.row_fns[name](self)
            return value
        field = plan.fk_fields.get(name)
        if field is not None:
            related = field.related_model
            pk = values.get(field.attname)
            stub = related(pk=pk) if pk is not None else None
            values[name] = stub
            return stub
        if name in plan.params:
            return plan.params[name]
        raise AttributeError(f"{plan.factory_class.__name__} row has no attribute {name!r}")


def _pool(session: SeedSession, provider: str, kwargs: dict[str, Any], locale: str | None) -> list:
    """Pre-generated values for one Faker declaration, made with the factory's own Faker.

    The pool depends only on the session seed and the declaration, not on call order.
    """
    from forge_suite.seeding.conf import app_settings

    locale = locale or factory.Faker._DEFAULT_LOCALE
    key = (provider, repr(sorted(kwargs.items())), locale)
    values = session.pools.get(key)
    if values is None:
        faker = factory.Faker._get_faker(locale)
        rnd = faker.random
        saved = rnd.getstate()
        rnd.seed(f"{session.seed}:{key}")
        try:
            values = [faker.format(provider, **kwargs) for _ in range(app_settings.POOL_SIZE)]
        finally:
            rnd.setstate(saved)
        session.pools[key] = values
    return values


class _Plan:
    """One factory recipe compiled into column generators (built once per bulk call)."""

    def __init__(
        self,
        recipe: FactoryBuilder,
        session: SeedSession,
        using: str,
        batch_size: int,
        fixed: dict[str, Any] | None = None,
    ) -> None:
        factory_class = recipe.factory_class
        self.factory_class = factory_class
        self.recipe = recipe
        self.session = session
        self.using = using
        self.batch_size = batch_size
        meta: Any = factory_class._meta
        model = meta.get_model_class()
        if model is None:
            raise BulkError(f"{factory_class.__name__} has no Meta.model")
        self.model: type[models.Model] = model
        self.label = model._meta.label
        opts = model._meta
        self.fk_fields = {
            f.name: f for f in opts.concrete_fields if isinstance(f, models.ForeignKey)
        }
        self.m2m_fields = {f.name: f for f in opts.many_to_many}
        self.unique_fields = {
            f.name
            for f in opts.concrete_fields
            if f.unique and not f.primary_key and not isinstance(f, models.ForeignKey)
        }
        for constraint in opts.constraints:
            if (
                isinstance(constraint, models.UniqueConstraint)
                and len(constraint.fields) == 1
                and constraint.condition is None
            ):
                self.unique_fields.add(constraint.fields[0])

        declarations: dict[str, Any] = {}
        post: dict[str, Any] = {}
        for name, decl in meta.base_declarations.items():
            if (
                factory.enums.get_builder_phase(decl)
                == factory.enums.BuilderPhase.POST_INSTANTIATION
            ):
                post[name] = decl
            else:
                declarations[name] = decl
        self.params = {
            name: param.value
            for name, param in meta.parameters.items()
            if isinstance(param, factory.declarations.SimpleParameter)
        }
        self.fallback_reason: str | None = None
        state_names = list(recipe.state_names)
        for name, value in {**recipe.overrides, **(fixed or {})}.items():
            # factory_boy style: UserFactory(admin=True) turns the "admin" trait on.
            if isinstance(meta.parameters.get(name), factory.Trait) and value is True:
                state_names.append(name)
        self.state_names = state_names
        #: "author__first_name" values: overrides for the parent plan of the "author" key.
        self.nested: dict[str, dict[str, Any]] = {}
        for state in state_names:
            for key, value in meta.parameters[state].overrides.items():
                if "__" in key:
                    self._nest(key, value, f"state {state!r} sets nested {key!r}")
                else:
                    declarations[key] = value
        overrides = {
            k: v
            for k, v in {**recipe.overrides, **(fixed or {})}.items()
            if not isinstance(meta.parameters.get(k), factory.Trait)
        }
        for key in list(overrides):
            if "__" not in key:
                continue
            prefix = key.split("__", 1)[0]
            if prefix in declarations:
                self._nest(key, overrides.pop(key), f"nested override {key!r}")
            elif prefix not in post:
                raise BulkError(f"{factory_class.__name__}: unknown nested override {key!r}")
        for name in list(overrides):
            if name in post and not isinstance(post[name], _Relationship):
                overrides.pop(name)  # a value for a post-generation hook: not a column
        self.overrides = overrides
        self.excluded = set(meta.exclude)
        self.rename = dict(meta.rename)

        # Post-generation relationships requested by the recipe (with_posts(...)).
        self.relations: list[tuple[_Relationship, Any, dict[str, Any]]] = []
        for name, (count, extra) in recipe.relations.items():
            decl = post.get(name)
            if not isinstance(decl, _Relationship):
                raise BulkError(f"{factory_class.__name__} has no relationship {name!r}")
            self.relations.append((decl, count, extra))
        for name, decl in post.items():
            if not isinstance(decl, _Relationship):
                continue
            # factory_boy style: posts=3, posts__title="Hi"
            prefix = f"{name}__"
            extra = {
                k[len(prefix) :]: overrides.pop(k) for k in list(overrides) if k.startswith(prefix)
            }
            if name not in recipe.relations:
                default = overrides.pop(name, decl.default)
                if default:
                    self.relations.append((decl, default, extra))
            else:
                overrides.pop(name, None)
        self.m2m: list[tuple[models.ManyToManyField, sample]] = []
        for name in list(overrides):
            if name in self.m2m_fields:
                value = overrides.pop(name)
                spec = value if isinstance(value, sample) else sample(value)
                self.m2m.append((self.m2m_fields[name], spec))

        self._templates: dict[frozenset[str], Any] = {}
        self.columns: dict[str, Column] = {}
        self.row_fns: dict[str, RowFn] = {}
        self.parents: dict[str, _Plan] = {}  # FK attname -> parent plan made per batch
        values = {**declarations, **overrides}
        if self.fallback_reason is None:
            try:
                for name, value in values.items():
                    if name in meta.parameters:
                        if name in overrides and not factory.enums.get_builder_phase(value):
                            self.params[name] = value
                        continue
                    self._compile(name, value)
            except _Unsupported as exc:
                self.fallback_reason = str(exc)
        if self.fallback_reason is not None:
            # factory_boy builds each row; only the foreign keys (parents written first, or
            # drawn from the given ones) are generated here.
            self.columns, self.row_fns, self.parents = {}, {}, {}
            for name, value in values.items():
                fk = self.fk_fields.get(name)
                if fk is not None:
                    with contextlib.suppress(_Unsupported):
                        self._compile_fk(fk, value)
        self.children: list[tuple[_Plan, Any, str]] = []
        for decl, count, extra in self.relations:
            child_recipe = _recipe(decl.get_factory())
            child_recipe = child_recipe.set(**{**decl.defaults, **extra})
            child = _Plan(
                child_recipe, session, using, batch_size, fixed={decl.fk: FILLED_BY_CALLER}
            )
            self.children.append((child, count if not isinstance(decl, HasOne) else 1, decl.fk))
            if isinstance(decl, HasOne) and not count:
                self.children.pop()

    # -- compilation ---------------------------------------------------------------------
    def _nest(self, key: str, value: Any, reason: str) -> None:
        """Route ``parent__field`` to the parent's plan; anything else needs factory_boy."""
        prefix, rest = key.split("__", 1)
        if prefix in self.fk_fields:
            self.nested.setdefault(prefix, {})[rest] = value
        else:
            self.fallback_reason = reason

    def _field(self, name: str) -> models.Field[Any, Any] | None:
        try:
            field = self.model._meta.get_field(self.rename.get(name, name))
        except Exception:
            return None
        return field if isinstance(field, models.Field) else None

    def _compile(self, name: str, value: Any) -> None:
        session = self.session
        rng = session.rng
        field = self._field(name)
        fk = self.fk_fields.get(name) or (
            self.fk_fields.get(field.name) if field is not None else None
        )
        if fk is not None:
            self._compile_fk(fk, value)
            return
        unique = field is not None and field.name in self.unique_fields
        max_length = getattr(field, "max_length", None)
        column: Column | None = None
        row_fn: RowFn | None = None
        is_sequence = False

        if isinstance(value, factory.Faker):
            kwargs = {k: v for k, v in value._defaults.items() if k != "locale"}
            if any(factory.enums.get_builder_phase(v) for v in kwargs.values()):
                raise _Unsupported(f"{name}: Faker arguments that are declarations")
            pool = _pool(session, value.provider, kwargs, value._defaults.get("locale"))
            if isinstance(value, UniqueFaker):
                unique = True
                max_length = value.max_length or max_length

            def column(n: int, seq: int, pool: list[Any] = pool) -> list[Any]:
                return rng.choices(pool, k=n)

        elif isinstance(value, factory.LazyAttributeSequence):
            function = value.function
            is_sequence = True

            def row_fn(row: _Row, function: Any = function) -> Any:
                return function(row, row._values["__seq__"])

        elif isinstance(value, factory.Sequence):
            function = value.function
            is_sequence = True

            def column(n: int, seq: int, function: Any = function) -> list[Any]:
                return [function(i) for i in range(seq, seq + n)]

        elif isinstance(value, factory.LazyFunction):
            function = value.function

            def column(n: int, seq: int, function: Any = function) -> list[Any]:
                return [function() for _ in range(n)]

        elif isinstance(value, factory.LazyAttribute):
            row_fn = value.function
        elif isinstance(value, factory.SelfAttribute):
            if value.depth > 1:
                raise _Unsupported(f"{name}: SelfAttribute reaching a parent")
            path = value.attribute_name.split(".")
            default = value.default

            def row_fn(row: _Row, path: list[str] = path, default: Any = default) -> Any:
                target: Any = row
                for part in path:
                    try:
                        target = getattr(target, part)
                    except AttributeError:
                        if default is factory.declarations._UNSPECIFIED:
                            raise
                        return default
                return target

        elif isinstance(value, factory.Iterator):
            decl = value

            def column(n: int, seq: int, decl: Any = decl) -> list[Any]:
                return [decl.evaluate(None, None, {}) for _ in range(n)]

        elif isinstance(value, factory.fuzzy.BaseFuzzyAttribute):
            fuzzy = value

            def column(n: int, seq: int, fuzzy: Any = fuzzy) -> list[Any]:
                return [fuzzy.fuzz() for _ in range(n)]

        elif isinstance(value, factory.declarations.Transformer):
            if value.transform is make_password and not factory.enums.get_builder_phase(
                value.default
            ):
                # One hash for the whole run: hashing per row would dominate, and a salt
                # drawn from the session keeps the output deterministic.
                key = ("password", value.default)
                if key not in session.pools:
                    salt = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=22))
                    session.pools[key] = [make_password(value.default, salt=salt)]
                hashed = session.pools[key][0]

                def column(n: int, seq: int, hashed: str = hashed) -> list[Any]:
                    return [hashed] * n

            elif not factory.enums.get_builder_phase(value.default):
                transform, raw = value.transform, value.default

                def column(n: int, seq: int, transform: Any = transform, raw: Any = raw) -> list:
                    return [transform(raw) for _ in range(n)]

            else:
                raise _Unsupported(f"{name}: Transformer around a declaration")
        elif isinstance(value, sample):
            raise BulkError(f"{name}: sample() is for many-to-many fields only")
        elif factory.enums.get_builder_phase(value):
            raise _Unsupported(f"{name}: {type(value).__name__}")
        else:
            constant = value

            def column(n: int, seq: int, constant: Any = constant) -> list[Any]:
                return [constant] * n

        if unique and not is_sequence:
            if row_fn is not None:
                inner = row_fn

                def row_fn(row: _Row, inner: Any = inner, ml: Any = max_length) -> Any:
                    return _make_unique(inner(row), row._values["__seq__"], ml, rng)

            else:
                assert column is not None
                base = column

                def column(n: int, seq: int, base: Any = base, ml: Any = max_length) -> list:
                    return [
                        _make_unique(v, s, ml, rng)
                        for v, s in zip(base(n, seq), range(seq, seq + n), strict=True)
                    ]

        target = self.rename.get(name, name)
        if row_fn is not None:
            self.row_fns[target] = row_fn
        else:
            assert column is not None
            self.columns[target] = column

    def _compile_fk(self, fk: models.ForeignKey[Any, Any], value: Any) -> None:
        attname = fk.attname
        unique = fk.unique
        rng = self.session.rng
        if value is FILLED_BY_CALLER:
            return
        nested = self.nested.get(fk.name)
        if isinstance(value, factory.SubFactory):
            parent_recipe = _recipe(value.get_factory())
            defaults = {**value._defaults, **(nested or {})}
            if defaults:
                parent_recipe = parent_recipe.set(**defaults)
            self.parents[attname] = _Plan(parent_recipe, self.session, self.using, self.batch_size)
            return
        if nested:
            raise BulkError(
                f"{self.label}.{fk.name}: nested values ({', '.join(sorted(nested))}) need a "
                f"SubFactory parent, not given parents"
            )
        if isinstance(value, sample):
            raise BulkError(f"{fk.name}: sample() is for many-to-many fields only")
        if factory.enums.get_builder_phase(value):
            raise _Unsupported(f"{fk.name}: {type(value).__name__} on a foreign key")
        if value is None:
            if not fk.null:
                raise BulkError(f"{self.label}.{fk.name} cannot be None")
            self.columns[attname] = lambda n, seq: [None] * n
            return
        pks = _source_pks(value)
        if not pks:
            raise BulkError(f"{self.label}.{fk.name}: no parent rows to choose from")
        if unique:
            # One-to-one: every parent at most once, in order.
            taken = [0]

            def column(n: int, seq: int, pks: Sequence[Any] = pks) -> list[Any]:
                start = taken[0]
                if start + n > len(pks):
                    raise BulkError(
                        f"{self.label}.{fk.name} is one-to-one but only {len(pks)} parents "
                        f"were given"
                    )
                taken[0] = start + n
                return list(pks[start : start + n])

            self.columns[attname] = column
            return
        if len(pks) == 1:
            only = pks[0]
            self.columns[attname] = lambda n, seq: [only] * n
            return

        def pick(n: int, seq: int, pks: Sequence[Any] = pks) -> list[Any]:
            return rng.choices(pks, k=n)

        self.columns[attname] = pick

    # -- generation ----------------------------------------------------------------------
    def _reserve(self, n: int) -> int:
        meta: Any = self.factory_class._meta
        meta._initialize_counter()
        counter: Any = meta._counter
        start = int(counter.seq)
        counter.seq = start + n
        return start

    def make_objects(self, n: int, fixed: dict[str, list[Any]], result: BulkResult) -> list[Any]:
        """Generate ``n`` unsaved instances (parents they need are written first)."""
        seq = self._reserve(n)
        if self.fallback_reason is not None:
            return self._fallback_objects(n, seq, fixed, result)
        columns: dict[str, list[Any]] = {}
        for attname, parent in self.parents.items():
            if attname not in fixed:
                columns[attname] = parent.run_into(n, result)
        for name, column in self.columns.items():
            if name not in fixed:
                columns[name] = column(n, seq)
        columns.update(fixed)
        names = list(columns)
        rows: Iterable[tuple[Any, ...]] = (
            zip(*(columns[name] for name in names), strict=True) if names else [()] * n
        )
        excluded = self.excluded
        if not self.row_fns:
            if excluded & set(names):
                keep = [i for i, name in enumerate(names) if name not in excluded]
                names = [names[i] for i in keep]
                rows = (tuple(row[i] for i in keep) for row in rows)
            return self._instantiate([dict(zip(names, row, strict=True)) for row in rows])
        keys = [k for k in [*names, *self.row_fns] if k not in excluded]
        dicts = []
        for index, row_values in enumerate(rows):
            values = dict(zip(names, row_values, strict=True))
            values["__seq__"] = seq + index
            row = _Row(self, values)
            for name in self.row_fns:
                getattr(row, name)
            dicts.append({k: values[k] for k in keys})
        return self._instantiate(dicts)

    def _instantiate(self, rows: list[dict[str, Any]]) -> list[Any]:
        """Model instances from attribute dicts.

        ``Model(**kwargs)`` costs more than generating the row, so when every key is a plain
        concrete field and nothing listens to ``pre_init``/``post_init``, the instance is
        assembled directly: the field defaults, then the row, exactly what ``__init__``
        would leave in ``__dict__``.
        """
        model = self.model
        if not rows:
            return []
        fast = self._fast_template(rows[0])
        if fast is None:
            return [model(**row) for row in rows]
        template, dynamic, renames = fast
        new = object.__new__
        objects = []
        for row in rows:
            obj = new(model)
            values = template.copy()
            for attname, field in dynamic:
                values[attname] = field.get_default()
            for name, attname in renames:
                related = row.pop(name)
                row[attname] = related.pk if related is not None else None
            values.update(row)
            values["_state"] = ModelState()
            obj.__dict__ = values
            objects.append(obj)
        return objects

    def _fast_template(self, sample_row: dict[str, Any]) -> Any:
        keys = frozenset(sample_row)
        cached = self._templates.get(keys)
        if cached is not None or keys in self._templates:
            return cached
        opts = self.model._meta
        result: Any = None
        if not (
            signals.pre_init.has_listeners(self.model)
            or signals.post_init.has_listeners(self.model)
        ):
            attnames = {f.attname: f for f in opts.concrete_fields}
            renames = []
            ok = True
            for key in keys:
                if key in attnames:
                    continue
                field = self.fk_fields.get(key)
                if field is not None and field.attname not in keys:
                    renames.append((key, field.attname))
                    continue
                ok = False
            if ok:
                template: dict[str, Any] = {}
                dynamic = []
                provided = keys | {attname for _, attname in renames}
                for concrete in opts.concrete_fields:
                    if concrete.attname in provided:
                        continue
                    if concrete.has_default() and callable(concrete.default):
                        dynamic.append((concrete.attname, concrete))
                    else:
                        template[concrete.attname] = concrete.get_default()
                result = (template, dynamic, renames)
        self._templates[keys] = result
        return result

    def _fallback_objects(
        self, n: int, seq: int, fixed: dict[str, list[Any]], result: BulkResult
    ) -> list[Any]:
        """factory_boy ``build()`` per row, with parents as primary-key stubs."""
        objects = []
        base: dict[str, Any] = dict.fromkeys(self.state_names, True)
        for name, decl in self.factory_class._meta.base_declarations.items():
            if isinstance(decl, _Relationship):  # written by the bulk path after the batch
                base[name] = False if isinstance(decl, HasOne) else 0
        stubs: dict[str, list[Any]] = {}
        for attname, parent in self.parents.items():
            if attname not in fixed:
                stubs[attname] = parent.run_into(n, result)
        for name, column in self.columns.items():
            if name not in fixed:
                stubs[name] = column(n, seq)  # only foreign keys are compiled in a fallback
        stubs.update(fixed)
        by_attname = {f.attname: f for f in self.fk_fields.values()}
        for index in range(n):
            kwargs = dict(base)
            for key, value in self.overrides.items():
                if key not in self.fk_fields and key not in by_attname:
                    kwargs[key] = value
            for attname, values in stubs.items():
                field = by_attname.get(attname)
                if field is None:
                    kwargs[attname] = values[index]
                else:
                    pk = values[index]
                    kwargs[field.name] = field.related_model(pk=pk) if pk is not None else None
            objects.append(self.factory_class.build(**kwargs))
        return objects

    def insert(self, objects: list[Any]) -> None:
        insert_objects(self.model, objects, self.using)

    def write_batch(self, n: int, fixed: dict[str, list[Any]], result: BulkResult) -> list[Any]:
        """Generate, insert and complete one batch; return the new primary keys."""
        objects = self.make_objects(n, fixed, result)
        self.insert(objects)
        pks = [obj.pk for obj in objects]
        del objects
        result.rows[self.label] += n
        self.session.count(self.label, n)
        for field, spec in self.m2m:
            self._write_m2m(field, spec, pks, result)
        for child, count, fk in self.children:
            child.run_for_parents(pks, count, fk, result)
        return pks

    def _write_m2m(
        self, field: models.ManyToManyField[Any, Any], spec: sample, pks: list[Any], result: Any
    ) -> None:
        through: Any = field.remote_field.through
        targets = _source_pks(spec.source)
        if not targets:
            return
        source_name = field.m2m_field_name()
        target_name = field.m2m_reverse_field_name()
        source_att = through._meta.get_field(source_name).attname
        target_att = through._meta.get_field(target_name).attname
        rng = self.session.rng
        rows = []
        for pk in pks:
            k = min(_resolve_count(spec.k, rng), len(targets))
            chosen = rng.sample(range(len(targets)), k) if k else []
            for index in chosen:
                rows.append(through(**{source_att: pk, target_att: targets[index]}))
        for start in range(0, len(rows), self.batch_size):
            insert_objects(through, rows[start : start + self.batch_size], self.using)
        label = through._meta.label
        result.rows[label] += len(rows)
        self.session.count(label, len(rows))

    def run(self, count: int, result: BulkResult, bar: Any = None) -> None:
        """Write ``count`` rows in batches; their keys go to ``result``."""
        remaining = count
        while remaining > 0:
            n = min(self.batch_size, remaining)
            result.pks.extend(self.write_batch(n, {}, result))
            remaining -= n
            if bar is not None:
                bar.update(n)

    def run_into(self, n: int, result: BulkResult) -> list[Any]:
        """Write ``n`` parent rows for a child batch; count them in ``result``; return keys."""
        own = BulkResult(self.model)
        self.run(n, own)
        result.rows.update(own.rows)
        return list(own.pks)

    def run_for_parents(
        self,
        parents: Iterable[Any],
        count: Any,
        fk: str,
        result: BulkResult,
        bar: Any = None,
        collect: BulkResult | None = None,
    ) -> None:
        """Write ``count`` rows (int or range) for each parent key, streamed in batches."""
        field = self.fk_fields.get(fk)
        if field is None:
            raise BulkError(f"{self.label} has no foreign key {fk!r}")
        attname = field.attname
        rng = self.session.rng

        def expanded() -> Iterator[Any]:
            for parent in parents:
                for _ in range(_resolve_count(count, rng)):
                    yield parent

        stream = expanded()
        while True:
            chunk = list(itertools.islice(stream, self.batch_size))
            if not chunk:
                break
            pks = self.write_batch(len(chunk), {attname: chunk}, result)
            if collect is not None:
                collect.pks.extend(pks)
            if bar is not None:
                bar.update(len(chunk))


_WRITERS: dict[tuple[type[models.Model], str], Any] = {}


def insert_objects(model: type[models.Model], objects: list[Any], using: str) -> None:
    """Insert unsaved instances and set their primary keys.

    The fast writer of :mod:`forge_suite.seeding.writers` when it applies and
    ``FAST_WRITER`` is on, else ``bulk_create``, with a key-recovery fallback for backends
    that do not return keys from a bulk insert.
    """
    from forge_suite.seeding.conf import app_settings

    if not objects:
        return
    connection = connections[using]
    if app_settings.FAST_WRITER:
        key = (model, using)
        if key not in _WRITERS:
            _WRITERS[key] = writers.fast_writer_for(model, connection)
        writer = _WRITERS[key]
        if writer is not None:
            writer(model, objects, connection)
            return
    manager = model._base_manager.db_manager(using)
    pk = model._meta.pk
    fetch = (
        objects[0].pk is None
        and not connection.features.can_return_rows_from_bulk_insert
        and isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
    )
    if not fetch:
        manager.bulk_create(objects)
        return
    # Older SQLite (< 3.35) and some MySQL setups do not return keys from a bulk INSERT.
    # Inside this transaction (SQLite serialises writers) one multi-row INSERT takes
    # consecutive keys above the current maximum, in order.
    before = manager.aggregate(top=Max("pk"))["top"] or 0
    manager.bulk_create(objects)
    keys = list(
        manager.filter(pk__gt=before)
        .order_by("pk")
        .values_list("pk", flat=True)[: len(objects) + 1]
    )
    if len(keys) != len(objects):
        raise BulkError(
            f"could not recover the primary keys of {len(objects)} {model._meta.label} rows "
            f"(found {len(keys)}): another writer inserted rows concurrently"
        )
    for obj, key in zip(objects, keys, strict=True):
        obj.pk = key
        obj._state.adding = False


def _make_unique(value: Any, seq: int, max_length: int | None, rng: Any) -> Any:
    if isinstance(value, str):
        return unique_suffix(value, seq, max_length)
    if isinstance(value, bool):
        raise BulkError("a boolean column cannot be unique across many rows")
    if isinstance(value, int):
        return seq
    return value


def _recipe(target: Any) -> FactoryBuilder:
    if isinstance(target, FactoryBuilder):
        return target
    if isinstance(target, type) and issubclass(target, factory.django.DjangoModelFactory):
        if hasattr(target, "builder"):
            return target.builder()
        return FactoryBuilder(target)  # type: ignore[arg-type]
    raise BulkError(f"expected a factory class or builder, got {target!r}")


def bulk_create(
    target: FactoryBuilder | type[Factory] | type[factory.django.DjangoModelFactory],
    count: int | tuple[int, int] | None = None,
    *,
    per: Any = None,
    fk: str | None = None,
    batch_size: int | None = None,
    using: str | None = None,
    progress: bool | None = None,
    **overrides: Any,
) -> BulkResult:
    """Write ``count`` rows of a factory with ``bulk_create``, in batches, in one transaction.

    - ``overrides``: fixed values; a :class:`BulkResult`, queryset or list of instances for a
      foreign key draws a random parent per row; :class:`sample` fills a many-to-many field.
    - ``per=parents``: ``count`` rows (an int or an inclusive ``(low, high)`` range) for each
      parent, the foreign key ``fk`` (found automatically when there is one) pointing at it.
    - Parents declared with ``SubFactory`` and not overridden are created first, one per row.
    - ``with_*`` relationships of the recipe are written after each parent batch.

    Works with plain factory_boy ``DjangoModelFactory`` classes too.
    """
    from forge_suite.seeding.conf import app_settings

    recipe = _recipe(target)
    if recipe.overrides or overrides:
        recipe = recipe.set(**overrides)
    model = recipe.factory_class._meta.get_model_class()
    if model is None:
        raise BulkError(f"{recipe.factory_class.__name__} has no Meta.model")
    batch_size = int(batch_size or app_settings.BATCH_SIZE)
    if batch_size <= 0:
        raise BulkError(f"batch_size must be positive, not {batch_size}")
    session = current_session()
    using = using or router.db_for_write(model)
    show = session.progress if progress is None else progress
    result = BulkResult(model)

    fixed: dict[str, Any] = {}
    parents_pks: Sequence[Any] = ()
    if per is not None:
        parents_pks = _source_pks(per)
        fk = fk or _find_fk(model, per)
        fixed[fk] = FILLED_BY_CALLER
        if count is None:
            count = 1
        _resolve_count(count, session.rng)
    elif count is None or isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise BulkError(f"count must be an int >= 0, not {count!r}")

    plan = _Plan(recipe, session, using, batch_size, fixed=fixed)
    total: int | None = None
    if isinstance(count, int):
        total = count * len(parents_pks) if per is not None else count
    bar = _progress_bar(model, total, show)
    try:
        with transaction.atomic(using=using):
            if per is not None:
                plan.run_for_parents(parents_pks, count, fk or "", result, bar, collect=result)
            else:
                plan.run(total or 0, result, bar)
    finally:
        if bar is not None:
            bar.close()
    return result


def _find_fk(model: type[models.Model], parents: Any) -> str:
    if isinstance(parents, BulkResult):
        parent_model: Any = parents.model
    elif isinstance(parents, QuerySet):
        parent_model = parents.model
    else:
        items = list(parents)
        if not items or not isinstance(items[0], models.Model):
            raise BulkError("per= needs a BulkResult, a queryset or model instances; or pass fk=")
        parent_model = type(items[0])
    candidates = [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model is parent_model
    ]
    if len(candidates) != 1:
        raise BulkError(
            f"{model._meta.label} has {len(candidates)} foreign keys to "
            f"{parent_model._meta.label}; pass fk= with one of: {', '.join(candidates) or 'none'}"
        )
    return candidates[0]


def _progress_bar(model: type[models.Model], total: int | None, show: bool) -> Any:
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=model._meta.label, unit="rows", leave=False, dynamic_ncols=True)
