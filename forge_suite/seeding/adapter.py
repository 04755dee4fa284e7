"""Every use of factory_boy's internals, in one place.

The bulk path reads factory declarations the way factory_boy itself does (``_meta``, a
Faker's ``_defaults``, the sequence counter...). Those are not public API, so each access
lives here, behind a small function, and :func:`self_check` exercises all of them: the test
suite and ``manage.py check`` (``forge_seeding.E001``) fail loudly when a factory_boy
release changes one, instead of the bulk path silently generating wrong rows.
``pyproject.toml`` also caps factory-boy below the next minor release.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import factory
import factory.base
import factory.declarations
import factory.django
import factory.enums
import factory.fuzzy
import factory.random
from django.contrib.auth.hashers import make_password

#: factory_boy's package, typed loosely: it ships partial annotations; this module is the one
#: place that reaches into it.
_fb: Any = factory

__all__ = [
    "UNSPECIFIED",
    "DjangoModelFactory",
    "FactoryMetaClass",
    "FakerDeclaration",
    "PostGenerationDeclaration",
    "declarations",
    "declared_model",
    "default_locale",
    "excluded",
    "faker_for",
    "faker_spec",
    "function_of",
    "hashes_a_password",
    "is_belongs_to",
    "is_declaration",
    "is_plain_sequence",
    "is_post_generation",
    "is_trait",
    "model_of",
    "override_default_locale",
    "parameters",
    "password_declaration",
    "post_generation_hook",
    "randgen",
    "renames",
    "reseed",
    "reserve_sequence",
    "reset_sequence",
    "self_attribute",
    "self_check",
    "simple_parameters",
    "step_factory",
    "subfactory_defaults",
    "trait_overrides",
    "transformer",
    "wrap_factory",
]

if TYPE_CHECKING:
    # factory_boy ships no type information: these stand-ins give the suite's subclasses
    # (and so the public API) real types instead of ``Any``.

    class FactoryMetaClass(type):
        """The metaclass of factory_boy factories."""

    class PostGenerationDeclaration:
        """A declaration that runs after the object is built."""

        def call(self, instance: Any, step: Any, context: Any) -> Any: ...

    class FakerDeclaration:
        """``_fb.Faker``."""

        provider: str

        def __init__(self, provider: str, **kwargs: Any) -> None: ...
        def evaluate(self, instance: Any, step: Any, extra: dict[str, Any]) -> Any: ...

    class DjangoModelFactory(metaclass=FactoryMetaClass):
        """``_fb.django.DjangoModelFactory``: ``build``, ``create`` and their batches."""

        _meta: Any

        def __new__(cls, **kwargs: Any) -> Any: ...
        @classmethod
        def build(cls, **kwargs: Any) -> Any: ...
        @classmethod
        def create(cls, **kwargs: Any) -> Any: ...
        @classmethod
        def build_batch(cls, size: int, **kwargs: Any) -> list[Any]: ...
        @classmethod
        def create_batch(cls, size: int, **kwargs: Any) -> list[Any]: ...
        @classmethod
        def _setup_next_sequence(cls) -> int: ...
        @classmethod
        def reset_sequence(cls, value: int | None = None, force: bool = False) -> None: ...

else:
    FactoryMetaClass = _fb.base.FactoryMetaClass
    PostGenerationDeclaration = _fb.declarations.PostGenerationDeclaration
    FakerDeclaration = _fb.Faker
    DjangoModelFactory = _fb.django.DjangoModelFactory
#: SelfAttribute's "no default given" marker.
UNSPECIFIED: Any = _fb.declarations._UNSPECIFIED


def declarations(factory_class: Any) -> dict[str, Any]:
    """The factory's declarations by name, inherited ones included (not its Params)."""
    return dict(factory_class._meta.base_declarations)


def parameters(factory_class: Any) -> dict[str, Any]:
    """The factory's ``class Params`` entries (Traits and simple parameters) by name."""
    return dict(factory_class._meta.parameters)


def simple_parameters(factory_class: Any) -> dict[str, Any]:
    """Plain ``class Params`` values (not Traits) by name."""
    return {
        name: param.value
        for name, param in factory_class._meta.parameters.items()
        if isinstance(param, _fb.declarations.SimpleParameter)
    }


