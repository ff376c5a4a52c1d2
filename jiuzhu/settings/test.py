"""Test settings: fast hashing, the same security middleware as everywhere else."""

from __future__ import annotations

from jiuzhu.settings.base import *  # noqa: F403
from jiuzhu.settings.base import PASSWORD_HASHERS

# Argon2 stays available (tests check it is the default for real users); tests that
# create many users use the fast hasher through ``fast_hasher`` below.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AXES_ENABLED = True
DEBUG = False
