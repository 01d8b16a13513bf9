"""Files shipped inside the `app` package (package data), found with importlib.resources so
they are there in a wheel install, an editable install and a PyInstaller bundle alike.

    leadgate.svg              the logo (the source of every icon)
    icons/leadgate-N.png      the logo at the usual sizes, made by packaging/make_icons.py
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# importlib.resources is imported when a file is asked for: the window's first frame imports
# this module for its names only, before any file is needed (bench/startup.py).

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
DESKTOP_FILE_NAME = "leadgate"  # the .desktop entry's name and the window's class on Linux


def resource(name: str) -> Traversable:
    """A file under app/resources, e.g. resource("leadgate.svg")."""
    from importlib.resources import files

    return files(__name__).joinpath(name)


def logo_svg() -> Traversable:
    return resource("leadgate.svg")


def icon_pngs() -> list[Traversable]:
    """The logo's PNG renderings that exist, smallest first."""
    found = [resource(f"icons/leadgate-{size}.png") for size in ICON_SIZES]
    return [icon for icon in found if icon.is_file()]
