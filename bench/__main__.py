"""``python -m bench``: the benchmark, outside the product (``make bench``; ``--help`` lists the options)."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidarity.settings")
django.setup()

from bench.command import Command  # noqa: E402  (Django must be set up before the harness imports models)

Command().run_from_argv(["python -m", "bench", *sys.argv[1:]])
