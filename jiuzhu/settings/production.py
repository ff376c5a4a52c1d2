"""Production settings: everything from the environment, HTTPS only, no demo accounts.

``manage.py check --deploy`` is clean with these settings (CI checks it).
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from jiuzhu.settings.base import *  # noqa: F403

DEBUG = False
_secret = os.environ.get("JIUZHU_SECRET_KEY", "")
if not _secret or _secret.startswith("jiuzhu-development-key"):
    raise ImproperlyConfigured("生产环境必须设置环境变量 JIUZHU_SECRET_KEY（至少 50 个随机字符）")
SECRET_KEY = _secret

SECURE_SSL_REDIRECT = os.environ.get("JIUZHU_SSL_REDIRECT", "1") == "1"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
JIUZHU_ALLOW_DEMO_ACCOUNTS = False
