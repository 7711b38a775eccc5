"""The similarity index (one row per indexed text) and the flagged pairs (docs/decisions/0022).

`IndexedText` holds a written section of an application's latest submitted version, or a
published typical case's body, as its MinHash signature; the banded index the checks query is
built from these rows (`shifan.similarity.index`), so that adding an application never computes
the others again. `SimilarPair` is two applications (or an application and a case) with at least
one pair of sections alike, with the province's decision on it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shifan.applications.models import Application, Snapshot
from shifan.cases.models import TypicalCase
from shifan.programs.models import Batch

# The field key of a row that holds an application's yearly figures (their digest, not a MinHash).
FIGURES_KEY = "__figures__"


class IndexedText(models.Model):
    application = models.ForeignKey(Application, null=True, on_delete=models.CASCADE, related_name="+")
    snapshot = models.ForeignKey(Snapshot, null=True, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(TypicalCase, null=True, on_delete=models.CASCADE, related_name="+")
    field_key = models.CharField(max_length=80, blank=True)
    shingle_size = models.PositiveSmallIntegerField()
    # Characters after normalisation.
    length = models.PositiveIntegerField()
    # NUM_PERM little-endian uint32 (the MinHash), or the SHA-256 of the figures (FIGURES_KEY).
    signature = models.BinaryField()
    indexed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "field_key", "shingle_size"], name="one_indexed_section_per_size"
            ),
            models.UniqueConstraint(fields=["case", "shingle_size"], name="one_indexed_case_per_size"),
        ]
        indexes = [models.Index(fields=["field_key", "signature"], name="indexed_figures")]

    def __str__(self) -> str:
        return f"{self.application_id or self.case_id} {self.field_key}"


class PairDecision(models.TextChoices):
    PENDING = "", _("未处理")
    EXPLAINED = "explained", _("已说明")
    TO_CHECK = "to_check", _("待核实")
    RETURNED = "returned", _("已退回")


class SimilarPair(models.Model):
    """Two applications (the later one first: `application.pk > other_application.pk`), or an
    application and a published case, whose written sections are alike."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="similar_pairs")
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="+")
    other_application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="similar_pairs_as_other"
    )
    other_batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    other_case = models.ForeignKey(
        TypicalCase, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    score = models.FloatField(_("相似度"))
    # [{"field": key, "other_field": key, "score": 0.62}, …], most alike first.
    matches = models.JSONField(default=list)
    same_figures = models.BooleanField(_("表格数据相同"), default=False)
    # The two applications' cities differ: the province alone sees the pair.
    cross_city = models.BooleanField(default=False)
    found_at = models.DateTimeField(_("发现时间"))
    decision = models.CharField(
        _("处理结果"), max_length=20, choices=PairDecision.choices, default=PairDecision.PENDING, blank=True
    )
    decision_note = models.TextField(_("处理说明"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("相似内容")
        verbose_name_plural = _("相似内容")
        ordering = ["-score", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "other_application"],
                condition=models.Q(other_application__isnull=False),
                name="one_pair_per_two_applications",
            ),
            models.UniqueConstraint(
                fields=["application", "other_case"],
                condition=models.Q(other_case__isnull=False),
                name="one_pair_per_application_and_case",
            ),
            models.CheckConstraint(
                condition=models.Q(other_application__isnull=False) ^ models.Q(other_case__isnull=False),
                name="pair_has_one_other",
            ),
        ]
        indexes = [
            models.Index(fields=["batch", "-score"], name="similar_pair_batch"),
            models.Index(fields=["other_batch", "-score"], name="similar_pair_other_batch"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} ~ {self.other_application_id or self.other_case_id}"
