from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ManualConfig(AppConfig):
    name = "bangban.manual"
    label = "manual"
    verbose_name = _("User manual")
