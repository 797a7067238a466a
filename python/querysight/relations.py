"""Every use of Django internals lives here: which relation a query loads, which rows it was
loaded for, where it sits in a template, and which DRF serializer field asked for it.

Patched (once, by :func:`install`), each a thin wrapper that does nothing unless a querysight
scope is active (one ``ContextVar`` read):

* ``ModelIterable.__iter__``: rows of an evaluated queryset are tagged with their *origin* (the
  queryset they came from: where it was built, and whether it returned more than one row) and
  their *path* from that queryset's rows (``""``, ``"author"``, ``"comments__author"``).
  Objects filled in by ``select_related`` are tagged too. The tag lives on ``instance._state``.
* ``BaseManager.get_queryset``: the application line that built a queryset (the origin's site,
  where the fix goes), copied along by ``Query.clone()``.
* ``ForwardManyToOneDescriptor.get_object`` (and the one-to-one subclass),
  ``ReverseOneToOneDescriptor.__get__``, ``GenericForeignKey.__get__``,
  ``DeferredAttribute.__get__``: a relation (or deferred field) loaded lazily.
* the related-manager factories (reverse foreign key, many-to-many, generic relation): the
  manager's ``_apply_rel_filters`` tags its queryset's ``Query`` with the relation; the tag
  survives ``filter()``/``order_by()`` because ``Query.clone()`` copies ``__dict__``.
  ``SQLCompiler.execute_sql`` reads the tag while the query runs, with what the call added to
  the relation (a filter, an ordering, aggregates). Django 5's many-to-many ``count()`` and
  ``exists()`` query the through table (``constrained_target``): tagged the same way.
* ``prefetch_one_level``: the batch query of one prefetch level, its path and its rows.
* ``ContentTypeManager.get_for_id``/``get_for_model(s)``: the content-type cache fills itself
  (bounded by the number of models), never an N+1.
* ``Node.render_annotated``: the template file and line being rendered.
* asgiref's ``SyncToAsync.__call__``: the awaiting line of async code (``await
  qs.aget()``, ``async for``), for the queries run in the thread it hops to; its
  ``thread_handler`` frame is where the call-site walk stops.
* ``Model.__getstate__`` and ``Query.__getstate__`` (pickling, ``copy.copy``): the tags above
  are left out, so a model instance or queryset cached with querysight installed unpickles
  where it is not, and carries no origin from another request.
* DRF ``Field.get_attribute``, ``SerializerMethodField``, ``ListSerializer`` and
  ``ManyRelatedField`` ``to_representation``: the serializer field being serialized.

Not a patch: :func:`install` also tells :mod:`querysight.callsite` which stack frames are
``QuerySet`` entry points (``count``, ``first``, ``get``...), the SQL compiler, or values
iterables, so a finding can say what ran per row (:func:`operation`).

Unused eager loading (opt-in) also wraps ``ForwardManyToOneDescriptor.__get__`` and the
related managers' ``get_queryset`` to see reads of cached relations; those wrappers are installed
only once a scope asks for that detection (:func:`track_eager_reads`).

Supported: Django 4.2 and 5.2 (tested per version in ``tests/runtime``).
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import sys
from typing import Any, Callable, Iterator

from . import callsite

#: Set while a scope is active (by ``querysight.scope``); the patches check it first.
active: contextvars.ContextVar[bool] = contextvars.ContextVar("querysight_active", default=False)
#: The scope of the current context (``querysight.scope`` re-exports it as ``_current``).
current_scope: contextvars.ContextVar[Any] = contextvars.ContextVar("querysight_scope", default=None)
#: The awaiting line of async code whose ORM call hops to a thread (``sync_to_async``, which
#: Django's async ORM methods use): the call site of queries whose thread stack has no
#: application frame below the hop.
async_site: contextvars.ContextVar[str | None] = contextvars.ContextVar("querysight_async_site", default=None)
#: Set while a query is not the application's to count (content-type cache fills).
uncounted: contextvars.ContextVar[bool] = contextvars.ContextVar("querysight_uncounted", default=False)

_uid = itertools.count(1)


class Origin:
    """The queryset evaluation some rows came from.

    ``site`` is the application line that built the queryset (or evaluated it, when it was
    built outside any scope); ``multi`` is true once it returned a second row. Rows of a
    single-row result (``.get()``, ``.first()``, ``[0]``, ``filter(pk=...)``) are not a loop:
    their lazy loads are never grouped with those of other single rows.
    """

    __slots__ = ("multi", "site", "uid")

    def __init__(self, site: str, multi: bool = False) -> None:
        self.site = site
        self.multi = multi
        self.uid = next(_uid)

    @property
    def key(self) -> str:
        return self.site if self.multi else f"{self.site}#{self.uid}"


class Relation:
    """A relation being loaded.

    ``label`` is ``app_label.Model.accessor`` with the model of the instance it was read on
    (``field_label`` names the model that declares the field when that differs: multi-table
    inheritance); ``kind`` is ``forward`` (foreign key or one-to-one), ``reverse_one_to_one``,
    ``many`` (reverse foreign key, many-to-many, generic relation), ``generic_fk``,
    ``deferred`` or ``prefetch`` (the batch query of ``prefetch_related``); ``path`` is the
    eager-load lookup from the rows of ``origin`` (``customer__team``); ``via_join`` is true
    when every step before the last can be joined (``select_related``).

    For ``prefetch``: ``batch`` is non-zero when the batch covers several rows (one query for
    many rows is what prefetching is for; one per row is an N+1).
    For ``many``: ``prefetched`` when the relation had been prefetched (the call threw the
    prefetch away), and what the call added to the related manager: ``filtered``, ``ordered``,
    ``aggregates`` (``(alias, function, field)``).

    Immutable by convention (:meth:`with_call` makes a changed copy). A plain class with
    slots: one is made per lazy load, where a frozen dataclass's ``__init__`` costs ~3 us.
    """

    __slots__ = (
        "aggregates", "base_where", "batch", "field_label", "filtered", "kind", "label", "ordered",
        "origin", "path", "prefetched", "via_join",
    )

    def __init__(
        self,
        label: str,
        kind: str,
        path: str,
        origin: Origin | None = None,
        via_join: bool = True,
        field_label: str | None = None,
        prefetched: bool = False,
        batch: int = 0,
        base_where: int = 0,
        filtered: bool = False,
        ordered: bool = False,
        aggregates: tuple[tuple[str, str, str], ...] = (),
    ) -> None:
        self.label = label
        self.kind = kind
        self.path = path
        self.origin = origin
        self.via_join = via_join
        self.field_label = field_label
        self.prefetched = prefetched
        self.batch = batch
        self.base_where = base_where
        self.filtered = filtered
        self.ordered = ordered
        self.aggregates = aggregates

    def with_call(self, filtered: bool, ordered: bool, aggregates: tuple[tuple[str, str, str], ...]) -> "Relation":
        """A copy with what the call added to a related manager."""
        return Relation(self.label, self.kind, self.path, self.origin, self.via_join, self.field_label,
                        self.prefetched, self.batch, self.base_where, filtered, ordered, aggregates)

    def __repr__(self) -> str:
        return f"Relation({self.label!r}, {self.kind!r}, {self.path!r})"

    @property
    def key(self) -> str:
        """What groups this relation's queries (with the call site and operation)."""
        origin = self.origin.key if self.origin is not None else "-"
        if self.batch:
            origin += f"#batch{self.batch}"
        call = ("f" if self.filtered else "") + ("o" if self.ordered else "")
        call += ",".join(alias for alias, _, _ in self.aggregates)
        return f"{self.label} {self.path} {origin} {call}".rstrip()


