from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Profile, Team, User

admin.site.register(User, UserAdmin)
admin.site.register(Team)
admin.site.register(Profile)
