from django.urls import path

from bangban.portal import elder, views, views_catalog, views_feedback, views_public

urlpatterns = [
    path("roster/", views.roster_index, name="roster-index"),
    path("roster/<str:code>/", views.roster, name="roster"),
    path("items/", views_catalog.catalog_search, name="catalog-search"),
    path("items/<int:pk>/", views_catalog.guide, name="guide"),
    path("bundles/<int:pk>/", views_catalog.bundle_guide, name="bundle-guide"),
    path(
        "materials/<int:pk>/<str:kind>/",
        views_catalog.material_file,
        name="material-file",
    ),
]

urlpatterns += [
    path("", views_public.home, name="portal-home"),
    path("apply/", views_public.choose, {"mode": "apply"}, name="portal-apply"),
    path("apply/details/", views_public.apply_details, name="portal-apply-details"),
    path("apply/done/<str:number>/", views_public.apply_done, name="portal-apply-done"),
    path("book/", views_public.choose, {"mode": "book"}, name="portal-book"),
    path("book/details/", views_public.book_details, name="portal-book-details"),
    path("book/done/<str:code>/", views_public.book_done, name="portal-book-done"),
    path("verify/", views_public.verify, name="portal-verify"),
    path("track/", views_public.track, name="portal-track"),
    path("track/<str:number>/", views_public.track, name="portal-track-case"),
    path("rate/<str:number>/", views_public.rate, name="portal-rate"),
]

# Complaints (举报投诉), the "办不成事" channel and the elder-friendly mode.
urlpatterns += [
    path("complaints/new/", views_feedback.complaint_new, name="complaint-new"),
    path(
        "complaints/track/",
        views_feedback.track_lookup,
        {"kind": "complaints"},
        name="complaint-lookup",
    ),
    path("complaints/<str:code>/", views_feedback.complaint_track, name="complaint-track"),
    path("obstacles/new/", views_feedback.obstacle_new, name="obstacle-new"),
    path(
        "obstacles/track/",
        views_feedback.track_lookup,
        {"kind": "obstacles"},
        name="obstacle-lookup",
    ),
    path("obstacles/<str:code>/", views_feedback.obstacle_track, name="obstacle-track"),
    path("elder/", elder.elder_toggle, name="elder-toggle"),
]
