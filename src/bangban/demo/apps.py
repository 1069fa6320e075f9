from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """`bangban demo`: builds the demo county from every app's generator, in layer order."""

    name = "bangban.demo"
    label = "demo"
    verbose_name = _("Demo data")