current_relation: contextvars.ContextVar[Relation | None] = contextvars.ContextVar(
    "querysight_relation", default=None
)
current_template: contextvars.ContextVar[tuple[str, int] | None] = contextvars.ContextVar(
    "querysight_template", default=None
)
current_serializer_field: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "querysight_serializer_field", default=None
)

_ROW_TAG = "querysight"  # attribute of instance._state: (Origin | None, path, via_join)
_REL_TAG = "querysight_relation"  # attribute of Query: Relation of a related manager
_SITE_TAG = "querysight_site"  # attribute of Query: where the queryset was built
_installed = False
_eager_reads_installed = False
_labels: dict[tuple[type, str], str] = {}


# -- helpers -------------------------------------------------------------------------------



def _safe_call_site() -> str:
    """The call site, or ``<unknown>``: a patched Django path must never fail because of us."""
    try:
        return callsite.call_site()
    except Exception:
        return "<unknown>"

def _label(model: Any, accessor: str) -> str:
    key = (model, accessor)
    label = _labels.get(key)
    if label is None:
        meta = model._meta
        label = f"{meta.app_label}.{meta.object_name}.{accessor}"
        if len(_labels) < 10_000:
            _labels[key] = label
    return label


def _labels_for(instance: Any, declaring_model: Any, accessor: str) -> tuple[str, str | None]:
    label = _label(type(instance), accessor)
    declared = _label(declaring_model, accessor)
    return label, (declared if declared != label else None)


def _join(parent: str, name: str) -> str:
    return f"{parent}__{name}" if parent else name


def _tag_of(instance: Any) -> tuple[Origin | None, str, bool]:
    state = getattr(instance, "_state", None)
    tag = getattr(state, _ROW_TAG, None) if state is not None else None
    return tag if tag is not None else (None, "", True)


def _set_tag(obj: Any, tag: tuple[Origin | None, str, bool]) -> None:
    try:
        setattr(obj._state, _ROW_TAG, tag)
    except Exception:  # not a model instance, or a read-only state
        pass


def _with_relation(relation: Relation, call: Callable[[], Any]) -> Any:
    token = current_relation.set(relation)
    try:
        return call()
    finally:
        current_relation.reset(token)


