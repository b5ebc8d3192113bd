from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=150, unique=True)          # longer
    email = models.EmailField(db_index=True, null=True)           # now nullable
    born = models.DateField(null=True)                            # added


class Tag(models.Model):
    label = models.CharField(max_length=30, unique=True)          # now unique


class Book(models.Model):
    title = models.CharField(max_length=200, db_index=True)       # now indexed
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField(Tag)
    pages = models.BigIntegerField(default=0)                     # wider
    isbn = models.CharField(max_length=20, default="")            # added with a default
    meta = models.JSONField(default=dict)                         # added: jsonb

    class Meta:
        unique_together = [("title", "author")]
