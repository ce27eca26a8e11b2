"""GET /api/v1/regulators: the active regulator profiles, for integrations that register
transfers (which code, matter types and urgencies to send)."""

from ninja import Router

from complaintdesk.regulators import selectors
from complaintdesk.regulators.schemas import ProfileOut, profile_out

router = Router(tags=["regulators"])


@router.get("/regulators", response=list[ProfileOut], summary="Regulator profiles")
def regulator_profiles(request):
    """Each profile's deadline of our answer (and its matrix by matter and urgency), extension
    steps, admissibility rules and the regulator's own steps."""
    return [profile_out(p) for p in selectors.profiles_full()]