def _scope() -> Any:
    scope = current_scope.get()
    if scope is None or scope.disabled:
        return None
    return scope


def _mark_read(instance: Any, name: str) -> None:
    """A cached relation was read: its eager-load path (if any) is used."""
    scope = _scope()
    if scope is None or not scope.track_eager:
        return
    origin, path, _ = _tag_of(instance)
    if origin is not None:
        scope.eager_used(origin.site, _join(path, name))


def _register_eager(origin: Origin, path: str, kind: str, label: str) -> None:
    scope = _scope()
    if scope is not None and scope.track_eager:
        scope.eager_loaded(origin.site, path, kind, label)


# -- rows: origins and paths ---------------------------------------------------------------


def _tag_selected(
    obj: Any, tree: Any, origin: Origin, path: str, via_join: bool, seen: set[str] | None, depth: int = 0
) -> None:
    """Tags the objects ``select_related`` filled in on ``obj`` (``tree`` is the query's
    ``select_related`` dict, or ``True`` for all non-null forward keys)."""
    cache = getattr(obj._state, "fields_cache", None)
    if not cache or depth > 8:
        return
    names = tree.items() if isinstance(tree, dict) else ((n, True) for n in list(cache))
    for name, sub in names:
        related = cache.get(name)
        if related is None or not hasattr(related, "_state"):
            continue  # a null foreign key, a missing reverse one-to-one
        child = _join(path, name)
        _set_tag(related, (origin, child, via_join))
        if seen is not None and child not in seen:
            seen.add(child)
            _register_eager(origin, child, "select_related", _label(type(obj), name))
        if sub:
            _tag_selected(related, sub, origin, child, via_join, seen, depth + 1)


def _rows_source(queryset: Any) -> tuple[Origin | None, str, bool, bool] | None:
    """Where the rows of ``queryset`` come from: ``(origin, path, via_join, fresh)``, or
    ``None`` for a lazy load (the descriptor's wrapper tags the object it returns). ``fresh``:
    the rows start a new origin (not a prefetch batch nor a related manager's rows)."""
    relation = current_relation.get()
    if relation is not None and relation.kind != "prefetch":
        return None
    if relation is not None:  # a prefetch query
        return relation.origin, relation.path, relation.via_join, False
    tag_relation = _relation_tag(queryset._query)
    if tag_relation is not None:  # a related manager's rows
        return tag_relation.origin, tag_relation.path, False, False
    return None, "", True, True


def _tag_list(queryset: Any, rows: list[Any]) -> None:
    """Tags fetched rows with where they came from (`_fetch_all`: the rows are a list anyway,
    so one plain loop instead of a generator step per row)."""
    source = _rows_source(queryset)
    if source is None or not rows:
        return
    origin, path, via_join, fresh = source
    query = queryset._query
    if origin is None:
        origin = Origin(query.__dict__.get(_SITE_TAG) or _safe_call_site())
        fresh = True
    if fresh and len(rows) > 1:
        origin.multi = True
    tag = (origin, path, via_join)
    # ModelIterable rows are model instances: `_state` is always there (`_ROW_TAG`).
    for row in rows:
        row._state.querysight = tag
    selected = query.select_related
    if not selected:
        return
    scope = _scope()
    seen: set[str] | None = set() if scope is not None and scope.track_eager else None
    if selected is True:  # `select_related()`: whatever non-null keys Django followed
        for row in rows:
            _tag_selected(row, selected, origin, path, via_join, seen)
        return
    plan = _select_plan(selected, origin, path, via_join)
    owners: list[type | None] = [None] * len(plan)  # the model holding each path, once filled in
    for row in rows:
        objs = [row]
        for i, (parent, name, _, child_tag) in enumerate(plan):
            obj = objs[parent]
            related = obj._state.fields_cache.get(name) if obj is not None else None
            if related is not None:
                related._state.querysight = child_tag
                owners[i] = type(obj)
            objs.append(related)
    if seen is not None:
        for (_, name, child, _), owner in zip(plan, owners):
            if owner is not None:
                _register_eager(origin, child, "select_related", _label(owner, name))


def _select_plan(
    tree: dict[str, Any], origin: Origin, path: str, via_join: bool
) -> list[tuple[int, str, str, tuple[Origin, str, bool]]]:
    """The objects ``select_related`` fills in, flattened once per queryset (depth first):
    ``(parent slot, field name, path, tag)``, slot 0 being the row and slot ``i + 1`` the
    object of entry ``i``. Tagging a row is then a loop without calls or string building."""
    plan: list[tuple[int, str, str, tuple[Origin, str, bool]]] = []

    def walk(node: dict[str, Any], parent: int, parent_path: str, depth: int) -> None:
        for name, sub in node.items():
            child = _join(parent_path, name)
            plan.append((parent, name, child, (origin, child, via_join)))
            if sub and depth < 8:
                walk(sub, len(plan), child, depth + 1)

    walk(tree, 0, path, 0)
    return plan


