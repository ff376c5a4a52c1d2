from django.urls import path

from jiuzhu.registry import views

urlpatterns = [
    path("households/", views.household_list_view, name="household_list"),
    path("households/new/", views.household_create_view, name="household_create"),
]
