"""Packaging of the duckd Python package. A plain setup.py (no pyproject.toml) on purpose:
pip then builds it with the setuptools already installed, without downloading a build
environment, so `pip install ./python` works offline (e.g. in a venv made with
--system-site-packages on Debian, whose python3-psycopg satisfies the dependency)."""

from pathlib import Path

from setuptools import setup

setup(
    name="duckd",
    version="0.1.0",
    description="Start, attach to and query duckd (one DuckDB database served over the "
    "PostgreSQL protocol) from Python",
    long_description=(Path(__file__).parent / "README.md").read_text(),
    long_description_content_type="text/markdown",
    packages=["duckd"],
    python_requires=">=3.9",
    install_requires=["psycopg>=3.1"],
    extras_require={"pandas": ["pandas"]},
)
