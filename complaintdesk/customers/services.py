from django.db import IntegrityError, transaction

from complaintdesk.customers.models import Customer, CustomerPhone, Segment
from complaintdesk.search.services.index import search_customer_renamed


def customer_for_phone(*, phone: str, name: str = "", segment: str = "", org_unit=None) -> Customer:
    """The customer who owns this normalised phone number, created on first contact.

    Two first contacts with one number at the same moment: the unique index lets one insert
    win and the other reads the winner's row.
    """
    found = CustomerPhone.objects.select_related("customer").filter(number=phone).first()
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
        return customer
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                name=name, segment=segment or Segment.UNKNOWN, org_unit=org_unit
            )
            CustomerPhone.objects.create(customer=customer, number=phone)
            return customer
    except IntegrityError:
        return CustomerPhone.objects.select_related("customer").get(number=phone).customer
