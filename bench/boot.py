"""Django set up for a benchmark run as `python -m bench.<name>`: imported before the script's imports of models and
services, which need the settings and the app registry. A second import (one bench script importing another) does
nothing more."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
