"""`bangban calendar-import FILE --source … --actor …`: enter a year's holiday schedule from a CSV
file the day the State Council publishes it.

The file is UTF-8 (a BOM, as Excel writes, is fine) with the header `date,is_working_day,name`,
one row per holiday or adjusted working day:

    date,is_working_day,name
    2027-01-01,否,元旦
    2027-02-06,上班,春节调休上班

All or nothing: on any bad row nothing is imported, and every bad row is named by its line
number in the file (the header is line 1).
"""

import csv
import datetime as dt
import sys
from pathlib import Path
from typing import NoReturn

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from bangban.core.errors import ApplicationError
from bangban.core.services import calendar_year_import, can_manage_calendar

HEADER = ["date", "is_working_day", "name"]
TRUE = {"1", "true", "yes", "y", "是", "上班", "工作日"}
FALSE = {"0", "false", "no", "n", "否", "休息", "休", "放假"}


def parse_flag(value: str) -> bool | None:
    value = value.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    return None


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


class Command(BaseCommand):
    help = "Import a year's holidays and adjusted working days from a CSV file."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="CSV: date,is_working_day,name")
        parser.add_argument(
            "--year", type=int, help="The year (default: the year of the file's dates)."
        )
        parser.add_argument(
            "--source",
            required=True,
            help="Where the schedule comes from, e.g. the notice's document number.",
        )
        parser.add_argument(
            "--actor", required=True, help="User name of a system or centre administrator."
        )

    def fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        sys.exit(1)

    def handle(self, *args, file, year, source, actor, **options):
        user = get_user_model().objects.filter(username=actor).first()
        if user is None:
            self.fail(_("There is no user %(username)s.") % {"username": actor})
        if not can_manage_calendar(user):
            self.fail(
                _("Only system and centre administrators can change the working-day calendar.")
            )
        rows, errors = self.read(Path(file))
        if errors:
            self.fail(_("Nothing was imported.") + "\n" + "\n".join(errors))
        if year is None:
            year = rows[0][0].year
        try:
            calendar_year_import(
                actor=user,
                year=year,
                rows=rows,
                source=source,
                first_row_number=2,
            )
        except ApplicationError as exc:
            self.fail(exc.message)
        holidays = sum(1 for _d, working, _n in rows if not working)
        self.stdout.write(
            _(
                "Imported the working-day calendar of %(year)s: %(count)s days "
                "(%(off)s days off, %(on)s working days)."
            )
            % {"year": year, "count": len(rows), "off": holidays, "on": len(rows) - holidays}
        )

    def read(self, path: Path) -> tuple[list[tuple[dt.date, bool, str]], list[str]]:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            return [], [_("The file %(file)s does not exist.") % {"file": path}]
        except (OSError, UnicodeDecodeError):
            return [], [_("The file %(file)s is not a UTF-8 text file.") % {"file": path}]
        reader = csv.reader(text.splitlines())
        header = [cell.strip().lower() for cell in next(reader, [])]
        if header != HEADER:
            return [], [_("Line 1 must be the header %(header)s.") % {"header": ",".join(HEADER)}]
        rows, errors = [], []
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                # Blank lines (often at the end of a file saved by Excel) are not rows.
                errors.append(_("Line %(line)s: the line is empty.") % {"line": line})
                continue
            if len(cells) != len(HEADER):
                errors.append(
                    _("Line %(line)s: expected 3 columns, found %(count)s.")
                    % {"line": line, "count": len(cells)}
                )
                continue
            day, flag, name = parse_date(cells[0]), parse_flag(cells[1]), cells[2].strip()
            if day is None:
                errors.append(
                    _("Line %(line)s: %(value)s is not a date in the form YYYY-MM-DD.")
                    % {"line": line, "value": cells[0]}
                )
            if flag is None:
                errors.append(
                    _(
                        "Line %(line)s: is_working_day must be 1/0, true/false, 是/否 or "
                        "上班/休息, not %(value)s."
                    )
                    % {"line": line, "value": cells[1]}
                )
            if day is not None and flag is not None:
                rows.append((day, flag, name))
        if not rows and not errors:
            errors.append(_("The file has no rows after the header."))
        return rows, errors
