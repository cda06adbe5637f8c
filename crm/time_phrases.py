"""How long ago something happened, said the way a person at the desk says it, in the active language.

One function for every "… ago" Rapport shows or says (the greeting's last visit, the card): counted in
calendar days at the place (the property's time zone), so a visit yesterday evening is "yesterday" the
next morning, never "12 hours ago"; a visit earlier the same day is "earlier today", never "just now" or
"0 minutes ago". The Chinese phrases have no space between the number and its word (3天前, 7个月前,
7個月前: "7 月前" would read "before July"); tests/crm/test_time_phrases.py holds every phrase.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

DAYS_BEFORE_WEEKS = 14  # "13 days ago", then "2 weeks ago"
DAYS_BEFORE_MONTHS = 60  # "8 weeks ago", then "2 months ago"


def whole_months(earlier: date, later: date) -> int:
    """Calendar months from earlier to later, counting a month only once its day is reached."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def time_ago(then: datetime, now: datetime, zone: ZoneInfo) -> str:
    """ "earlier today", "yesterday", "3 days ago", "2 weeks ago", "7 months ago", "1 year ago" (in the
    active language), from calendar days in zone. A moment after now (a clock ahead) is "earlier today"."""
    days = (now.astimezone(zone).date() - then.astimezone(zone).date()).days
    if days <= 0:
        return _("earlier today")
    if days == 1:
        return _("yesterday")
    if days < DAYS_BEFORE_WEEKS:
        return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}
    if days < DAYS_BEFORE_MONTHS:
        weeks = days // 7
        return ngettext("%(count)d week ago", "%(count)d weeks ago", weeks) % {"count": weeks}
    months = max(whole_months(then.astimezone(zone).date(), now.astimezone(zone).date()), 2)
    if months < 12:
        return ngettext("%(count)d month ago", "%(count)d months ago", months) % {"count": months}
    years = months // 12
    return ngettext("%(count)d year ago", "%(count)d years ago", years) % {"count": years}
