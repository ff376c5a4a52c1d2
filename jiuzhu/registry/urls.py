from django.urls import path

from jiuzhu.registry import views

urlpatterns = [
    path("households/", views.household_list_view, name="household_list"),
    path("households/new/", views.household_create_view, name="household_create"),
    path("households/<int:household_id>/", views.household_detail_view, name="household_detail"),
    path("households/<int:household_id>/edit/", views.household_edit_view, name="household_edit"),
    path("households/<int:household_id>/members/new/", views.member_add_view, name="member_add"),
    path("households/<int:household_id>/enrollments/new/", views.enrollment_start_view, name="enrollment_start"),
    path("persons/<int:person_id>/edit/", views.person_edit_view, name="person_edit"),
    path("persons/<int:person_id>/reveal/", views.person_reveal_view, name="person_reveal"),
    path("memberships/<int:membership_id>/end/", views.membership_end_view, name="membership_end"),
    path("enrollments/<int:enrollment_id>/end/", views.enrollment_end_view, name="enrollment_end"),
    path("enrollments/<int:enrollment_id>/phase-out/", views.enrollment_phase_out_view, name="enrollment_phase_out"),
    path(
        "enrollments/<int:enrollment_id>/phase-out/cancel/",
        views.enrollment_phase_out_cancel_view,
        name="enrollment_phase_out_cancel",
    ),
]