def trait_overrides(factory_class: Any, name: str) -> dict[str, Any]:
    """The values a Trait sets when it is on."""
    trait = factory_class._meta.parameters[name]
    return dict(trait.overrides)


def model_of(factory_class: Any) -> Any:
    """``Meta.model`` resolved to a class (None for abstract factories)."""
    return factory_class._meta.get_model_class()


def declared_model(factory_class: Any) -> Any:
    """``Meta.model`` as written (a class, an ``"app.Model"`` string, or None)."""
    return factory_class._meta.model


def excluded(factory_class: Any) -> set[str]:
    """``Meta.exclude``: declarations computed but not passed to the model."""
    return set(factory_class._meta.exclude)


def renames(factory_class: Any) -> dict[str, str]:
    """``Meta.rename``: declaration name -> model field name."""
    return dict(factory_class._meta.rename)


def is_abstract(factory_class: Any) -> bool:
    return bool(factory_class._meta.abstract)


def is_belongs_to(value: Any) -> bool:
    """True for a ``SubFactory`` making a parent row (not ``_fb.Dict``/``_fb.List``)."""
    return isinstance(value, _fb.SubFactory) and not isinstance(value, (_fb.Dict, _fb.List))


def is_plain_sequence(value: Any) -> bool:
    """True for ``factory.Sequence`` (whose function takes only the number)."""
    return isinstance(value, _fb.Sequence) and not isinstance(value, _fb.LazyAttributeSequence)


def is_trait(value: Any) -> bool:
    """True for a ``_fb.Trait`` (a named state)."""
    return isinstance(value, _fb.Trait)


def is_declaration(value: Any) -> bool:
    """True for anything factory_boy evaluates (a declaration), False for a plain value."""
    return _fb.enums.get_builder_phase(value) is not None


def is_post_generation(value: Any) -> bool:
    """True for declarations that run after the object exists (post_generation, RelatedFactory)."""
    return bool(_fb.enums.get_builder_phase(value) == _fb.enums.BuilderPhase.POST_INSTANTIATION)


def default_locale() -> str:
    """The locale ``_fb.Faker`` uses when a declaration names none."""
    return str(_fb.Faker._DEFAULT_LOCALE)


def override_default_locale(locale: str) -> Any:
    """Context manager: _fb.Faker's default locale for the block (public API)."""
    return _fb.Faker.override_default_locale(locale)


def faker_for(locale: str | None) -> Any:
    """The (shared) ``faker.Faker`` that factory_boy uses for ``locale``."""
    return _fb.Faker._get_faker(locale or default_locale())


def faker_spec(declaration: Any) -> tuple[str, dict[str, Any], str | None]:
    """A ``_fb.Faker`` as (provider, provider kwargs, locale or None)."""
    defaults = dict(declaration._defaults)
    locale = defaults.pop("locale", None)
    return declaration.provider, defaults, locale


def subfactory_defaults(declaration: Any) -> dict[str, Any]:
    """The keyword values given to a ``SubFactory(..., **values)``."""
    return dict(declaration._defaults)


def function_of(declaration: Any) -> Callable[..., Any]:
    """The function of a Sequence, LazyFunction, LazyAttribute or LazyAttributeSequence."""
    function: Callable[..., Any] = declaration.function
    return function


def self_attribute(declaration: Any) -> tuple[int, list[str], Any]:
    """A SelfAttribute as (depth, dotted path split, default or :data:`UNSPECIFIED`)."""
    return declaration.depth, declaration.attribute_name.split("."), declaration.default


def transformer(declaration: Any) -> tuple[Callable[[Any], Any], Any]:
    """A Transformer (``_fb.django.Password``...) as (transform, raw default)."""
    return declaration.transform, declaration.default


def hashes_a_password(declaration: Any, hasher: Callable[..., Any]) -> bool:
    """True for a Transformer (``factory.django.Password``) hashing a plain value with
    ``hasher``."""
    return (
        isinstance(declaration, _fb.declarations.Transformer)
        and declaration.transform is hasher
        and not is_declaration(declaration.default)
    )


