"""Staff workbench: worklists (/work/...), the registration form and the ticket page (/tickets/...).

Each view module owns its own url patterns, so that the three pages grow independently.
"""

from complaintdesk.workbench.views import register, ticket, worklists

app_name = "workbench"
urlpatterns = [*worklists.urlpatterns, *register.urlpatterns, *ticket.urlpatterns]
