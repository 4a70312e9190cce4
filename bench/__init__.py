"""The benchmark of the registry (``make bench``).

``seed``: a large, realistic data set (cycles, delegations' users, pledges, negotiation positions and their
history) written with PostgreSQL COPY (``seed_plan``, ``seed_copy``, ``seed_reference``, ``seed_pledges``,
``seed_positions``: its scale, its writer and its parts). ``server``: gunicorn as in production. ``load``:
wrk scripts and the runs of each endpoint. ``queries``: SQL queries per request through the test client.
``lost_update``: many clients updating the same pledges with If-Match. ``report``: the table and the targets.
``runner`` ties them together for ``python -m bench`` (``command``).
"""
