from complaintdesk.web.navigation import nav_items


def navigation(request):
    """The navigation bar; computed lazily so pages without the bar pay nothing."""
    return {"nav_items": lambda: nav_items(request.user)}
