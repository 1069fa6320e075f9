from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "bangban.feedback"
    verbose_name = _("Complaints and feedback")

    def ready(self) -> None:
        # A bad rating opens a rectification in the rating's transaction (the case layer sends
        # the signal and does not import this app).
        from bangban.cases.models import Rating
        from bangban.cases.signals import rating_recorded
        from bangban.feedback.followup import on_rating_recorded

        rating_recorded.connect(
            on_rating_recorded, sender=Rating, dispatch_uid="feedback.rectification_open"
        )
