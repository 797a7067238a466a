from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("bios/", views.user_bios, name="user_bios"),
    path("bios/fixed/", views.user_bios_fixed, name="user_bios_fixed"),
    path("teams/", views.user_teams, name="user_teams"),
    path("teams/fixed/", views.user_teams_fixed, name="user_teams_fixed"),
    path("rosters/", views.team_rosters, name="team_rosters"),
    path("rosters/fixed/", views.team_rosters_fixed, name="team_rosters_fixed"),
]
