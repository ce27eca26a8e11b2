"""The only writers of customers and their phone numbers (with history); the segment
callbacks are written by `callbacks.py` of this package."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import CENTRE_ROLES, Role
from complaintdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from complaintdesk.core.phones import normalize_phone
from complaintdesk.core.queries import unique_or_none
from complaintdesk.customers.models import Customer, CustomerPhone, PhoneLabel, Segment
from complaintdesk.search.services.index import search_customer_renamed


def customer_for_phone(*, phone: str, name: str = "", segment: str = "", org_unit=None) -> Customer:
    """The customer who holds this normalised phone number now, created on first contact.

    Two first contacts with one number at the same moment: the unique index lets one insert
    win and the other reads the winner's row. `just_created` on the result says whether this
    call created it (a new customer has no earlier tickets to look up).
    """
    found = unique_or_none(  # one current holder per number: a partial unique index
        CustomerPhone.objects.select_related("customer").filter(number=phone, valid_to__isnull=True))
    if found:
        customer = found.customer
        changed = []
        if name and not customer.name:
            customer.name = name
            changed.append("name")
        if segment and segment != customer.segment and segment != Segment.UNKNOWN:
            customer.segment = segment
            changed.append("segment")
        if org_unit is not None and customer.org_unit_id is None:
            customer.org_unit = org_unit
            changed.append("org_unit")
        if changed:
            customer.save(update_fields=changed)
            if "name" in changed:  # the earlier tickets find the customer by name too
                search_customer_renamed(customer_id=customer.pk, name=customer.name)
        customer.just_created = False
        return customer
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                name=name, segment=segment or Segment.UNKNOWN, org_unit=org_unit
            )
            CustomerPhone.objects.create(customer=customer, number=phone, valid_from=timezone.now())
            customer.just_created = True
            return customer
    except IntegrityError:
        customer = CustomerPhone.objects.select_related("customer").get(number=phone, valid_to__isnull=True).customer
        customer.just_created = False
        return customer


def _may_edit(actor) -> None:
    """The centre keeps customer information up to date (002); departments read it."""
    if actor.role not in CENTRE_ROLES and actor.role != Role.ADMIN:
        raise Forbidden(_("Only the centre changes a customer's contacts and dates."), code="refused_role")


def _locked_customer(customer_id: int) -> Customer:
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("No such customer."))
    return customer


def customer_phone_add(*, actor, customer_id: int, number: str, label: str = PhoneLabel.MOBILE,
                       at: dt.datetime | None = None) -> CustomerPhone:
    """Add a number to the customer's contacts. A number another customer holds now is
    refused (their tickets would follow it); end it there first."""
    _may_edit(actor)
    e164 = normalize_phone(number, field="number")
    if label not in PhoneLabel.values:
        raise ValidationFailed.on("label", _("Choose mobile, home, work or other."))
    at = at or timezone.now()
    try:
        with transaction.atomic():
            customer = _locked_customer(customer_id)
            holder = CustomerPhone.objects.filter(number=e164, valid_to__isnull=True).first()
            if holder is not None:
                if holder.customer_id == customer.pk:
                    raise ValidationFailed.on("number", _("This number is already one of the customer's."))
                raise ValidationFailed.on("number", _("Another customer uses this number now."), "taken")
            return CustomerPhone.objects.create(customer=customer, number=e164, label=label, valid_from=at,
                                                changed_by=actor)
    except IntegrityError:
        raise ValidationFailed.on("number", _("Another customer uses this number now."), "taken") from None


def customer_phone_end(*, actor, customer_id: int, phone_id: int, at: dt.datetime | None = None) -> CustomerPhone:
    """The number is no longer the customer's: kept in the history with the date it ended;
    the last current number cannot be ended (the customer must stay reachable)."""
    _may_edit(actor)
    at = at or timezone.now()
    with transaction.atomic():
        customer = _locked_customer(customer_id)
        phone = CustomerPhone.objects.filter(pk=phone_id, customer=customer).first()
        if phone is None:
            raise ValidationFailed.on("phone", _("This number is not one of the customer's."), "not_found")
        if phone.valid_to is not None:
            raise Conflict(_("This number was already ended."), code="phone_ended")
        if not CustomerPhone.objects.filter(customer=customer, valid_to__isnull=True).exclude(pk=phone.pk).exists():
            raise ValidationFailed.on("phone", _("Add the new number first: a customer keeps at least one."))
        phone.valid_to = at
        phone.changed_by = actor
        phone.save(update_fields=["valid_to", "changed_by"])
        return phone


def customer_dates_set(*, actor, customer_id: int, customer_since: dt.date | None,
                       contract_end: dt.date | None) -> Customer:
    """The dates the segment callbacks are counted from."""
    _may_edit(actor)
    for name, value in (("customer_since", customer_since), ("contract_end", contract_end)):
        if value is not None and not dt.date(1970, 1, 1) <= value <= dt.date(2200, 1, 1):
            raise ValidationFailed.on(name, _("Enter a date between 1970 and 2200."))
    if customer_since and contract_end and contract_end < customer_since:
        raise ValidationFailed.on("contract_end", _("The contract cannot end before the customer started."))
    with transaction.atomic():
        customer = _locked_customer(customer_id)
        customer.customer_since = customer_since
        customer.contract_end = contract_end
        customer.save(update_fields=["customer_since", "contract_end"])
        return customer
