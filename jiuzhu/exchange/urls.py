from django.urls import path

from jiuzhu.exchange import views

urlpatterns = [
    path("import/households/", views.import_households_view, name="import_households"),
    path("import/households/template.xlsx", views.import_template_view, name="import_households_template"),
    path("export/households/", views.export_households_view, name="export_households"),
]
