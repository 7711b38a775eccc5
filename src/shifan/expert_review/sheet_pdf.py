"""An expert's score sheet as a signable A4 PDF (评分表), drawn by the documents app's typography."""

from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from shifan.documents import typography as ty
from shifan.documents.book_pdf import pdf_from_html
from shifan.expert_review.models import Assignment


def score_sheet_pdf(assignment: Assignment) -> bytes:
    """Return the sheet with every indicator's score and comment, the total, and lines to sign."""
    application = assignment.application
    category = assignment.batch.category(application.category)
    rows = []
    for indicator in category.rubric:
        for leaf in indicator.leaves():
            rows.append(
                {
                    "parent": indicator.label if not indicator.is_leaf else "",
                    "label": leaf.label,
                    "weight": leaf.weight,
                    "score": assignment.scores.get(leaf.key, ""),
                    "comment": assignment.comments.get(leaf.key, ""),
                }
            )
    html = render_to_string(
        "documents/score_sheet_pdf.html",
        {
            "assignment": assignment,
            "application": application,
            "batch": assignment.batch,
            "category": category,
            "rows": rows,
            "maximum": sum((leaf.weight for leaf in category.rubric_leaves()), Decimal(0)),
            "commitment": assignment.batch.spec.defaults.expert_commitment,
            "printed_at": timezone.localtime(),
            "font_rules": ty.css_font_rules(),
            "body_size": ty.pt("小四"),
            "title_size": ty.pt("二号"),
        },
    )
    return pdf_from_html(html)


def score_sheet_filename(assignment: Assignment) -> str:
    return f"{assignment.application.number}-专家评分表.pdf"
