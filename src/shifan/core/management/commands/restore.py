from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from shifan.core.backup import BackupError, check_target, media_root, restore_backup, verify_backup


class Command(BaseCommand):
    help = (
        "从 manage.py backup 生成的备份恢复数据库和上传的文件。先逐一核对校验值；"
        "目标数据库的迁移状态须与备份相同（或为空库）。恢复前请停止网站和后台任务进程。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="备份文件夹（shifan-backup-<时间>）")
        parser.add_argument("--yes", action="store_true", help="不询问，直接恢复（用于脚本）")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["folder"])
        settings_dict = connections["default"].settings_dict
        media = media_root()
        try:
            manifest = verify_backup(folder)
            self.stdout.write(
                f"校验通过：{len(manifest.files)} 个文件与清单一致（备份时间 {manifest.created_at}）。"
            )
            empty = check_target(manifest, settings_dict)
        except BackupError as error:
            raise CommandError(str(error)) from error
        where = settings_dict["NAME"]
        state = "空数据库" if empty else "现有数据将被备份中的数据替换"
        if not options["yes"]:
            answer = input(f"将恢复到数据库 {where}（{state}）及上传文件夹 {media}。输入 yes 继续：")
            if answer.strip().lower() not in {"yes", "y", "是"}:
                raise CommandError("已取消，未做任何改动。")
        connections.close_all()
        try:
            written = restore_backup(folder, manifest, settings_dict, media=media)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"恢复完成：数据库 {where}，上传文件 {written} 个。"))
        if media is None and manifest.media_included:
            self.stdout.write(
                self.style.WARNING("上传文件保存在对象存储中，本次未恢复文件：请从存储桶的版本中恢复。")
            )
