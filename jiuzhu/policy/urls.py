from django.urls import path

from jiuzhu.policy import views

urlpatterns = [
    path("", views.pack_list_view, name="policy_packs"),
    path("packs/<str:region>/", views.pack_detail_view, name="policy_pack"),
    path("records/new/", views.parameter_record_create_view, name="policy_record_create"),
    path("compare/", views.compare_view, name="policy_compare"),
    path("runs/", views.run_list_view, name="policy_runs"),
    path("whatif/", views.whatif_view, name="policy_whatif"),
    path("households/<int:household_id>/", views.entitlement_view, name="policy_entitlement"),
    path("households/<int:household_id>/pdf/", views.entitlement_pdf_view, name="policy_entitlement_pdf"),
]