def _tagged_rows(queryset: Any, rows: Iterator[Any]) -> Iterator[Any]:
    """Tags rows as they stream (`.iterator()`), one row ahead: whether a second row exists
    is known before the first is handed out, so a loop under `.iterator()` is a loop from its
    first row."""
    source = _rows_source(queryset)
    if source is None:
        yield from rows
        return
    origin, path, via_join, fresh = source
    query = queryset._query
    iterator = iter(rows)
    try:
        current = next(iterator)
    except StopIteration:
        return
    if origin is None:
        origin = Origin(query.__dict__.get(_SITE_TAG) or _safe_call_site())
        fresh = True
    selected = query.select_related
    scope = _scope()
    seen: set[str] | None = set() if scope is not None and scope.track_eager else None
    tag = (origin, path, via_join)
    for following in iterator:
        if fresh:
            origin.multi = True
        current._state.querysight = tag
        if selected:
            _tag_selected(current, selected, origin, path, via_join, seen)
        yield current
        current = following
    current._state.querysight = tag
    if selected:
        _tag_selected(current, selected, origin, path, via_join, seen)
    yield current


def _patch_rows() -> None:
    from django.db.models import manager, query

    from django.db.models.sql.constants import GET_ITERATOR_CHUNK_SIZE as default_chunk

    original_iter = query.ModelIterable.__iter__

    @functools.wraps(original_iter)
    def __iter__(self: Any) -> Iterator[Any]:
        if not active.get():
            return original_iter(self)
        # `.iterator()` asks for chunked fetches, or (server-side cursors disabled) passes its
        # own chunk size: rows stream and memory stays flat.
        if self.chunked_fetch or self.chunk_size != default_chunk:
            return _tagged_rows(self.queryset, original_iter(self))
        rows = list(original_iter(self))  # `_fetch_all` makes a list of them anyway
        _tag_list(self.queryset, rows)
        return iter(rows)

    query.ModelIterable.__iter__ = __iter__

    original_get_queryset = manager.BaseManager.get_queryset

    walk = callsite.walker().call_site

    @functools.wraps(original_get_queryset)
    def get_queryset(self: Any) -> Any:
        queryset = original_get_queryset(self)
        if active.get() and getattr(self, "instance", None) is None and current_relation.get() is None:
            try:
                queryset._query.__dict__[_SITE_TAG] = walk(sys._getframe(1))
            except Exception:
                pass
        return queryset

    manager.BaseManager.get_queryset = get_queryset


# -- lazy loads ----------------------------------------------------------------------------


def _patch_forward(descriptors: Any) -> None:
    def wrap(cls: Any) -> None:
        original = cls.get_object

        @functools.wraps(original)
        def get_object(self: Any, instance: Any) -> Any:
            if not active.get():
                return original(self, instance)
            field = self.field
            origin, parent, via_join = _tag_of(instance)
            path = _join(parent, field.name)
            label, declared = _labels_for(instance, field.model, field.name)
            relation = Relation(label, "forward", path, origin, via_join, declared)
            obj = _with_relation(relation, lambda: original(self, instance))
            if obj is not None:
                _set_tag(obj, (origin, path, via_join))
            return obj

        cls.get_object = get_object

    wrap(descriptors.ForwardManyToOneDescriptor)
    wrap(descriptors.ForwardOneToOneDescriptor)


def _patch_reverse_one_to_one(descriptors: Any) -> None:
    original = descriptors.ReverseOneToOneDescriptor.__get__

    @functools.wraps(original)
    def __get__(self: Any, instance: Any, cls: Any = None) -> Any:
        if instance is None or not active.get():
            return original(self, instance, cls)
        accessor = self.related.get_accessor_name()
        if self.related.is_cached(instance):
            _mark_read(instance, accessor)
            return original(self, instance, cls)
        origin, parent, via_join = _tag_of(instance)
        path = _join(parent, accessor)
        label, declared = _labels_for(instance, self.related.model, accessor)
        relation = Relation(label, "reverse_one_to_one", path, origin, via_join, declared)
        obj = _with_relation(relation, lambda: original(self, instance, cls))
        _set_tag(obj, (origin, path, via_join))
        return obj

    descriptors.ReverseOneToOneDescriptor.__get__ = __get__


def track_eager_reads() -> None:
    """Wraps ``ForwardManyToOneDescriptor.__get__`` so that reads of relations loaded by
    ``select_related``/``prefetch_related`` are seen (unused eager loading, opt-in). Installed
    the first time a scope asks for it; costs a ``ContextVar`` read per access afterwards."""
    global _eager_reads_installed
    if _eager_reads_installed:
        return
    from django.db.models.fields import related_descriptors as descriptors

    original = descriptors.ForwardManyToOneDescriptor.__get__

    @functools.wraps(original)
    def __get__(self: Any, instance: Any, cls: Any = None) -> Any:
        if instance is not None and active.get() and self.field.is_cached(instance):
            _mark_read(instance, self.field.name)
        return original(self, instance, cls)

    descriptors.ForwardManyToOneDescriptor.__get__ = __get__
    _eager_reads_installed = True
    _forget_manager_classes()


