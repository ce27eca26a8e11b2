"""Reads of the category tree."""

from complaintdesk.taxonomy.models import Category, RequiredElement


def category_chain(category: Category) -> list[Category]:
    """The category and its ancestors, root first (one query)."""
    return list(category.get_ancestors()) + [category]


def effective_elements(chain: list[Category]) -> list[RequiredElement]:
    """Required elements of the category and all its ancestors: inherited down the tree."""
    ids = [c.pk for c in chain]
    depth = {c.pk: c.depth for c in chain}
    rows = list(RequiredElement.objects.filter(category_id__in=ids))
    rows.sort(key=lambda e: (depth[e.category_id], e.position, e.pk))
    return rows


def owning_department_id(chain: list[Category]) -> int | None:
    """The nearest node (leaf upwards) that names an owning department."""
    for node in reversed(chain):
        if node.owning_department_id:
            return node.owning_department_id
    return None


def default_severity(chain: list[Category]) -> str:
    for node in reversed(chain):
        if node.default_severity:
            return node.default_severity
    return ""
