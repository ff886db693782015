from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    COUNTY = 1, _("County / district")
    TOWNSHIP = 2, _("Street / township")
    VILLAGE = 3, _("Community / village")
    GRID = 4, _("Grid")
    SUBGRID = 5, _("Second-level grid")

    @property
    def slug(self) -> str:
        return LEVEL_SLUGS[self]


LEVEL_SLUGS = {
    Level.COUNTY: "county",
    Level.TOWNSHIP: "township",
    Level.VILLAGE: "village",
    Level.GRID: "grid",
    Level.SUBGRID: "subgrid",
}
LEVEL_BY_SLUG = {slug: level for level, slug in LEVEL_SLUGS.items()}
UNIT_GRID_LEVELS = (Level.GRID, Level.SUBGRID)


class Post(models.TextChoices):
    """A person's post in a grid (网格员岗位)."""

    LEADER = "leader", _("Grid leader")  # 网格长
    FULL_TIME = "full_time", _("Full-time grid worker")  # 专职网格员
    PART_TIME = "part_time", _("Part-time grid worker")  # 兼职网格员
    ASSISTANT = "assistant", _("Grid assistant")  # 网格助理
