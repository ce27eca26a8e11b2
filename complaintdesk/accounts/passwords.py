"""Password policy helpers (settings.AUTH_PASSWORD_VALIDATORS).

Django 5.2 changed the msgid of the minimum-length error (%(min_length)d → %d) and its zh_Hans
catalogue still has only the old one, so Chinese users would read the error in English. The
same message, marked here, is translated in our catalogue.
"""

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return (
            ngettext(
                "This password is too short. It must contain at least %d character.",
                "This password is too short. It must contain at least %d characters.",
                self.min_length,
            )
            % self.min_length
        )
