from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from shifan.core.backup import BackupError, media_root, take_backup


class Command(BaseCommand):
    help = (
        "备份数据库和上传的文件（网站运行时也可执行）：写入 --output 下新建的 shifan-backup-<时间> 文件夹。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            default=str(Path(settings.VAR_DIR) / "backups"),
            help="备份存放的文件夹（默认 var/backups）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        media = media_root()
        try:
            folder, manifest = take_backup(
                connections["default"].settings_dict, Path(options["output"]), media=media
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        files = sum(1 for path in manifest.files if path != manifest.database_file)
        size = sum(entry["size"] for entry in manifest.files.values())
        self.stdout.write(self.style.SUCCESS(f"备份完成：{folder}"))
        self.stdout.write(f"  数据库：{manifest.vendor}，迁移状态覆盖 {len(manifest.migrations)} 个应用")
        self.stdout.write(f"  上传文件：{files} 个；合计 {size / 1024 / 1024:.1f} MB")
        if media is None:
            self.stdout.write(
                self.style.WARNING(
                    "  上传文件保存在对象存储中，未包含在本备份内：请开启存储桶的版本控制或跨区复制。"
                )
            )
