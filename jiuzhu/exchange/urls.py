from django.urls import path

from jiuzhu.exchange import views

urlpatterns = [
    path("import/households/", views.import_households_view, name="import_households"),
    path("export/households/", views.export_households_view, name="export_households"),
]
