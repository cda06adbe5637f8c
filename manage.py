#!/usr/bin/env python
import os
import sys

# Commands that work on code and schema, never on signed data: they run in a bare checkout, without
# SECRET_KEY. manage.py knows its command; it tells the settings through RAPPORT_TOOLING_COMMAND
# (config/settings.py reads the environment, never sys.argv).
TOOLING_COMMANDS = {
    "makemigrations",
    "migrate",
    "showmigrations",
    "sqlmigrate",
    "makemessages",
    "compilemessages",
    "collectstatic",
    "spectacular",
    "help",
}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(sys.argv) > 1 and sys.argv[1] in TOOLING_COMMANDS:
        os.environ["RAPPORT_TOOLING_COMMAND"] = sys.argv[1]
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
