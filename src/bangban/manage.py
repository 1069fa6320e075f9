"""The `bangban` console script: Django's manage.py under the project's name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bangban.config.settings")
    from django.core.management import execute_from_command_line

    from bangban.core.worker import prepare

    # `db_worker` first takes back the tasks of this host's dead workers (bangban.core.worker).
    execute_from_command_line(prepare(sys.argv))


if __name__ == "__main__":
    main()