def _forget_manager_classes() -> None:
    """Drops the related-manager classes Django caches per descriptor (``related_manager_cls``),
    so the next ones are made by the factories as they are now patched: the managers'
    ``get_queryset`` wrapper exists only once unused-eager tracking is on."""
    from django.apps import apps

    for model in apps.get_models(include_auto_created=True):
        for value in list(vars(model).values()):
            cache = getattr(value, "__dict__", None)
            if isinstance(cache, dict):
                cache.pop("related_manager_cls", None)


def _resolve_pending(pending: tuple[Any, Any, str, bool, int]) -> Relation:
    """The relation of a related manager, from what its ``tag`` kept: ``(instance, declaring
    model, accessor, prefetched, base_where)``. Described only when its query runs."""
    instance, model, accessor, prefetched, base_where = pending
    origin, parent, via_join = _tag_of(instance)
    label, declared = _labels_for(instance, model, accessor)
    return Relation(
        label,
        "many",
        _join(parent, accessor),
        origin,
        via_join,
        declared,
        prefetched=prefetched,
        base_where=base_where,
    )


def _relation_tag(query: Any) -> Relation | None:
    """The related-manager relation a query was tagged with, if any."""
    tag = query.__dict__.get(_REL_TAG)
    if tag.__class__ is tuple:
        tag = _resolve_pending(tag)
        query.__dict__[_REL_TAG] = tag
    return tag


def _tagging_factory(factory: Callable[..., type], describe: Callable[..., tuple[Any, str]]) -> Callable[..., type]:
    @functools.wraps(factory)
    def make(*args: Any, **kwargs: Any) -> type:
        cls = factory(*args, **kwargs)
        model, accessor = describe(*args, **kwargs)
        original_filters = cls._apply_rel_filters
        original_get_queryset = cls.get_queryset

        def tag(self: Any, queryset: Any) -> Any:
            # Only what cannot be read later is read now (a prefetch makes one manager per
            # row and most of their querysets never run): the Relation is built by
            # _relation_tag when the query executes or yields rows.
            # `queryset.query` would apply Django's deferred filter (it is deferred because a
            # prefetch never runs it): count its lookups instead, and tag the inner query,
            # which the deferred filter extends in place.
            query = queryset._query
            deferred = queryset._deferred_filter
            outer = current_relation.get()
            query.__dict__[_REL_TAG] = (
                self.instance,
                model,
                accessor,
                outer is not None and outer.kind == "prefetch",
                len(query.where.children) + (len(deferred[1]) + len(deferred[2]) if deferred else 0),
            )
            return queryset

        def _apply_rel_filters(self: Any, queryset: Any) -> Any:
            if active.get():
                return tag(self, original_filters(self, queryset))
            return original_filters(self, queryset)

        def get_queryset(self: Any) -> Any:
            queryset = original_get_queryset(self)
            if _eager_reads_installed and active.get() and queryset._result_cache is not None:
                _mark_read(self.instance, accessor)  # served from the prefetch cache
            return queryset

        cls._apply_rel_filters = _apply_rel_filters
        if _eager_reads_installed:  # else not wrapped: see track_eager_reads
            cls.get_queryset = get_queryset
        constrained = getattr(cls, "constrained_target", None)
        if isinstance(constrained, property) and constrained.fget is not None:
            # Django 5: a many-to-many manager's count()/exists() query the through table.
            original_constrained = constrained.fget

            def constrained_target(self: Any) -> Any:
                queryset = original_constrained(self)
                if queryset is not None and active.get():
                    tag(self, queryset)
                return queryset

            cls.constrained_target = property(constrained_target)
        return cls

    return make


def _patch_managers(descriptors: Any) -> None:
    def reverse_fk(superclass: Any, rel: Any) -> tuple[Any, str]:
        return rel.model, rel.get_accessor_name()

    def many_to_many(superclass: Any, rel: Any, reverse: bool) -> tuple[Any, str]:
        if reverse:
            return rel.model, rel.get_accessor_name()
        return rel.field.model, rel.field.name

    descriptors.create_reverse_many_to_one_manager = _tagging_factory(
        descriptors.create_reverse_many_to_one_manager, reverse_fk
    )
    descriptors.create_forward_many_to_many_manager = _tagging_factory(
        descriptors.create_forward_many_to_many_manager, many_to_many
    )


