"""What the intake screening knows, pure Python (models, services and the admin share it)."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class PhraseMeaning(LabelledEnum):
    """What a phrase in the complaint says about the complainant (000: special complainants;
    domain.md: threats of media exposure, lawsuits or regulator complaints mark a ticket as
    special)."""

    MEDIA = "media"  # threatens media exposure
    JOURNALIST = "journalist"  # is, or brings, a journalist
    LAWYER = "lawyer"  # a lawyer, a lawsuit
    REGULATOR = "regulator"  # threatens 12315 / MIIT / NFRA / the consumer association
    SELF_HARM = "self_harm"
    GROUP_VISIT = "group_visit"  # a group visit or petition (集体上访)

    @classmethod
    def _labels(cls):
        return {
            cls.MEDIA: _("Threatens media exposure"),
            cls.JOURNALIST: _("Journalist"),
            cls.LAWYER: _("Lawyer or lawsuit"),
            cls.REGULATOR: _("Threatens a regulator complaint"),
            cls.SELF_HARM: _("Threatens self-harm"),
            cls.GROUP_VISIT: _("Group visit or petition"),
        }
