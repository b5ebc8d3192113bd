"""Run by test_django.py in a process of its own, against the migrated database."""
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
django.setup()

from django.contrib.auth.models import Group, Permission, User  # noqa: E402
from django.db import IntegrityError, transaction  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402

from app.models import Author, Book, Tag  # noqa: E402

out = []
a = Author.objects.create(name="Ann", email="ann@x.org")
b = Author.objects.create(name="Bob", email="bob@x.org")
out.append(("ids", a.id, b.id))
t1, t2 = Tag.objects.create(label="sf"), Tag.objects.create(label="classic")
dune = Book.objects.create(title="Dune", author=a, pages=400, isbn="1")
dune.tags.add(t1, t2)
Book.objects.create(title="Emma", author=b, pages=300, isbn="2").tags.add(t2)
out.append(("count", list(Author.objects.annotate(n=Count("books"))
                          .values_list("name", "n").order_by("name"))))
out.append(("sum", Book.objects.filter(tags__label="classic").aggregate(s=Sum("pages"))["s"]))
Book.objects.filter(title="Dune").update(pages=412)
out.append(("update", Book.objects.get(title="Dune").pages))
with transaction.atomic():
    Author.objects.create(name="Cy", email="c@x.org")
try:
    with transaction.atomic():
        Author.objects.create(name="Dee", email="d@x.org")
        raise RuntimeError("roll back")
except RuntimeError:
    pass
out.append(("iterator", [x.name for x in Author.objects.order_by("id").iterator(chunk_size=2)]))
u = User.objects.create_user("alice", "a@x.org", "pw")
g = Group.objects.create(name="editors")
u.groups.add(g)
g.permissions.add(Permission.objects.get(codename="change_book"))
u = User.objects.get(username="alice")
out.append(("auth", u.check_password("pw"), u.has_perm("app.change_book"),
            u.has_perm("app.delete_book")))
try:
    Author.objects.create(name="Ann", email="dup")
except IntegrityError:
    out.append(("unique", "IntegrityError"))
b.delete()  # cascades to Emma and its tag links, in Python, in one transaction
out.append(("delete", Author.objects.count(), Book.objects.count(),
            Book.tags.through.objects.count()))
obj, created = Tag.objects.get_or_create(label="new")
out.append(("get_or_create", created, Tag.objects.get_or_create(label="new")[1]))
with transaction.atomic():  # nested atomic blocks are savepoints
    Tag.objects.create(label="outer")
    with transaction.atomic():
        Tag.objects.create(label="inner")
out.append(("nested", Tag.objects.filter(label__in=["outer", "inner"]).count()))
Book.objects.filter(title="Dune").update(meta={"lang": "en", "n": [1, 2]})
out.append(("json", Book.objects.get(title="Dune").meta,
            Book.objects.filter(meta__lang="en").count(),
            Book.objects.filter(meta__n__1=2).count(),
            Book.objects.filter(meta__has_key="n").count()))
with transaction.atomic():  # SELECT ... FOR UPDATE
    out.append(("for_update", list(Book.objects.select_for_update().filter(title="Dune")
                                   .values_list("pages", flat=True))))
print(repr(out))
sys.stdout.flush()