def _patch_contenttypes() -> None:
    try:
        from django.contrib.contenttypes import fields as ct_fields
        from django.contrib.contenttypes import models as ct_models
    except ImportError:  # contenttypes not installed
        return

    def generic(superclass: Any, rel: Any) -> tuple[Any, str]:
        return rel.field.model, rel.field.name

    ct_fields.create_generic_related_manager = _tagging_factory(
        ct_fields.create_generic_related_manager, generic
    )
    original_gfk = ct_fields.GenericForeignKey.__get__

    @functools.wraps(original_gfk)
    def gfk_get(self: Any, instance: Any, cls: Any = None) -> Any:
        if instance is None or not active.get():
            return original_gfk(self, instance, cls)
        if self.is_cached(instance):
            _mark_read(instance, self.name)
            return original_gfk(self, instance, cls)
        origin, parent, _ = _tag_of(instance)
        path = _join(parent, self.name)
        label, declared = _labels_for(instance, self.model, self.name)
        relation = Relation(label, "generic_fk", path, origin, False, declared)
        obj = _with_relation(relation, lambda: original_gfk(self, instance, cls))
        if obj is not None:
            _set_tag(obj, (origin, path, False))
        return obj

    ct_fields.GenericForeignKey.__get__ = gfk_get

    manager = ct_models.ContentTypeManager
    for name in ("get_for_id", "get_for_model", "get_for_models"):
        original = getattr(manager, name, None)
        if original is not None:
            setattr(manager, name, _uncounted(original))


