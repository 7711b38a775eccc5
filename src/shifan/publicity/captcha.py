"""The CAPTCHA's challenge: letters and digits a person reads without doubt."""

import secrets

from django.conf import settings

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: on a noisy image those pairs are where people fail.
ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"


def challenge() -> tuple[str, str]:
    """Return the text drawn on the image and the expected answer (compared case-insensitively)."""
    text = "".join(secrets.choice(ALPHABET) for _ in range(settings.CAPTCHA_LENGTH))
    return text, text.lower()
