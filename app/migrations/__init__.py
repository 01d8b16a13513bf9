"""Alembic migrations, shipped inside the package.

HEAD_REVISION is the newest revision this version of Leadgate knows. It is read at start-up to
compare with the store without importing Alembic; tests keep it equal to the scripts' head.
"""

HEAD_REVISION = "team_sweeps"