def _uncounted(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not active.get():
            return method(*args, **kwargs)
        token = uncounted.set(True)
        try:
            return method(*args, **kwargs)
        finally:
            uncounted.reset(token)

    return wrapper


# -- prefetch_related ----------------------------------------------------------------------


def _patch_prefetch(descriptors: Any) -> None:
    from django.db.models import query

    original = query.prefetch_one_level
    single_valued = (descriptors.ForwardManyToOneDescriptor, descriptors.ReverseOneToOneDescriptor)

    @functools.wraps(original)
    def prefetch_one_level(instances: Any, prefetcher: Any, lookup: Any, level: int) -> Any:
        if not active.get() or not instances:
            return original(instances, prefetcher, lookup, level)
        first = instances[0]
        origin, parent, via_join = _tag_of(first)
        if origin is None:
            origin = Origin(_safe_call_site(), multi=len(instances) > 1)
            for instance in instances:
                _set_tag(instance, (origin, parent, via_join))
        through = lookup.prefetch_through.split("__")[level]
        to_attr, as_attr = lookup.get_current_to_attr(level)
        path = _join(parent, to_attr)
        label, declared = _labels_for(first, type(first), through)
        joinable = via_join and not as_attr and isinstance(prefetcher, single_valued)
        relation = Relation(
            label, "prefetch", path, origin, joinable, declared,
            batch=0 if len(instances) == 1 else next(_uid),
        )
        result = _with_relation(relation, lambda: original(instances, prefetcher, lookup, level))
        if result[0] and not as_attr:
            _register_eager(origin, path, "prefetch_related", label)
        return result

    query.prefetch_one_level = prefetch_one_level


# -- execution -----------------------------------------------------------------------------


def _describe_call(filters: Any, query: Any, relation: Relation) -> Relation:
    """What the call added to a related manager's queryset (``filters`` holds its conditions,
    ``query`` is the one executed: the same, or an aggregate over it)."""
    filtered = len(filters.where.children) > relation.base_where
    ordered = bool(filters.order_by)
    aggregates: list[tuple[str, str, str]] = []
    for alias, expression in getattr(query, "annotations", {}).items():
        if alias == "__count" or not getattr(expression, "contains_aggregate", False):
            continue
        sources = expression.get_source_expressions()
        source = sources[0] if sources else None
        target = getattr(source, "target", None)
        name = getattr(target, "name", None) or getattr(source, "name", None) or "..."
        aggregates.append((alias, type(expression).__name__, str(name)))
    if not (filtered or ordered or aggregates):
        return relation
    return relation.with_call(filtered, ordered, tuple(aggregates))


def _patch_compiler() -> None:
    import inspect

    from django.db.models.sql import compiler

    original = compiler.SQLCompiler.execute_sql

    def execute(self: Any, call: Callable[[], Any]) -> Any:
        query = self.query
        relation = _relation_tag(query)
        filters = query
        if relation is None:
            filters = query.__dict__.get("inner_query")  # an aggregate over a subquery
            relation = _relation_tag(filters) if filters is not None else None
            if relation is None:
                return call()
        relation = _describe_call(filters, query, relation)
        return _with_relation(relation, call)

    # Django's own signature when it is the one known (4.2 to 5.2): the wrapper passes the
    # arguments on as they came, without packing them into a tuple and a dict per query.
    if list(inspect.signature(original).parameters) == ["self", "result_type", "chunked_fetch", "chunk_size"]:
        from django.db.models.sql.constants import GET_ITERATOR_CHUNK_SIZE, MULTI

        @functools.wraps(original)
        def execute_sql(
            self: Any, result_type: Any = MULTI, chunked_fetch: bool = False, chunk_size: int = GET_ITERATOR_CHUNK_SIZE
        ) -> Any:
            tags = self.query.__dict__
            # Most queries are no related manager's and aggregate over no subquery: one look-up.
            if (_REL_TAG not in tags and "inner_query" not in tags) or not active.get():
                return original(self, result_type, chunked_fetch, chunk_size)
            return execute(self, lambda: original(self, result_type, chunked_fetch, chunk_size))

    else:

        @functools.wraps(original)
        def execute_sql(self: Any, *args: Any, **kwargs: Any) -> Any:
            tags = self.query.__dict__
            if (_REL_TAG not in tags and "inner_query" not in tags) or not active.get():
                return original(self, *args, **kwargs)
            return execute(self, lambda: original(self, *args, **kwargs))

    compiler.SQLCompiler.execute_sql = execute_sql


def _patch_deferred() -> None:
    from django.db.models import query_utils

    original = query_utils.DeferredAttribute.__get__

    @functools.wraps(original)
    def __get__(self: Any, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        # Django's own fast path, inline: a loaded value (every read of a foreign key's
        # `author_id` comes through here) costs no extra call.
        data = instance.__dict__
        name = self.field.attname
        if name in data:
            return data[name]
        if not active.get():
            return original(self, instance, cls)
        field = self.field
        origin, parent, via_join = _tag_of(instance)
        label, declared = _labels_for(instance, field.model, field.attname)
        relation = Relation(label, "deferred", _join(parent, field.name), origin, via_join, declared)
        return _with_relation(relation, lambda: original(self, instance, cls))

    query_utils.DeferredAttribute.__get__ = __get__


# -- where: templates and serializers ------------------------------------------------------


def _patch_templates() -> None:
    from django.template import base

    original = base.Node.render_annotated

    @functools.wraps(original)
    def render_annotated(self: Any, context: Any) -> Any:
        if not active.get():
            return original(self, context)
        token = getattr(self, "token", None)
        origin = getattr(self, "origin", None)
        if token is None or origin is None:
            return original(self, context)
        name = getattr(origin, "template_name", None) or getattr(origin, "name", "?")
        reset = current_template.set((str(name), int(getattr(token, "lineno", 0) or 0)))
        try:
            return original(self, context)
        finally:
            current_template.reset(reset)

    base.Node.render_annotated = render_annotated


def _serializer_field(method: Callable[..., Any]) -> Callable[..., Any]:
    """Runs ``method`` with the serializer field (``Serializer.field``) as the context."""

    @functools.wraps(method)
    def wrapper(self: Any, value: Any) -> Any:
        if not active.get():
            return method(self, value)
        parent = getattr(self, "parent", None)
        if parent is None or getattr(self, "field_name", None) is None:
            return method(self, value)
        token = current_serializer_field.set(f"{type(parent).__name__}.{self.field_name}")
        try:
            return method(self, value)
        finally:
            current_serializer_field.reset(token)

    return wrapper


def _patch_drf() -> None:
    try:
        from rest_framework import fields, relations, serializers
    except ImportError:
        return
    fields.Field.get_attribute = _serializer_field(fields.Field.get_attribute)
    fields.SerializerMethodField.to_representation = _serializer_field(
        fields.SerializerMethodField.to_representation
    )
    # A nested ``many=True`` serializer or related field reads the manager in
    # ``get_attribute`` but evaluates it in ``to_representation``.
    serializers.ListSerializer.to_representation = _serializer_field(
        serializers.ListSerializer.to_representation
    )
    relations.ManyRelatedField.to_representation = _serializer_field(
        relations.ManyRelatedField.to_representation
    )


# -- the operation ---------------------------------------------------------------------------

#: Library functions whose loops are bounded by code, not by data (``fnmatch`` patterns of
#: ``callsite.library_function`` names): a form validates each of its fields, so two
#: ``ModelChoiceField``s of one model are two ``.get()`` calls inside ``BaseForm.is_valid``
#: whatever the data. A formset's loop over its forms is data, and is reported.
BOUNDED_LOOPS = ("django.forms.forms.BaseForm.*",)

_ONE_ROW = frozenset({"first", "last", "get", "earliest", "latest", "in_bulk"})
_API_NAMES = frozenset(
    {
        "__iter__", "__len__", "__bool__", "__getitem__", "iterator", "get", "first", "last",
        "earliest", "latest", "in_bulk", "count", "exists", "contains", "aggregate",
        "prefetch_related_objects",
    }
)
_API_OWNERS = ("QuerySet.", "RawQuerySet.", "prefetch_related_objects")
_VALUE_ITERABLES = {
    "ValuesIterable.__iter__": "values",
    "ValuesListIterable.__iter__": "values_list",
    "FlatValuesListIterable.__iter__": "values_list",
    "NamedValuesListIterable.__iter__": "values_list",
}


def _frame_classifier() -> Callable[[Any], int]:
    """For :func:`callsite.locate`: ``QuerySet`` entry points, the SQL compiler, values
    iterables."""
    import os

    import django

    root = os.path.dirname(os.path.abspath(django.__file__))
    query_py = os.path.join(root, "db", "models", "query.py")
    compiler_py = os.path.join(root, "db", "models", "sql", "compiler.py")

    try:
        from asgiref import sync as asgiref_sync

        hop = asgiref_sync.SyncToAsync.thread_handler.__code__
    except (ImportError, AttributeError):
        hop = None
    from .middleware import QuerysightMiddleware

    # The request's own code ends at querysight's middleware: a frame beyond it (the test that
    # called `client.get`, the server) is no call site of the request's queries.
    boundaries = {hop, QuerysightMiddleware.__call__.__code__, QuerysightMiddleware.__acall__.__code__}
    boundaries.discard(None)

    def classify(code: Any) -> int:
        if code in boundaries:
            return callsite.BOUNDARY
        if code.co_filename == query_py:
            qualname = getattr(code, "co_qualname", "QuerySet.")
            if code.co_name in _API_NAMES and qualname.startswith(_API_OWNERS):
                return callsite.API
            if qualname in _VALUE_ITERABLES:
                return callsite.VALUES
        elif code.co_filename == compiler_py:
            return callsite.ORM
        return 0

    return classify


def _patch_asgiref() -> None:
    """The call site of an async ORM call is the line that awaited it, in the event loop's
    thread; its query runs in another thread (or, thread-sensitive, in the thread that called
    ``async_to_sync``), whose stack ends at ``thread_handler``. ``SyncToAsync.__call__``
    copies the context into that thread, so the awaiting line travels in a ``ContextVar``."""
    try:
        from asgiref.sync import SyncToAsync
    except ImportError:
        return
    original = SyncToAsync.__call__
    walk = callsite.walker().call_site

    @functools.wraps(original)
    async def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not active.get():
            return await original(self, *args, **kwargs)
        try:
            site = walk(sys._getframe(1))
        except Exception:
            site = None
        token = async_site.set(site if site != "<unknown>" else None)
        try:
            return await original(self, *args, **kwargs)
        finally:
            async_site.reset(token)

    SyncToAsync.__call__ = __call__


def _patch_pickling() -> None:
    """Tags stay out of pickles: ``Model.__getstate__`` copies ``_state`` (the copy loses the
    row tag) and ``Query.__getstate__`` (``BaseExpression``'s) copies ``__dict__`` (the copy
    loses the relation and build-site tags)."""
    from django.db.models import Model
    from django.db.models.sql.query import Query

    original_model = Model.__getstate__

    @functools.wraps(original_model)
    def model_getstate(self: Any) -> Any:
        state = original_model(self)
        model_state = state.get("_state") if isinstance(state, dict) else None
        if model_state is not None and model_state is not self._state:
            model_state.__dict__.pop(_ROW_TAG, None)
        return state

    Model.__getstate__ = model_getstate

    original_query = Query.__getstate__

    @functools.wraps(original_query)
    def query_getstate(self: Any) -> Any:
        state = original_query(self)
        if isinstance(state, dict) and state is not self.__dict__:
            state.pop(_REL_TAG, None)
            state.pop(_SITE_TAG, None)
        return state

    Query.__getstate__ = query_getstate


def operation(relation: Relation | None, api: str | None, values: str | None, orm: bool) -> str:
    """What the application called, for the finding and its fix: ``load`` (a lazy relation or
    deferred field), ``prefetch``, ``count``, ``exists``, ``aggregate``, ``contains``,
    ``first``, ``last``, ``get``, ``earliest``, ``latest``, ``in_bulk``, ``index`` (``[i]``),
    ``filter``, ``order_by``, ``values``/``values_list``, ``all`` (a related manager
    iterated), ``raw`` (a cursor) or ``query``."""
    if relation is not None and relation.kind != "many":
        return "prefetch" if relation.kind == "prefetch" else "load"
    if api in ("count", "exists", "aggregate", "contains"):
        return api
    if api == "__getitem__":
        return "index"
    if api in _ONE_ROW:
        return api
    if relation is not None:
        if relation.filtered:
            return "filter"
        if relation.ordered:
            return "order_by"
        return values or "all"
    if api is None and not orm:
        return "raw"
    return values or "query"


def install() -> None:
    """Installs the patches once per process. Safe to call repeatedly."""
    global _installed
    if _installed:
        return
    from django.db.models.fields import related_descriptors

    _patch_rows()
    _patch_forward(related_descriptors)
    _patch_reverse_one_to_one(related_descriptors)
    _patch_managers(related_descriptors)
    _patch_contenttypes()
    _patch_prefetch(related_descriptors)
    _patch_compiler()
    _patch_deferred()
    _patch_templates()
    _patch_drf()
    _patch_pickling()
    _patch_asgiref()
    callsite.VALUE_KINDS.update(_VALUE_ITERABLES)
    callsite.classify = _frame_classifier()
    callsite.plain_operation = lambda api, values, orm: operation(None, api, values, orm)
    callsite.reset_caches()
    _installed = True
