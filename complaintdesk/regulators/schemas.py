"""The API's view of the regulator profiles."""

from ninja import Schema


class MatterOut(Schema):
    code: str
    name: str
    name_en: str


class FigureOut(Schema):
    party: str
    matter: str | None
    urgency: str
    amount: int
    day_basis: str
    step: str


class ExtensionOut(Schema):
    step: int
    total: int
    requires_approval: bool
    name: str
    name_en: str


class AdmissibilityOut(Schema):
    matter: str | None
    max_age: int
    age_unit: str
    message: str
    message_en: str


class ProfileOut(Schema):
    code: str
    name: str
    name_en: str
    source_tier: str
    basis: str
    amount: int
    day_basis: str
    max_total: int | None
    matters: list[MatterOut]
    deadlines: list[FigureOut]
    extensions: list[ExtensionOut]
    admissibility: list[AdmissibilityOut]


def profile_out(p) -> dict:
    matters = {m.pk: m.code for m in p.matters.all()}
    return {
        "code": p.code, "name": p.name, "name_en": p.name_en, "source_tier": p.source_tier, "basis": p.basis,
        "amount": p.amount, "day_basis": p.day_basis, "max_total": p.max_total,
        "matters": [{"code": m.code, "name": m.name, "name_en": m.name_en} for m in p.matters.all()],
        "deadlines": [{"party": d.party, "matter": matters.get(d.matter_id), "urgency": d.urgency,
                       "amount": d.amount, "day_basis": d.day_basis, "step": d.step} for d in p.deadlines.all()],
        "extensions": [{"step": e.step, "total": e.total, "requires_approval": e.requires_approval,
                        "name": e.name, "name_en": e.name_en} for e in p.extensions.all()],
        "admissibility": [{"matter": matters.get(r.matter_id), "max_age": r.max_age, "age_unit": r.age_unit,
                           "message": r.message, "message_en": r.message_en} for r in p.admissibility_rules.all()],
    }
