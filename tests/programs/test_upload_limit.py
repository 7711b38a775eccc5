"""A programme spec may not let applicants upload more than the server takes (SHIFAN_UPLOAD_MAX_MB)."""

from shifan.programs.registry import largest_attachment_mb, spec_file


def test_a_spec_allowing_larger_files_than_the_server_takes_cannot_be_opened(settings, tmp_path):
    source = settings.SHIFAN_PROGRAMS_DIR / "guangdong-2024.yaml"
    text = source.read_text(encoding="utf-8")
    (tmp_path / "guangdong-2024.yaml").write_text(text, encoding="utf-8")
    settings.SHIFAN_PROGRAMS_DIR = tmp_path
    shipped = spec_file("guangdong-2024.yaml")
    assert shipped.error == ""
    assert largest_attachment_mb(shipped.spec) == 20

    settings.SHIFAN_UPLOAD_MAX_MB = 10
    refused = spec_file("guangdong-2024.yaml")
    assert refused.spec is None
    assert refused.error == (
        "guangdong-2024.yaml：附件上限 20 MB 超过服务器接收的 10 MB（设置 SHIFAN_UPLOAD_MAX_MB），"
        "请调低 max_size_mb 或 attachment_max_size_mb。"
    )

    settings.SHIFAN_UPLOAD_MAX_MB = 20
    one_field = text.replace(
        "            max_files: 10\n", "            max_files: 10\n            max_size_mb: 30\n", 1
    )
    assert one_field != text
    (tmp_path / "guangdong-2024.yaml").write_text(one_field, encoding="utf-8")
    assert "附件上限 30 MB 超过服务器接收的 20 MB" in spec_file("guangdong-2024.yaml").error
