"""Serve and collect only the files the pages use from the npm packages under node_modules.

A package's `dist` holds every build (ECharts alone ships 138 MB of variants and source maps);
collecting whole folders made `collectstatic` compress all of it, about two and a half minutes,
for five files the pages load. `settings.VENDOR_FILES` names them, with what they refer to
themselves (the source maps, the icon fonts), which the manifest storage must find.
"""

from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage


class VendorFinder(BaseFinder):
    """Find the files `VENDOR_FILES` lists: (URL prefix, package folder, glob patterns) each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storages: list[tuple[str, FileSystemStorage, tuple[str, ...]]] = []
        for prefix, folder, patterns in settings.VENDOR_FILES:
            storage = FileSystemStorage(location=str(folder))
            storage.prefix = prefix  # type: ignore[attr-defined]  # read by collectstatic
            self.storages.append((prefix, storage, tuple(patterns)))

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        missing = [
            str(Path(folder))
            for _prefix, folder, _patterns in settings.VENDOR_FILES
            if not Path(folder).is_dir()
        ]
        return [
            Error(f"{path} is missing: run `make install` (npm ci).", id="shifan.E010") for path in missing
        ]

    # As Django's own finders: the first match, or every match with find_all (the stubs overload it).
    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:  # type: ignore[override]
        found = []
        for prefix, storage, patterns in self.storages:
            if not path.startswith(prefix + "/"):
                continue
            relative = path[len(prefix) + 1 :]
            if any(fnmatch(relative, pattern) for pattern in patterns) and storage.exists(relative):
                if not (find_all or kwargs.get("all")):
                    return storage.path(relative)
                found.append(storage.path(relative))
        return found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for _prefix, storage, patterns in self.storages:
            root = Path(storage.location)
            for file in sorted(root.rglob("*")):
                relative = file.relative_to(root).as_posix()
                if file.is_file() and any(fnmatch(relative, pattern) for pattern in patterns):
                    yield relative, storage
