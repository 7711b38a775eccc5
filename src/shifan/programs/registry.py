"""The spec files a province officer can open a batch from, and parsed specs by digest."""

import functools
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from shifan.programs.spec import ProgrammeSpec, SpecError, load_spec, parse_spec


@dataclass(frozen=True)
class SpecFile:
    path: Path
    spec: ProgrammeSpec | None
    error: str = ""


def spec_files() -> list[SpecFile]:
    """Return every spec file under the programmes folder, with its parse error if it has one."""
    files = []
    for path in sorted(Path(settings.SHIFAN_PROGRAMS_DIR).glob("*.yaml")):
        try:
            files.append(SpecFile(path=path, spec=load_spec(path)))
        except SpecError as error:
            files.append(SpecFile(path=path, spec=None, error=str(error)))
    return files


def spec_file(name: str) -> SpecFile:
    """Return the spec file with this file name; KeyError if there is none."""
    for candidate in spec_files():
        if candidate.path.name == name:
            return candidate
    raise KeyError(name)


@functools.lru_cache(maxsize=32)
def spec_from_text(text: str, source_name: str) -> ProgrammeSpec:
    """Return the parsed spec of a stored text; cached, since every form page reads it."""
    return parse_spec(text, source_name)
