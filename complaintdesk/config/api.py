from complaintdesk.accounts.auth import BearerToken, StaffSession
from complaintdesk.capa.api import router as capa_router
from complaintdesk.core import api_errors
from complaintdesk.customers.api import router as customers_router
from complaintdesk.imports.api import router as imports_router
from complaintdesk.incidents.api import router as incidents_router
from complaintdesk.notifications.api import router as notifications_router
from complaintdesk.regulators.api import router as regulators_router
from complaintdesk.sla.api import router as ledger_router
from complaintdesk.stats.api import router as stats_router
from complaintdesk.tickets.api import router as tickets_router

api = api_errors.ErrorDeclaringAPI(
    title="complaintdesk API",
    version="1",
    description="Register tickets and move them through review, dispatch, handling, audit, "
    "reply, callback and close. Errors: {error: {code, message, fields[{field, reason}]}} in "
    "the language of Accept-Language (zh-Hans or en). A create or an action whose write was "
    "committed but whose ticket could not be read back answers its usual 2xx status with "
    "{committed: true, id, number, state, version, url, message} and a Location header.",
    auth=[BearerToken(), StaffSession()],
    openapi_url="/openapi.json",
    docs_url="/docs",
    urls_namespace="api-v1",
)
api_errors.install(api)
api.add_router("/", tickets_router)
api.add_router("/", ledger_router)
api.add_router("/", notifications_router)
api.add_router("/", incidents_router)
api.add_router("/", customers_router)
api.add_router("/", capa_router)
api.add_router("/", imports_router)
api.add_router("/", stats_router)
api.add_router("/", regulators_router)
