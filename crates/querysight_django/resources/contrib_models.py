# Models of django.contrib, written as Python source for querysight's model-graph builder.
#
# This file is never executed. The builder parses it exactly like a project's models.py and adds
# its models to every project's graph, so that `request.user.groups.all()`, `LogEntry.user`,
# `Permission.content_type`, `settings.AUTH_USER_MODEL` and the like resolve without the project
# declaring them.
#
# Conventions of this file
# - `# app_label: <label>` starts each app's block; every model (abstract ones too) also sets
#   `Meta.app_label` explicitly, so the builder needs no path convention to find the label.
# - Relation targets are written the way Django writes them: a class declared earlier in this file
#   (`ContentType`, `Group`, `Permission`, `Site`) or `settings.AUTH_USER_MODEL`. Blocks are ordered
#   so that every class target is declared before use (contenttypes comes first).
# - Only what the analysis needs is kept: fields with their types and the keyword arguments that
#   change the schema or the relation (to, related_name, related_query_name, null, unique,
#   primary_key, max_length, db_index), and Meta (abstract, app_label, ordering, db_table,
#   unique_together, swappable). Verbose names, help texts, validators, choices, managers and
#   methods are left out.
# - Inheritance is Django's: AbstractBaseUser and PermissionsMixin are abstract; AbstractUser
#   (abstract) inherits both; User(AbstractUser) is concrete. `class Meta(AbstractUser.Meta)` on
#   User inherits AbstractUser's Meta, and Django resets `abstract` to False on such a child: User
#   is NOT abstract. Session(AbstractBaseSession) works the same way.
# - ContentType has a *field* named `app_label` (and one named `model`); its `Meta.app_label` is
#   the other thing.
#
# Where the names come from
# - Field declarations: Django 5.2's source, django/contrib/<app>/models.py, plus
#   auth/base_user.py (AbstractBaseUser) and sessions/base_session.py (AbstractBaseSession).
# - Checked against a running Django: with the seven apps in INSTALLED_APPS, every model's
#   `_meta.get_fields(include_hidden=True)` was dumped (field type, target, null/unique/primary_key/
#   max_length/db_index, `related_name`, `related_query_name()`, and for reverse relations
#   `get_accessor_name()`), for Django 5.2.19 and Django 4.2.30. This file was then loaded into
#   Django under the same app labels and dumped the same way: the two dumps are identical.
# - Django 4.2 vs 5.2: no difference in any model, field, relation target, related name, query
#   name, primary key or Meta of these apps. The differences are outside the model graph: async
#   manager/model methods added (aget_by_natural_key, acreate_user, acheck_password, ...),
#   BaseUserManager.make_random_password removed in 5.1, LogEntryManager.log_action deprecated for
#   log_actions in 5.1, GenericForeignKey made a Field subclass in 5.1 (none of these models
#   declares one).
#
# Reverse accessors (what `get_accessor_name()` gives; lookup name from `related_query_name()`):
#   ContentType.permission_set   lookup "permission"  <- Permission.content_type  (FK)
#   ContentType.logentry_set     lookup "logentry"    <- LogEntry.content_type    (FK, null=True)
#   Permission.group_set         lookup "group"       <- Group.permissions        (M2M)
#   Permission.user_set          lookup "user"        <- User.user_permissions    (M2M) [1]
#   Group.user_set               lookup "user"        <- User.groups              (M2M) [1]
#   User.logentry_set            lookup "logentry"    <- LogEntry.user            (FK) [2]
#   Site.flatpage_set            lookup "flatpage"    <- FlatPage.sites           (M2M)
#   Site.redirect_set            lookup "redirect"    <- Redirect.site            (FK)
# [1] declared on PermissionsMixin with related_name="user_set", related_query_name="user".
# [2] the FK's target is settings.AUTH_USER_MODEL ("auth.User" unless the project swaps it).
# (The auto-created M2M through models, e.g. auth.User_groups, add hidden reverse relations named
# "User_groups+" etc.; they have no accessor.)
#
# Other facts the analysis needs about these apps
# - Primary keys: every model has an implicit `id` AutoField (the contrib AppConfigs set
#   default_auto_field = "django.db.models.AutoField", whatever DEFAULT_AUTO_FIELD says), except
#   Session, whose primary key is `session_key` (a CharField).
# - Meta.ordering: Permission ["content_type__app_label", "content_type__model", "codename"],
#   LogEntry ["-action_time"], Site ["domain"], FlatPage ["url"], Redirect ["old_path"]; User, Group,
#   ContentType and Session have none (so `user.groups.first()` on a prefetched relation queries).
# - When a project sets AUTH_USER_MODEL to its own model, auth.User is swapped out
#   (Meta.swappable) and is not installed: `settings.AUTH_USER_MODEL` targets (LogEntry.user) point
#   at the project's model, and `user_set` / `logentry_set` appear on that model only if it
#   inherits PermissionsMixin (user_set on Group and Permission) or is the LogEntry target.
# - Cached manager calls (no query per row after the first, per process): ContentType.objects
#   .get_for_model(), .get_for_models(), .get_for_id(), .get_by_natural_key(); and
#   Site.objects.get_current() (SITE_CACHE). Checked with Django 5.2.19 and 4.2.30.