def password_declaration(raw: Any, hasher: Callable[[Any], Any]) -> Any:
    """A ``factory.django.Password`` for ``raw`` hashed with ``hasher``."""
    return _fb.django.Password(raw, transform=hasher)


def iterator_values(declaration: Any) -> Callable[[int], list[Any]]:
    """``n`` -> the next ``n`` values of a ``_fb.Iterator`` (shared cycle, like create())."""

    def take(n: int) -> list[Any]:
        return [declaration.evaluate(None, None, {}) for _ in range(n)]

    return take


def fuzzer(declaration: Any) -> Callable[[], Any]:
    """A fuzzy attribute's value function."""
    fuzz: Callable[[], Any] = declaration.fuzz
    return fuzz


def step_factory(step: Any) -> Any:
    """The factory class a build step (the ``step`` a declaration is evaluated with) builds."""
    return step.builder.factory_meta.factory


def wrap_factory(related: Any) -> Any:
    """A lazy factory reference (class, dotted path or callable) with ``.get()``."""
    return _fb.declarations._FactoryWrapper(related)


class _CreateStep:
    """The part of factory_boy's build step a post-generation hook reads: "we created it"."""

    class builder:  # factory_boy reads step.builder.strategy
        strategy = "create"


def post_generation_hook(declaration: Any) -> Callable[[Any, bool, Any, dict[str, Any]], Any]:
    """A callable running a ``@post_generation`` hook or ``PostGenerationMethodCall`` on a
    created object: ``hook(instance, value_provided, value, extra)``.

    Raises TypeError for post-generation declarations that build other objects through
    factory_boy's step (``RelatedFactory``...), which the bulk path cannot run.
    """
    if isinstance(declaration, _fb.RelatedFactory) or not isinstance(
        declaration, (_fb.PostGeneration, _fb.PostGenerationMethodCall)
    ):
        raise TypeError(type(declaration).__name__)
    context_type = _fb.declarations.PostGenerationContext
    step = _CreateStep()

    def run(instance: Any, provided: bool, value: Any, extra: dict[str, Any]) -> Any:
        return declaration.call(instance, step, context_type(provided, value, dict(extra)))

    return run


def reserve_sequence(factory_class: Any, n: int) -> int:
    """Take ``n`` consecutive sequence numbers from the factory's counter; return the first."""
    meta = factory_class._meta
    meta._initialize_counter()
    counter = meta._counter
    start = int(counter.seq)
    counter.seq = start + n
    return start


def reset_sequence(factory_class: Any) -> None:
    """Forget the counter so the next use asks ``_setup_next_sequence`` again."""
    factory_class._meta._counter = None
    for declaration in factory_class._meta.base_declarations.values():
        if isinstance(declaration, _fb.Iterator):
            declaration.reset()


def reseed(seed: int) -> None:
    """Reseed factory_boy's random generator (and Faker's through it)."""
    _fb.random.reseed_random(seed)


def randgen() -> Any:
    """factory_boy's shared ``random.Random``."""
    return _fb.random.randgen


def _probe_factories() -> Iterator[Any]:
    """One small factory using every declaration type the bulk path reads."""

    def hook(obj: Any, create: bool, extracted: Any, **kwargs: Any) -> None:
        return None

    class Meta:
        model = dict
        exclude = ("hidden",)
        rename = {"alias": "real"}

    class Params:
        flag = 3
        loud = _fb.Trait(name="LOUD")

    attrs = {
        "Meta": Meta,
        "Params": Params,
        "name": _fb.Faker("first_name", locale="fr_FR"),
        "number": _fb.Sequence(lambda n: n),
        "lazy": _fb.LazyAttribute(lambda o: o.number),
        "copy": _fb.SelfAttribute("name", default="x"),
        "hidden": _fb.LazyFunction(lambda: 1),
        "alias": _fb.Iterator([1, 2]),
        "secret": _fb.django.Password("pw"),
        "fuzzy": _fb.fuzzy.FuzzyInteger(1, 3),
        "child": _fb.SubFactory(_fb.DictFactory, key="value"),
        "hook": _fb.post_generation(hook),
    }
    yield _fb.base.FactoryMetaClass("Probe", (_fb.Factory,), attrs)


