"""Signals the case services send, so that later layers (the feedback app) can react in the
same transaction without the case layer importing them.

`rating_recorded(sender=Rating, rating=…, actor=…)` — sent right after a Rating row is created,
by the staff and the public rating services alike; `actor` is the staff user, or the public
pseudo-user of the portal."""

from django.dispatch import Signal

rating_recorded = Signal()
