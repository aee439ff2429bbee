from django.apps import AppConfig


class SeedingConfig(AppConfig):
    name = "seeding"
    verbose_name = "Demo and scale data"
