"""Staff workbench: worklists (/work/...), the registration form and the ticket page (/tickets/...).

Each view module owns its own url patterns, so that the three pages grow independently.
"""

from complaintdesk.workbench.views import (
               callbacks,
               customers,
               desk,
               incidents,
               ledger,
               register,
               ticket,
               worklists,
)

app_name = "workbench"
# incidents before ticket: /tickets/<id>/similar/ is not an action of ticket.urlpatterns.
urlpatterns = [*worklists.urlpatterns, *desk.urlpatterns, *incidents.urlpatterns, *register.urlpatterns, *ticket.urlpatterns,
               *customers.urlpatterns, *callbacks.urlpatterns,
               *ledger.urlpatterns]
