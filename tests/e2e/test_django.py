"""Django (Debian's python3-django 3.2, postgresql backend over psycopg2) against duckd, as a
new user would try it: makemigrations + migrate of an app with a ForeignKey, a ManyToMany,
unique and indexed fields (and contrib.auth / contenttypes, whose migrations alter tables
that have indexes), a second migration that alters the models, then the ORM: create, filter,
annotate/aggregate, update, delete with cascades, .iterator() (server-side cursors),
atomic blocks (nested ones too: savepoints), contrib.auth users and permissions, a JSONField
(jsonb) with its lookups, select_for_update; and migrating back to zero.

Each Django step runs in a process of its own (Django's settings are process-wide)."""

import ast
import os
import shutil
import subprocess

import pytest

PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))

pytest.importorskip("django")  # python3-django is installed by scripts/bootstrap.sh

SETTINGS = """
SECRET_KEY = "duckd-test"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "app"]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1",
              "PORT": {port}, "NAME": "test", "USER": "test", "PASSWORD": {password!r}}}}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
"""

MANAGE = """import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""


@pytest.fixture
def project(server, tmp_path):
    from conftest import PASSWORDS
    (tmp_path / "settings.py").write_text(SETTINGS.format(port=server.port,
                                                          password=PASSWORDS["test"]))
    (tmp_path / "manage.py").write_text(MANAGE)
    app = tmp_path / "app"
    (app / "migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    shutil.copy(os.path.join(HERE, "django_app", "models_v1.py"), app / "models.py")
    shutil.copy(os.path.join(HERE, "django_app", "ops.py"), tmp_path / "ops.py")
    return tmp_path


def run(project, *args, timeout=120):
    p = subprocess.run([PY] + list(args), cwd=project, capture_output=True, text=True,
                       timeout=timeout, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert p.returncode == 0, "%s failed:\n%s\n%s" % (args, p.stdout, p.stderr)
    return p.stdout


def test_django_migrate_and_orm(server, project):
    run(project, "manage.py", "makemigrations", "app")
    out = run(project, "manage.py", "migrate")
    assert "Applying auth.0012_alter_user_first_name_max_length... OK" in out
    assert "Applying contenttypes.0002_remove_content_type_name... OK" in out
    # the second version of the models: AlterField (length, null, type), AddField (with a
    # default), unique_together, a new index
    shutil.copy(os.path.join(os.path.dirname(__file__), "django_app", "models_v2.py"),
                project / "app" / "models.py")
    run(project, "manage.py", "makemigrations", "app")
    out = run(project, "manage.py", "migrate")
    assert "Applying app.0002" in out and "OK" in out
    # nothing left to migrate: what Django introspects matches what it created
    out = run(project, "manage.py", "makemigrations", "--check", "--dry-run")
    assert "No changes detected" in out

    res = dict((r[0], r[1:]) for r in ast.literal_eval(run(project, "ops.py").strip()))
    assert res["ids"] == (1, 2)
    assert res["count"] == ([("Ann", 1), ("Bob", 1)],)
    assert res["sum"] == (700,)
    assert res["update"] == (412,)
    assert res["iterator"] == (["Ann", "Bob", "Cy"],)
    assert res["auth"] == (True, True, False)
    assert res["unique"] == ("IntegrityError",)
    assert res["delete"] == (2, 1, 2)
    assert res["get_or_create"] == (True, False)
    assert res["nested"] == (2,)
    # JSONField (a jsonb column, added by the second migration): key, path and has_key lookups
    assert res["json"] == ({"lang": "en", "n": [1, 2]}, 1, 1, 1)
    assert res["for_update"] == ([412],)

    # manage.py flush empties every table and restarts the keys (TRUNCATE ... RESTART IDENTITY)
    run(project, "manage.py", "flush", "--noinput")
    res = dict((r[0], r[1:]) for r in ast.literal_eval(run(project, "ops.py").strip()))
    assert res["ids"] == (1, 2)

    # loaddata resets the sequences with setval: a new row gets an id after the fixture's
    (project / "fx.json").write_text('[{"model": "app.tag", "pk": 100, "fields": {"label": "fx"}}]')
    out = run(project, "manage.py", "loaddata", "fx.json")
    assert "Installed 1 object" in out
    (project / "after.py").write_text(
        "import os, django\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')\n"
        "django.setup()\nfrom app.models import Tag\nprint(Tag.objects.create(label='z').id)\n")
    assert run(project, "after.py").strip() == "101"

    # and back: every migration of the app undone
    out = run(project, "manage.py", "migrate", "app", "zero")
    assert "Unapplying app.0001_initial... OK" in out
