"""One page of a long list: its rows, how many there are in all, which page, and the page links to show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

Row = TypeVar("Row")


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: list[Row]
    #: Every row listed, over all pages.
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def page_links(self, radius: int = 2) -> list[int | None]:
        """The page numbers to link: the first, the last and ``radius`` around the current one;
        None marks a gap (so 400 pages give a handful of links, not 400)."""
        wanted = {1, self.pages, *range(self.page - radius, self.page + radius + 1)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        links: list[int | None] = []
        for n in shown:
            if links and n - (links[-1] or 0) > 1:
                links.append(None)
            links.append(n)
        return links
