"""Pages about people. Each N+1 view has a twin named `<view>_fixed` that runs a fixed number of
queries; lines where querysight must report a finding end with `# expect: <codes>`."""

from django.http import JsonResponse

from .models import Team, User


def user_bios(request):
    """Reverse one-to-one read per row: `user.profile` loads each profile on its own."""
    rows = []
    for user in User.objects.order_by("username"):
        rows.append(
            {
                "username": user.username,
                "bio": user.profile.bio,  # expect: QS101
            }
        )
    return JsonResponse({"users": rows})


def user_bios_fixed(request):
    rows = []
    for user in User.objects.select_related("profile").order_by("username"):
        rows.append(
            {
                "username": user.username,
                "bio": user.profile.bio,
            }
        )
    return JsonResponse({"users": rows})


def user_teams(request):
    """A model method called per row that reads a forward foreign key (`User.team_name`)."""
    users = User.objects.order_by("username")
    rows = []
    for user in users:
        rows.append(
            [
                user.username,
                user.team_name(),  # expect: QS101
            ]
        )
    return JsonResponse({"users": rows})


def user_teams_fixed(request):
    users = User.objects.select_related("team").order_by("username")
    rows = []
    for user in users:
        rows.append(
            [
                user.username,
                user.team_name(),
            ]
        )
    return JsonResponse({"users": rows})


def team_rosters(request):
    """Reverse foreign key read per team (`related_name="members"`), in a comprehension."""
    rosters = {}
    for team in Team.objects.all():
        rosters[team.name] = [
            member.username
            for member in team.members.all()  # expect: QS102
        ]
    return JsonResponse({"teams": rosters})


def team_rosters_fixed(request):
    rosters = {}
    for team in Team.objects.prefetch_related("members"):
        rosters[team.name] = [member.username for member in team.members.all()]
    return JsonResponse({"teams": rosters})