def self_check() -> list[str]:
    """Exercise every internal used here on a probe factory; return what broke (empty: ok)."""
    problems: list[str] = []

    def expect(what: str, check: Callable[[], bool]) -> None:
        try:
            ok = check()
        except Exception as exc:  # an attribute gone, a signature changed...
            problems.append(f"{what}: {type(exc).__name__}: {exc}")
            return
        if not ok:
            problems.append(f"{what}: unexpected value")

    try:
        (probe,) = _probe_factories()
    except Exception as exc:  # a declaration's signature changed
        return [f"declaring a probe factory: {type(exc).__name__}: {exc}"]
    decls: dict[str, Any] = {}
    expect("base_declarations", lambda: bool(decls.update(declarations(probe))) or "name" in decls)
    expect("parameters", lambda: set(parameters(probe)) == {"flag", "loud"})
    expect("SimpleParameter", lambda: simple_parameters(probe) == {"flag": 3})
    expect("Trait.overrides", lambda: trait_overrides(probe, "loud") == {"name": "LOUD"})
    expect("Meta.model", lambda: model_of(probe) is dict and declared_model(probe) is dict)
    expect("Meta.exclude", lambda: "hidden" in excluded(probe))
    expect("Meta.rename", lambda: renames(probe) == {"alias": "real"})
    expect("Trait", lambda: is_trait(parameters(probe)["loud"]))
    expect("Meta.abstract", lambda: is_abstract(probe) is False)
    expect(
        "Faker._defaults",
        lambda: faker_spec(decls["name"]) == ("first_name", {}, "fr_FR"),
    )
    expect("Faker._DEFAULT_LOCALE", lambda: isinstance(default_locale(), str))
    expect("Faker._get_faker", lambda: bool(faker_for("fr_FR").format("first_name")))
    expect("builder phases", lambda: is_post_generation(decls["hook"]))
    expect("builder phases", lambda: is_declaration(decls["lazy"]) and not is_declaration(3))
    expect("Sequence", lambda: is_plain_sequence(decls["number"]))
    expect("Sequence.function", lambda: function_of(decls["number"])(4) == 4)
    expect("SelfAttribute", lambda: self_attribute(decls["copy"]) == (0, ["name"], "x"))
    expect("SelfAttribute default", lambda: _fb.SelfAttribute("a").default is UNSPECIFIED)
    expect("Transformer", lambda: transformer(decls["secret"])[1] == "pw")
    expect(
        "Password",
        lambda: hashes_a_password(password_declaration("pw", make_password), make_password),
    )
    expect("Iterator", lambda: iterator_values(decls["alias"])(3) == [1, 2, 1])
    expect("fuzzy", lambda: fuzzer(decls["fuzzy"])() in (1, 2, 3))
    expect("SubFactory._defaults", lambda: subfactory_defaults(decls["child"]) == {"key": "value"})
    expect("_FactoryWrapper", lambda: wrap_factory(_fb.DictFactory).get() is _fb.DictFactory)
    expect(
        "PostGenerationDeclaration", lambda: isinstance(decls["hook"], PostGenerationDeclaration)
    )
    calls: list[Any] = []
    expect(
        "post_generation",
        lambda: (
            post_generation_hook(_fb.post_generation(lambda *a, **k: calls.append((a, k))))(
                "obj", True, 5, {"x": 1}
            )
            or calls == [(("obj", True, 5), {"x": 1})]
        ),
    )
    steps: list[Any] = []

    def evaluate(self: Any, instance: Any, step: Any, extra: Any) -> int:
        steps.append(step_factory(step))
        return 1

    step_probe = type("StepProbe", (_fb.declarations.BaseDeclaration,), {"evaluate": evaluate})
    expect(
        "step.builder.factory_meta",
        lambda: _fb.DictFactory(v=step_probe()) == {"v": 1} and steps == [_fb.DictFactory],
    )
    reset_sequence(probe)
    expect("sequence counter", lambda: reserve_sequence(probe, 5) == 0)
    expect("sequence counter", lambda: probe.build()["number"] == 5)
    expect("randgen", lambda: hasattr(randgen(), "randint"))
    return problems