from django.conf import settings
from django.db import models
from django.utils import timezone


# app_label: contenttypes


class ContentType(models.Model):
    app_label = models.CharField(max_length=100)
    model = models.CharField(max_length=100)

    class Meta:
        app_label = "contenttypes"
        db_table = "django_content_type"
        unique_together = [["app_label", "model"]]


# app_label: auth


class Permission(models.Model):
    name = models.CharField(max_length=255)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    codename = models.CharField(max_length=100)

    class Meta:
        app_label = "auth"
        unique_together = [["content_type", "codename"]]
        ordering = ["content_type__app_label", "content_type__model", "codename"]


class Group(models.Model):
    name = models.CharField(max_length=150, unique=True)
    permissions = models.ManyToManyField(Permission, blank=True)

    class Meta:
        app_label = "auth"


class AbstractBaseUser(models.Model):
    password = models.CharField(max_length=128)
    last_login = models.DateTimeField(blank=True, null=True)

    class Meta:
        app_label = "auth"
        abstract = True


class PermissionsMixin(models.Model):
    is_superuser = models.BooleanField(default=False)
    groups = models.ManyToManyField(
        Group,
        blank=True,
        related_name="user_set",
        related_query_name="user",
    )
    user_permissions = models.ManyToManyField(
        Permission,
        blank=True,
        related_name="user_set",
        related_query_name="user",
    )

    class Meta:
        app_label = "auth"
        abstract = True


class AbstractUser(AbstractBaseUser, PermissionsMixin):
    username = models.CharField(max_length=150, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "auth"
        abstract = True


class User(AbstractUser):
    class Meta(AbstractUser.Meta):
        app_label = "auth"
        swappable = "AUTH_USER_MODEL"


# app_label: admin


class LogEntry(models.Model):
    action_time = models.DateTimeField(default=timezone.now, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
    )
    object_id = models.TextField(blank=True, null=True)
    object_repr = models.CharField(max_length=200)
    action_flag = models.PositiveSmallIntegerField()
    change_message = models.TextField(blank=True)

    class Meta:
        app_label = "admin"
        db_table = "django_admin_log"
        ordering = ["-action_time"]


# app_label: sites


class Site(models.Model):
    domain = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=50)

    class Meta:
        app_label = "sites"
        db_table = "django_site"
        ordering = ["domain"]


# app_label: sessions


class AbstractBaseSession(models.Model):
    session_key = models.CharField(max_length=40, primary_key=True)
    session_data = models.TextField()
    expire_date = models.DateTimeField(db_index=True)

    class Meta:
        app_label = "sessions"
        abstract = True


class Session(AbstractBaseSession):
    class Meta(AbstractBaseSession.Meta):
        app_label = "sessions"
        db_table = "django_session"


# app_label: flatpages


class FlatPage(models.Model):
    url = models.CharField(max_length=100, db_index=True)
    title = models.CharField(max_length=200)
    content = models.TextField(blank=True)
    enable_comments = models.BooleanField(default=False)
    template_name = models.CharField(max_length=70, blank=True)
    registration_required = models.BooleanField(default=False)
    sites = models.ManyToManyField(Site)

    class Meta:
        app_label = "flatpages"
        db_table = "django_flatpage"
        ordering = ["url"]


# app_label: redirects


class Redirect(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE)
    old_path = models.CharField(max_length=200, db_index=True)
    new_path = models.CharField(max_length=200, blank=True)

    class Meta:
        app_label = "redirects"
        db_table = "django_redirect"
        unique_together = [["site", "old_path"]]
        ordering = ["old_path"]
