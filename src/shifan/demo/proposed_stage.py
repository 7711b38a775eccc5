"""A demo batch whose proposed list (拟认定名单) is fixed and waits for its public notice.

The only state of the lifecycle the other stages pass through without stopping: applications
are 拟认定 or 未入选 until the province opens the notice. Its applicants are from 汕尾 and 潮州,
the two cities no other stage applies from, so every city has applications in the demo.
"""

from typing import Any

from shifan.accounts.models import User

PROPOSED_BATCH_NAME = "2024年广东省服务型制造示范征集（演示·拟认定）"
PROPOSED_APPLICANTS: list[tuple[str, str, dict[str, Any]]] = [
    ("e-shanwei", "enterprise", {"modes": {"selected": ["lifecycle", "supply_chain"], "other": {}}}),
    ("e-chaozhou", "enterprise", {"modes": {"selected": ["customization"], "other": {}}}),
    ("p-shanwei", "platform", {}),
    ("p-chaozhou", "platform", {}),
]
QUOTAS = {"enterprise": 1, "platform": 1}


def load_proposed_stage(province: User) -> None:
    from shifan.demo.publicity_stage import _fix_list
    from shifan.demo.review_stage import reviewed_batch, score_assignments
    from shifan.programs.models import Batch

    if Batch.objects.filter(name=PROPOSED_BATCH_NAME).exists():
        return
    batch, _applications = reviewed_batch(province, PROPOSED_BATCH_NAME, PROPOSED_APPLICANTS, QUOTAS)
    score_assignments(batch)
    _fix_list(province, batch)
