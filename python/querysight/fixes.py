"""The fix for a finding, computed from Django's model registry.

Paths are lookups from the rows the loop iterates, so the fix goes on the queryset that produced
them (``Finding.origin``):

* A forward foreign key / one-to-one, or a reverse one-to-one: ``.select_related("a__b")`` when
  every step of the path can be joined, else ``.prefetch_related("a__b")``.
* A reverse foreign key, many-to-many or generic relation read whole: ``.prefetch_related(...)``.
  Its ``count()`` becomes ``annotate(x_count=Count(...))``, its ``exists()``
  ``annotate(has_x=Exists(...))``, its ``aggregate()`` the same aggregate in ``annotate()``
  (inside a ``Prefetch`` when the relation hangs below a many-valued one); ``filter()``,
  ``order_by()`` and single-row calls get ``Prefetch(..., queryset=..., to_attr=...)``. When the
  relation was prefetched, the fix says the call throws the prefetch away.
* A generic foreign key: ``.prefetch_related("content_object")``.
* A deferred field: load it with the rows (``only()`` / ``defer()``).
* A per-row ``prefetch_related_objects([obj], ...)``: one call for all rows.
* Any other repeated query (``.get()``, ``filter().first()``, raw SQL): fetch once before the loop.
* A write per row (``DETECT["writes"]``): ``bulk_create``, ``bulk_update``, ``update()``, or a
  ``delete()`` on a queryset.
* An unused eager load: remove the lookup.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .relations import Relation
    from .scope import Finding

DUPLICATE = (
    "the same query runs again with the same parameters: keep the first result (a variable, "
    "cached_property) instead of querying again"
)
GENERIC = (
    "a query runs once per row: fetch the rows once before the loop (a dict keyed by id, "
    "in_bulk()), or load them with the loop's queryset (select_related, "
    "Prefetch(..., to_attr=...), an annotation)"
)
_ONE_ROW = ("first", "last", "get", "earliest", "latest", "index", "in_bulk")
#: Operations of a write run once per row (``DETECT["writes"]``): the statement's verb.
WRITES = ("insert", "replace", "update", "delete")


def call_text(operation: str | None) -> str:
    """How an operation reads in a message: ``.count()``, ``[i]``, ``.all()``."""
    if operation == "index":
        return "[i]"
    if operation in (None, "all", "query", "load"):
        return ".all()"
    return f".{operation}()"


def _model_and_field(label: str) -> tuple[Any, Any] | None:
    try:
        from django.apps import apps

        app_label, model_name, accessor = label.split(".", 2)
        model = apps.get_model(app_label, model_name)
    except Exception:
        return None
    return model, _field_by_accessor(model, accessor)


def _field_by_accessor(model: Any, accessor: str) -> Any:
    for field in model._meta.get_fields():
        name = field.get_accessor_name() if field.auto_created and not field.concrete else field.name
        if name == accessor:
            return field
    return None


class _Many:
    """Names of a many-valued relation for the code of a fix."""

    def __init__(self, model: Any, field: Any, accessor: str) -> None:
        self.model = model.__name__ if model is not None else "Model"
        self.accessor = accessor
        self.lookup = accessor  # the relation's name in lookups from the parent model
        self.related = "Related"
        self.exists_filter = '<foreign key>=OuterRef("{outer}")'
        if field is None:
            return
        related = field.related_model
        self.related = related.__name__ if related is not None else self.related
        self.lookup = field.name
        if field.auto_created and not field.concrete:  # reverse FK / reverse M2M
            self.exists_filter = f'{field.field.name}=OuterRef("{{outer}}")'
        elif hasattr(field, "object_id_field_name"):  # GenericRelation
            self.exists_filter = (
                f"{field.content_type_field_name}=ContentType.objects.get_for_model({self.model}), "
                f'{field.object_id_field_name}=OuterRef("{{outer}}")'
            )
        else:  # forward M2M
            self.exists_filter = f'{field.related_query_name()}=OuterRef("{{outer}}")'


def fix_for(finding: "Finding", relation: "Relation | None" = None) -> str:
    """The fix printed for ``finding``; ``relation`` is what querysight saw of the relation
    load (whether its path can be joined, what the call added to a related manager)."""
    if finding.kind == "duplicate":
        return DUPLICATE
    if finding.kind == "unused_eager":
        return f'remove "{finding.path}" from .{finding.relation_kind}(...) (never read)'
    if finding.inside is not None:
        return (
            f"the loop is inside {finding.inside}, which this line calls once: look for a bulk "
            "form of the call (or one that takes the objects already loaded); if the cost is "
            "acceptable, allow it with `# querysight: ignore[n_plus_one]` on this line or "
            f'QUERYSIGHT["ALLOW_CALL_SITES"] = ["{finding.inside}"]'
        )
    if finding.relation is None:
        if finding.operation in WRITES:
            return _write_fix(finding.operation, finding.sql)
        return _per_row_query(finding.operation)
    accessor = finding.relation.rsplit(".", 1)[-1]
    path = finding.path or accessor
    kind = finding.relation_kind
    if kind == "deferred":
        return f'add "{path}" to .only(...) (or remove it from .defer(...))'
    if kind == "generic_fk":
        return f'.prefetch_related("{path}")'
    if kind in ("forward", "reverse_one_to_one"):
        via_join = relation.via_join if relation is not None else True
        return f'.select_related("{path}")' if via_join else f'.prefetch_related("{path}")'
    if kind == "prefetch":
        return (
            f'.prefetch_related("{path}") on the queryset of the rows, or one '
            f'prefetch_related_objects(rows, "{path}") for all of them before the loop'
        )
    fix = _many(finding, relation, path)
    if finding.prefetched:
        fix = f'{call_text(finding.operation)} throws the prefetched "{path}" away (one query per row): {fix}'
    return fix


_WRITE_TABLE = re.compile(r"^\s*(?:insert\s+into|replace\s+into|update|delete\s+from)\s+([\w.\"`\[\]]+)", re.I)


def _written_model(sql: str) -> str:
    """``Model.objects`` for the table a write statement names, from Django's model registry
    (``Meta.db_table``), or ``Model.objects`` when no model has that table."""
    match = _WRITE_TABLE.match(sql or "")
    if match is not None:
        table = match.group(1).strip('"`[]').rsplit(".", 1)[-1].lower()
        try:
            from django.apps import apps

            for model in apps.get_models(include_auto_created=True):
                if model._meta.db_table.lower() == table:
                    return f"{model.__name__}.objects"
        except Exception:
            pass
    return "Model.objects"


def _write_fix(operation: str, sql: str) -> str:
    """The bulk form of a write run once per row (``DETECT["writes"]``)."""
    manager = _written_model(sql)
    if operation == "insert":
        return (
            "one INSERT per row (save() or create() in a loop): build the objects in the loop and "
            f"insert them with one {manager}.bulk_create(objs) after it"
        )
    if operation == "replace":
        return (
            "one REPLACE per row: build the objects in the loop and write them with one "
            f"{manager}.bulk_create(objs, update_conflicts=True, ...) after it"
        )
    if operation == "update":
        return (
            "one UPDATE per row (save() in a loop): change the objects in the loop and write them "
            f'with one {manager}.bulk_update(objs, ["field", ...]) after it, or one '
            f"{manager}.filter(...).update(field=...) (F() expressions included) when every row "
            "gets the same change"
        )
    return (
        f"one DELETE per row (delete() in a loop): delete them in one query, "
        f"{manager}.filter(pk__in=ids).delete()"
    )


def _per_row_query(operation: str | None) -> str:
    if operation == "get":
        return (
            ".get() runs once per row: fetch all the rows in one query before the loop "
            "(in_bulk(ids) or filter(pk__in=ids)) and look each one up in that dict"
        )
    if operation in _ONE_ROW:
        return (
            f"{call_text(operation)} runs once per row: fetch the rows for all the keys in one query "
            "before the loop (filter(<key>__in=keys)) and pick one per key in Python, or "
            "annotate the loop's queryset with Subquery(...[:1])"
        )
    if operation in ("count", "exists", "aggregate"):
        return (
            f"{call_text(operation)} runs once per row: compute it for every row with the loop's "
            "queryset (annotate() with Count/Exists/Subquery and OuterRef)"
        )
    if operation == "raw":
        return (
            "raw SQL runs once per row with different parameters: fetch the rows for all the "
            "parameters in one statement before the loop (WHERE ... IN (...) or = ANY(%s))"
        )
    return GENERIC


def _many(finding: "Finding", relation: "Relation | None", path: str) -> str:
    via_join = relation.via_join if relation is not None else True
    filtered = relation.filtered if relation is not None else False
    ordered = relation.ordered if relation is not None else False
    aggregates = relation.aggregates if relation is not None else ()
    resolved = _model_and_field(finding.relation or "")
    model, field = resolved if resolved is not None else (None, None)
    accessor = path.rsplit("__", 1)[-1]
    names = _Many(model, field, accessor)
    parent = path.rpartition("__")[0]
    op = finding.operation
    if op in ("count", "exists", "aggregate"):
        if not parent:
            prefix, outer = "", "pk"
        elif via_join:
            prefix, outer = f"{parent}__", f"{parent}__pk"
        else:
            prefix, outer = "", "pk"
        condition = ', filter=Q(...)' if filtered else ""
        if op == "count":
            name = f"{accessor}_count"
            annotation = f'{name}=Count("{prefix}{names.lookup}"{condition})'
            read = f"read `{name}` instead of .count()"
        elif op == "exists":
            name = f"has_{accessor}"
            inner = names.exists_filter.format(outer=outer) + (", ..." if filtered else "")
            annotation = f"{name}=Exists({names.related}.objects.filter({inner}))"
            read = f"read `{name}` instead of .exists()"
        else:
            parts = [
                f'{alias}={function}("{prefix}{names.lookup}__{field_name}"{condition})'
                for alias, function, field_name in aggregates
            ] or [f'<alias>=<Aggregate>("{prefix}{names.lookup}__<field>")']
            annotation = ", ".join(parts)
            aliases = ", ".join(f"`{a[0]}`" for a in aggregates) or "the annotation"
            read = f"read {aliases} instead of .aggregate()"
        if parent and not via_join:
            return (
                f'.prefetch_related(Prefetch("{parent}", queryset={names.model}.objects.annotate({annotation}))) '
                f"and {read}"
            )
        return f".annotate({annotation}) and {read}"
    queryset = ""
    if filtered:
        queryset = f"{names.related}.objects.filter(...)"
    if op in _ONE_ROW:
        to_attr = f"{accessor}_list"
        arg = f", queryset={queryset}" if queryset else ""
        return (
            f'.prefetch_related(Prefetch("{path}"{arg}, to_attr="{to_attr}")) and take the row '
            f"from `{to_attr}` in Python instead of {call_text(op)} per row"
        )
    if op in ("filter", "order_by"):
        if ordered:
            queryset = (queryset or f"{names.related}.objects") + ".order_by(...)"
        to_attr = f"{accessor}_filtered" if op == "filter" else f"{accessor}_ordered"
        return (
            f'.prefetch_related(Prefetch("{path}", queryset={queryset}, to_attr="{to_attr}")) '
            f"and read `{to_attr}` instead of {call_text(op)} per row"
        )
    if op in ("values", "values_list"):
        return (
            f'.prefetch_related("{path}") and read the fields from the prefetched rows instead '
            f"of {call_text(op)} per row"
        )
    return f'.prefetch_related("{path}")'
