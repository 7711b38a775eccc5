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
    """Return every spec file under the programmes folder, with its error if it has one.

    A spec whose attachments may be larger than the server takes (`SHIFAN_UPLOAD_MAX_MB`, where
    uploads are stopped while they stream) has an error too: its applicants could never upload them.
    """
    files = []
    for path in sorted(Path(settings.SHIFAN_PROGRAMS_DIR).glob("*.yaml")):
        try:
            spec = load_spec(path)
        except SpecError as error:
            files.append(SpecFile(path=path, spec=None, error=str(error)))
            continue
        largest = largest_attachment_mb(spec)
        if largest > settings.SHIFAN_UPLOAD_MAX_MB:
            too_large = (
                f"{path.name}：附件上限 {largest} MB 超过服务器接收的 {settings.SHIFAN_UPLOAD_MAX_MB} MB"
                "（设置 SHIFAN_UPLOAD_MAX_MB），请调低 max_size_mb 或 attachment_max_size_mb。"
            )
            files.append(SpecFile(path=path, spec=None, error=too_large))
            continue
        files.append(SpecFile(path=path, spec=spec))
    return files


def largest_attachment_mb(spec: ProgrammeSpec) -> int:
    """Return the largest file any attachment field of the spec takes (application and tracking forms)."""
    forms = [category.form for category in spec.categories]
    if spec.tracking is not None:
        forms.extend(spec.tracking.forms.values())
    sizes = [field.attachments.max_size_mb for form in forms for field in form.fields() if field.attachments]
    return max([spec.defaults.attachment_max_size_mb, *sizes])


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
