"""Benchmark: similarity detection over 10,000 applications × 14 written sections.

Builds a scratch SQLite database (nothing else is touched) with the Guangdong 2024 programme and
10,000 submitted enterprise applications whose 14 written sections (文字说明) are generated:
each company writes its own sentences, from a large stock of the phrases such declarations use
(so independently written texts share much vocabulary, as real ones do) with its own name,
products, places and figures. Among them are planted copies of other applications: with 5%, 15%
and 30% of the characters edited (replaced, inserted or deleted), with the paragraphs of every
section reordered, and with one section copied into a different section.

Then it times
- the indexing of the whole batch (signatures of every section, in `--processes` processes,
  stored in the database, and the in-memory band index built from the stored rows; goal
  under 60 s on two cores), and
- the check of one newly submitted application against the index (its rows replaced, its
  similar pairs found and recorded; goal under 100 ms, the median of `--checks` applications),

and reports the recall on each kind of planted copy (the share of planted pairs flagged, the
copied section pair among the matches; goal at least 0.95 for 5% and 15% edits) and the flags
between independently written applications (goal: none). The last line is one line of JSON.
Run: `make bench-similarity` (or `python bench/similarity.py --applications 2000`).
"""

import argparse
import json
import os
import random
import resource
import statistics
import time
from typing import Any

import scratch  # bench/, the folder of this script

SCRATCH = scratch.setup("similarity")

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from shifan.accounts.models import Organisation, Role, User  # noqa: E402
from shifan.applications.models import Application, ApplicationState, Snapshot  # noqa: E402
from shifan.programs import services as batch_services  # noqa: E402
from shifan.programs.registry import spec_file  # noqa: E402
from shifan.similarity import index as lsh  # noqa: E402
from shifan.similarity import services  # noqa: E402
from shifan.similarity.models import SimilarPair  # noqa: E402

INDEX_GOAL_SECONDS = 60
CHECK_GOAL_MS = 100
RECALL_GOAL = 0.95
PLANTED = ("edit_5", "edit_15", "edit_30", "reordered", "cross_section")
BULK = 500

# --- the text generator ---------------------------------------------------------------------------

SURNAMES = "华粤珠穗深佛莞惠中江湛茂肇梅汕潮揭阳韶清云河广东南新兴盛达通明远泰和丰宏宇航科智信诚"
PRODUCTS = [
    "数控机床",
    "工业机器人",
    "注塑模具",
    "智能家电",
    "新能源电池",
    "电子元器件",
    "精密五金",
    "汽车零部件",
    "纺织面料",
    "陶瓷卫浴",
    "医疗器械",
    "照明灯具",
    "电线电缆",
    "包装材料",
    "家具板材",
    "食品机械",
    "印刷设备",
    "光伏组件",
    "储能系统",
    "无人机",
    "工业软件",
    "传感器",
    "变压器",
    "压缩机",
    "水泵阀门",
    "建筑铝材",
    "涂料油墨",
    "锂电隔膜",
    "显示面板",
    "智能门锁",
]
PLACES = [
    "广州",
    "深圳",
    "佛山",
    "东莞",
    "中山",
    "珠海",
    "江门",
    "惠州",
    "肇庆",
    "汕头",
    "湛江",
    "茂名",
    "韶关",
    "清远",
    "梅州",
    "河源",
    "阳江",
    "潮州",
    "揭阳",
    "云浮",
]
VERBS = [
    "推进",
    "建立",
    "完善",
    "搭建",
    "打造",
    "构建",
    "深化",
    "拓展",
    "优化",
    "强化",
    "实施",
    "推动",
    "开展",
    "加快",
    "提升",
    "培育",
    "引进",
    "整合",
    "落实",
    "创新",
    "健全",
    "升级",
    "布局",
    "延伸",
]
MODIFIERS = [
    "数字化",
    "智能化",
    "协同化",
    "一体化",
    "全流程",
    "个性化",
    "远程",
    "绿色低碳",
    "共享式",
    "定制化",
    "精益",
    "云端",
    "标准化",
    "开放式",
    "模块化",
    "可视化",
    "在线",
    "集成化",
    "网络化",
    "柔性",
    "服务化",
    "平台化",
    "专业化",
    "高端",
]
NOUNS = [
    "服务平台",
    "运维体系",
    "管理系统",
    "服务网络",
    "解决方案",
    "交付模式",
    "研发中心",
    "供应链体系",
    "检测能力",
    "培训体系",
    "营销渠道",
    "数据中心",
    "评价机制",
    "生产线",
    "合作机制",
    "服务团队",
    "考核办法",
    "设计能力",
    "备件中心",
    "回收体系",
    "质量追溯系统",
    "能源管理服务",
    "融资租赁业务",
    "总集成总承包业务",
    "工业设计中心",
    "健康管理服务",
    "售后体系",
]
OBJECTS = [m + n for m in MODIFIERS for n in NOUNS]
ADVERBS = ["持续", "稳步", "全面", "重点", "逐步", "大力", "积极", "着力", "不断", "率先", "系统地", "有序地"]
RESULTS = [
    "客户续约率",
    "服务收入占比",
    "订单交付周期",
    "设备综合效率",
    "故障响应时间",
    "产品不良率",
    "人均产值",
    "研发投入强度",
    "库存周转率",
    "客户投诉率",
    "单位能耗",
    "新产品销售占比",
    "服务毛利率",
    "市场占有率",
]
CONNECTIVES = [
    "同时",
    "此外",
    "在此基础上",
    "通过上述举措",
    "截至目前",
    "与此同时",
    "近年来",
    "下一步",
    "围绕这一目标",
    "为此",
]
PARTNERS = [
    "高校",
    "科研院所",
    "行业协会",
    "上下游企业",
    "金融机构",
    "检测机构",
    "设计院",
    "软件服务商",
    "物流企业",
    "终端用户",
]


