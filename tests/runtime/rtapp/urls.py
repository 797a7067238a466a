from django.urls import path

from . import class_views, views

urlpatterns = [
    path("posts/", views.post_list),
    path("posts/fixed/", views.post_list_fixed),
    path("posts/<int:pk>/", views.post_detail),
    path("posts/template/", views.post_list_template),
    path("posts/listview/", class_views.PostListView.as_view()),
    path("people/hobbies/", views.people_hobbies),
    path("people/names/<int:status>/", views.people_names),
    path("people/names/raises/", views.people_names_raises),
    path("api/posts/", class_views.PostListAPI.as_view()),
    path("api/people/", class_views.PersonListAPI.as_view()),
]
