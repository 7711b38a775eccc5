"""Forms of the applications app: parsing and field messages in Chinese; the services decide."""

from django import forms

from shifan.applications.sealed_scans import SCAN_MAX_MB
from shifan.core.forms import FilePicker, StyledForm


class SealedScanForm(StyledForm):
    file = forms.FileField(
        label="盖章页扫描件",
        error_messages={
            "required": "请选择要上传的扫描件。",
            "empty": "文件为空（0 字节），请重新选择文件。",
        },
        help_text=f"PDF 或图片（JPG、PNG 等），不超过 {SCAN_MAX_MB} MB。",
        widget=FilePicker(attrs={"accept": ".pdf,.jpg,.jpeg,.png,image/*,application/pdf"}),
    )