class Writer:
    """One company's voice: its name, products, places, partners and figures."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.name = "".join(rng.sample(SURNAMES, 2)) + rng.choice(
            ["科技", "智能", "精密", "机电", "实业", "装备"]
        )
        self.products = rng.sample(PRODUCTS, 3)
        self.place = rng.choice(PLACES)
        self.year = rng.randint(1992, 2016)

    def number(self) -> str:
        rng = self.rng
        return rng.choice(
            [
                f"{rng.randint(2, 95)}%",
                f"{rng.randint(12, 9800)}万元",
                f"{rng.randint(3, 900)}家",
                f"{rng.randint(2, 60)}项",
                f"{rng.randint(1, 40)}.{rng.randint(0, 9)}亿元",
                f"{rng.randint(5, 5000)}台",
            ]
        )

    def sentence(self) -> str:
        rng = self.rng
        product = rng.choice(self.products)
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        model = f"{rng.choice(letters)}{rng.choice(letters)}-{rng.randint(100, 9999)}"
        forms = [
            lambda: (
                f"{self.name}{rng.choice(ADVERBS)}{rng.choice(VERBS)}{rng.choice(OBJECTS)}，"
                f"{rng.choice(RESULTS)}达到{self.number()}"
            ),
            lambda: (
                f"围绕{product}业务，公司{rng.choice(VERBS)}{rng.choice(OBJECTS)}，"
                f"并与{rng.choice(PARTNERS)}共同{rng.choice(VERBS)}{rng.choice(OBJECTS)}"
            ),
            lambda: (
                f"{rng.randint(2019, 2024)}年，公司在{self.place}{rng.choice(VERBS)}{rng.choice(OBJECTS)}，"
                f"累计投入{self.number()}，带动{rng.choice(RESULTS)}提高{self.number()}"
            ),
            lambda: (
                f"{rng.choice(CONNECTIVES)}，{self.name}以{model}型{product}为核心{rng.choice(VERBS)}"
                f"{rng.choice(OBJECTS)}，服务客户{self.number()}"
            ),
            lambda: (
                f"自{self.year}年成立以来，企业{rng.choice(ADVERBS)}{rng.choice(VERBS)}{product}的"
                f"{rng.choice(OBJECTS)}，{rng.choice(RESULTS)}由{self.number()}提升至{self.number()}"
            ),
            lambda: (
                f"公司联合{rng.choice(PARTNERS)}{rng.choice(VERBS)}面向{product}用户的{rng.choice(OBJECTS)}，"
                f"{rng.choice(RESULTS)}下降{self.number()}"
            ),
            lambda: (
                f"{rng.choice(CONNECTIVES)}，公司将{rng.choice(ADVERBS)}{rng.choice(VERBS)}"
                f"{rng.choice(OBJECTS)}和{rng.choice(OBJECTS)}，力争{rng.choice(RESULTS)}达到{self.number()}"
            ),
            lambda: (
                f"以{self.place}{rng.choice(['总部', '生产基地', '研发中心', '产业园'])}为依托，"
                f"{self.name}{rng.choice(VERBS)}覆盖{rng.choice(PLACES)}、{rng.choice(PLACES)}等地的{rng.choice(OBJECTS)}"
            ),
            lambda: (
                f"针对{rng.choice(['客户', '经销商', '终端用户', '合作伙伴'])}在{product}"
                f"{rng.choice(['选型', '安装', '调试', '使用', '维护', '升级'])}中的痛点，"
                f"公司{rng.choice(VERBS)}{rng.choice(OBJECTS)}，{rng.choice(RESULTS)}改善{self.number()}"
            ),
            lambda: (
                f"{model}项目于{rng.randint(2018, 2024)}年{rng.randint(1, 12)}月投入运行，"
                f"{rng.choice(['实现', '形成', '带动'])}{rng.choice(RESULTS)}"
                f"{rng.choice(['增长', '提升', '优化'])}{self.number()}，"
                f"获评{rng.choice(PLACES)}市{rng.choice(['优秀', '示范', '标杆', '重点'])}项目"
            ),
            lambda: (
                f"{self.name}现有员工{rng.randint(80, 6000)}人，其中{rng.choice(['研发', '服务', '技术'])}"
                f"人员{rng.randint(10, 900)}人，"
                f"拥有{rng.choice(['专利', '软件著作权', '标准'])}{rng.randint(3, 400)}项"
            ),
        ]
        return rng.choice(forms)() + "。"

    def section(self) -> str:
        rng = self.rng
        paragraphs = [
            "".join(self.sentence() for _ in range(rng.randint(3, 6))) for _ in range(rng.randint(3, 5))
        ]
        return "\n\n".join(paragraphs)


CHARS = (
    "的一是在了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同"
    "工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二"
    "理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那"
    "社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条"
    "只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次"
    "品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几"
    "九区强放决西被干做必战先回则任取据处理世车"
)


def edited(text: str, share: float, rng: random.Random) -> str:
    """`text` with `share` of its characters edited: replaced, deleted or followed by an insertion."""
    chars = list(text)
    positions = rng.sample(range(len(chars)), int(len(chars) * share))
    for position in sorted(positions, reverse=True):
        kind = rng.random()
        if kind < 0.5:
            chars[position] = rng.choice(CHARS)
        elif kind < 0.75:
            del chars[position]
        else:
            chars.insert(position + 1, rng.choice(CHARS))
    return "".join(chars)


def reordered(text: str, rng: random.Random) -> str:
    paragraphs = text.split("\n\n")
    while len(paragraphs) > 1:
        shuffled = rng.sample(paragraphs, len(paragraphs))
        if shuffled != paragraphs:
            return "\n\n".join(shuffled)
    return text


# --- building the batch ---------------------------------------------------------------------------


def build(count: int, planted_per_kind: int, seed: int = 2024) -> dict[str, Any]:
    """Create the batch; return it with the written field keys and the planted pairs."""
    rng = random.Random(seed)
    call_command("migrate", verbosity=0)
    province = User.objects.create_user(
        "bench-province@shifan.example", "x", name="省厅", role=Role.PROVINCE_OFFICER
    )
    now = timezone.now()
    batch = batch_services.open_batch(
        actor=province,
        spec_file=spec_file("guangdong-2024.yaml"),
        name="相似检测基准批次",
        opens_at=now - timezone.timedelta(days=60),
        closes_at=now + timezone.timedelta(days=1),
        city_deadline=now + timezone.timedelta(days=15),
    )
    keys = [f.key for f in services.written_fields(batch.spec.category("enterprise").form)]
    texts: list[dict[str, str]] = [{key: Writer(rng).section() for key in keys} for _ in range(count)]
    # Planted copies: the copy is the later application, of an earlier, independent one.
    planted: list[tuple[str, int, int, str, str]] = []  # kind, copy index, original index, fields
    originals = rng.sample(range(count // 2), planted_per_kind * len(PLANTED))
    copies = rng.sample(range(count // 2, count), planted_per_kind * len(PLANTED))
    for n, (original, copy) in enumerate(zip(originals, copies, strict=True)):
        kind = PLANTED[n % len(PLANTED)]
        source = texts[original]
        key = rng.choice(keys)
        if kind.startswith("edit_"):
            share = int(kind.split("_")[1]) / 100
            texts[copy] = {k: edited(v, share, rng) for k, v in source.items()}
            planted.append((kind, copy, original, key, key))
        elif kind == "reordered":
            texts[copy] = {k: reordered(v, rng) for k, v in source.items()}
            planted.append((kind, copy, original, key, key))
        else:  # one section of the original copied into another section of an independent text
            other = rng.choice([k for k in keys if k != key])
            texts[copy][other] = source[key]
            planted.append((kind, copy, original, other, key))

    organisations = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"基准测试制造有限公司{i:05d}", credit_code=f"BENCH{i:013d}", city_code="440100"
            )
            for i in range(count + 50)
        ],
        batch_size=BULK,
    )
    applications = Application.objects.bulk_create(
        [
            Application(
                batch=batch,
                organisation=organisations[i],
                category="enterprise",
                state=ApplicationState.SUBMITTED,
                number=f"GD-SMD-2024-E-{i:05d}",
                created_by=province,
                submitted_at=now,
                unit_name=organisations[i].name,
                city_code="440100",
            )
            for i in range(count)
        ],
        batch_size=BULK,
    )
    Snapshot.objects.bulk_create(
        [
            snapshot_of(application, texts[i], province, batch.spec_digest)
            for i, application in enumerate(applications)
        ],
        batch_size=BULK,
    )
    return {
        "batch": batch,
        "keys": keys,
        "applications": applications,
        "organisations": organisations,
        "planted": planted,
        "province": province,
        "rng": rng,
    }


def snapshot_of(application: Application, answers: dict[str, Any], user: User, digest: str) -> Snapshot:
    return Snapshot(
        application=application,
        sequence=1,
        number=application.number,
        answers=answers,
        spec_key="guangdong-2024",
        spec_version="2024.1",
        spec_digest=digest,
        digest="0" * 64,
        version=0,
        submitted_by=user,
        submitted_at=timezone.now(),
    )


def check_new(built: dict[str, Any], runs: int) -> list[float]:
    """Submit `runs` new applications, each timed through `check_application`; return ms each."""
    batch, keys, rng, province = built["batch"], built["keys"], built["rng"], built["province"]
    times = []
    for n in range(runs):
        organisation = built["organisations"][len(built["applications"]) + n]
        with transaction.atomic():
            application = Application.objects.create(
                batch=batch,
                organisation=organisation,
                category="enterprise",
                state=ApplicationState.SUBMITTED,
                number=f"GD-SMD-2024-E-N{n:04d}",
                created_by=province,
                submitted_at=timezone.now(),
                unit_name=organisation.name,
                city_code="440100",
            )
            answers = {key: Writer(rng).section() for key in keys}
            snapshot_of(application, answers, province, batch.spec_digest).save()
        started = time.perf_counter()
        services.check_application(application.pk)
        times.append((time.perf_counter() - started) * 1000)
    return times


def cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes (the indexing pool)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--planted", type=int, default=100, help="planted pairs of each kind")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--checks", type=int, default=20)
    parser.add_argument("--independent", type=int, default=1000, help="independent applications checked")
    args = parser.parse_args()

    started = time.perf_counter()
    built = build(args.applications, args.planted)
    batch = built["batch"]
    build_seconds = time.perf_counter() - started
    print(f"built {args.applications} applications × {len(built['keys'])} sections in {build_seconds:.0f} s")

    config = batch.spec.similarity
    started, cpu_started = time.perf_counter(), cpu_seconds()
    rows = services.index_batch(batch, processes=args.processes)
    stored_seconds = time.perf_counter() - started
    lsh.current_index(config.shingle_size, float(config.threshold) - services.CANDIDATE_MARGIN)
    index_seconds = time.perf_counter() - started
    index_cpu = cpu_seconds() - cpu_started
    print(f"indexed {rows} rows in {index_seconds:.1f} s ({stored_seconds:.1f} s to compute and store)")

    # Recall: the pairs of every planted copy; false flags: those of independent applications.
    applications = built["applications"]
    planted = built["planted"]
    copy_indexes = {copy for _kind, copy, *_ in planted}
    original_indexes = {original for _kind, _copy, original, *_ in planted}
    for index in sorted(copy_indexes):
        services.find_pairs(applications[index].pk)
    recall: dict[str, float] = {}
    for kind in PLANTED:
        ours = [p for p in planted if p[0] == kind]
        found = 0
        for _kind, copy, original, copy_field, original_field in ours:
            pair = SimilarPair.objects.filter(
                application=applications[copy], other_application=applications[original]
            ).first()
            if pair is not None and any(
                m["field"] == copy_field and m["other_field"] == original_field for m in pair.matches
            ):
                found += 1
        recall[kind] = round(found / len(ours), 3) if ours else 0.0
    independent = [i for i in range(len(applications)) if i not in copy_indexes and i not in original_indexes]
    sample = random.Random(7).sample(independent, min(args.independent, len(independent)))
    for index in sample:
        services.find_pairs(applications[index].pk)
    planted_pairs = {(applications[c].pk, applications[o].pk) for _k, c, o, *_ in planted}
    sampled = {applications[i].pk for i in sample}
    false_flags = [
        (pair.application_id, pair.other_application_id, pair.score)
        for pair in SimilarPair.objects.all()
        if (pair.application_id, pair.other_application_id) not in planted_pairs
        and (pair.application_id in sampled or pair.other_application_id in sampled)
    ]
    scores = [round(score, 3) for *_ids, score in false_flags]
    print(f"recall {recall}; false flags among {len(sample)} independent applications: {len(false_flags)}")

    cpu_started = cpu_seconds()
    times = check_new(built, args.checks)
    check_cpu_ms = (cpu_seconds() - cpu_started) / len(times) * 1000
    check_ms = statistics.median(times)
    print(f"one new application checked in {check_ms:.1f} ms (median of {len(times)})")
    result = {
        "benchmark": "similarity",
        "applications": args.applications,
        "sections": rows,
        "processes": args.processes,
        "shingle_size": config.shingle_size,
        "threshold": float(config.threshold),
        "num_perm": lsh.NUM_PERM,
        "bands_rows": list(lsh.bands_for(float(config.threshold) - services.CANDIDATE_MARGIN)),
        "index_seconds": round(index_seconds, 2),
        # CPU seconds of this process and its workers: on a machine shared with other work the
        # wall-clock time above is longer than on two idle cores.
        "index_cpu_seconds": round(index_cpu, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "index_goal_seconds": INDEX_GOAL_SECONDS,
        "check_ms": round(check_ms, 1),
        "check_ms_max": round(max(times), 1),
        "check_cpu_ms": round(check_cpu_ms, 1),
        "check_goal_ms": CHECK_GOAL_MS,
        "planted_per_kind": args.planted,
        "recall": recall,
        "recall_goal": RECALL_GOAL,
        "independent_checked": len(sample),
        "false_flags": len(false_flags),
        "false_flag_scores": sorted(scores, reverse=True)[:10],
        "goals_met": index_seconds < INDEX_GOAL_SECONDS
        and check_ms < CHECK_GOAL_MS
        and recall["edit_5"] >= RECALL_GOAL
        and recall["edit_15"] >= RECALL_GOAL
        and not false_flags,
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
