"""Expert review pages: what each side sees, messages beside fields, the Excel export, query counts."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from shifan.core.models import AuditEvent
from shifan.expert_review import services
from shifan.expert_review.models import Assignment, Hearing
from tests import factories
from tests.expert_review.conftest import accepted, expert
from tests.expert_review.test_services import full_sheet, publish, score
from tests.helpers import login_verified


@pytest.fixture
def reviewed(batch, province_officer):
    applications = [accepted(batch) for _ in range(2)]
    experts = [expert() for _ in range(3)]
    publish(batch, province_officer)
    return applications, experts


def test_expert_sees_the_conflict_check_first_and_never_other_experts(client, reviewed):
    applications, experts = reviewed
    assignment = Assignment.objects.filter(application=applications[0]).first()
    login_verified(client, assignment.expert)
    url = reverse("expert_review:assignment", kwargs={"pk": assignment.pk})
    assert client.get(url)["Location"] == reverse(
        "expert_review:conflict_check", kwargs={"pk": assignment.pk}
    )
    check = reverse("expert_review:conflict_check", kwargs={"pk": assignment.pk})
    # Without signing the commitment (承诺书) the confirmation is refused, beside the checkbox.
    refused = client.post(check, {"action": "confirm"})
    assert refused.status_code == 400
    assert "请阅读并签署评审专家承诺书" in refused.content.decode()
    assert "严格保密" in refused.content.decode()
    client.post(check, {"action": "confirm", "signed": "1"})
    assignment.refresh_from_db()
    assert assignment.confirmed_at is not None
    event = AuditEvent.objects.get(action="expert_review.no_conflict_confirmed")
    assert "严格保密" in event.after["commitment"]
    page = client.get(url).content.decode()
    assert "资格预审结果" in page
    assert "评分表" in page
    for other in experts:
        if other != assignment.expert:
            assert other.name not in page


def test_bad_scores_are_shown_beside_their_fields_and_nothing_is_saved(client, reviewed):
    applications, _experts = reviewed
    assignment = Assignment.objects.filter(application=applications[0]).first()
    services.confirm_no_conflict(actor=assignment.expert, assignment=assignment, signed=True)
    login_verified(client, assignment.expert)
    response = client.post(
        reverse("expert_review:assignment", kwargs={"pk": assignment.pk}),
        {"action": "save", "score_intro": "9", "comment_intro": "简介清楚"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "分值应在 0 到 5 之间。" in page
    assert 'value="9"' in page  # what was typed stays in the field
    # The message describes its field for a screen reader; fields without one point at nothing.
    score_input = re.search(r'<input[^>]*name="score_intro"[^>]*>', page).group(0)
    assert 'aria-invalid="true" aria-describedby="score_intro_error"' in score_input
    assert re.search(r'id="score_intro_error">分值应在 0 到 5 之间。', page)
    for target in re.findall(r'aria-describedby="([^"]+)"', page):
        assert f'id="{target}"' in page, target
    assignment.refresh_from_db()
    assert assignment.saved_at is None


def test_declining_on_the_conflict_page_needs_a_reason_then_removes_the_task(client, reviewed):
    applications, _experts = reviewed
    assignment = Assignment.objects.filter(application=applications[0]).first()
    login_verified(client, assignment.expert)
    url = reverse("expert_review:conflict_check", kwargs={"pk": assignment.pk})
    response = client.post(url, {"action": "decline", "reason": ""})
    assert "这个字段是必填项" in response.content.decode() or "必填" in response.content.decode()
    response = client.post(url, {"action": "decline", "reason": "曾参与该企业项目"})
    assert response.status_code == 302
    assert client.get(url).status_code == 404
    attachment_url = reverse("expert_review:attachment", kwargs={"pk": assignment.pk, "attachment_pk": 1})
    assert client.get(attachment_url).status_code == 404


def test_attachments_are_served_to_the_assigned_expert_only_from_the_snapshot(
    client, batch, province_officer
):
    application = accepted(batch)
    file = factories.attachment(application)
    factories.submitted(application, sequence=2)  # the snapshot now lists the file
    application.state = "accepted"
    application.save(update_fields=["state"])
    later = factories.attachment(application, field_key="overview")  # added after: not submitted
    [expert() for _ in range(2)]
    publish(batch, province_officer)
    assignment = Assignment.objects.filter(application=application).first()
    services.confirm_no_conflict(actor=assignment.expert, assignment=assignment, signed=True)
    login_verified(client, assignment.expert)

    def url(item):
        return reverse("expert_review:attachment", kwargs={"pk": assignment.pk, "attachment_pk": item.pk})

    assert client.get(url(later)).status_code == 404
    # Last: closing a file response ends the test client's request, and its connection.
    response = client.get(url(file))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    response.close()


def test_hearing_errors_show_beside_the_field(client, reviewed, province_officer):
    applications, _experts = reviewed
    login_verified(client, province_officer)
    response = client.post(
        reverse("expert_review:scores", kwargs={"pk": applications[0].pk}),
        {
            "kind": "defence",
            "held_on": "2024-09-01",
            "panel": "专家组",
            "record": "答辩记录",
            "adjustment": "3",
        },
    )
    assert response.status_code == 400
    assert "调整分数须写明理由。" in response.content.decode()
    assert not Hearing.objects.exists()


def test_results_export_holds_the_ranking_and_every_sheet(client, reviewed, batch, province_officer):
    applications, _experts = reviewed
    for application, value in zip(applications, ["4", "3"], strict=True):
        for assignment in Assignment.objects.filter(application=application):
            score(assignment, value)
    login_verified(client, province_officer)
    response = client.get(reverse("expert_review:results_export", kwargs={"batch_pk": batch.pk}))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["示范企业排名", "示范平台排名", "专家评分明细"]
    ranking = workbook["示范企业排名"]
    header = [cell.value for cell in ranking[3]]
    assert header[:3] == ["排名", "申报编号", "申报单位"]
    rows = [[cell.value for cell in row] for row in ranking.iter_rows(min_row=4)]
    assert [(r[0], r[1], r[8]) for r in rows] == [
        (1, applications[0].number, 56.0),
        (2, applications[1].number, 42.0),
    ]
    details = [[cell.value for cell in row] for row in workbook["专家评分明细"].iter_rows(min_row=2)]
    assert sum(1 for row in details if row[0] in {a.number for a in applications}) == 4


@pytest.mark.parametrize("count", [1, 3])
def test_results_page_queries_do_not_grow_with_rows(
    client, db, province_officer, django_assert_max_num_queries, count
):
    batch = factories.BatchFactory(experts_per_application=2, expert_max_load=10)
    for _ in range(count):
        accepted(batch)
    [expert() for _ in range(2)]
    publish(batch, province_officer)
    for assignment in Assignment.objects.all():
        services.confirm_no_conflict(actor=assignment.expert, assignment=assignment, signed=True)
        services.save_scores(
            actor=assignment.expert, assignment=assignment, submit=True, **full_sheet(assignment)
        )
    login_verified(client, province_officer)
    with django_assert_max_num_queries(40):
        assert client.get(reverse("expert_review:results", kwargs={"batch_pk": batch.pk})).status_code == 200
    with django_assert_max_num_queries(40):
        assert (
            client.get(reverse("expert_review:assignments", kwargs={"batch_pk": batch.pk})).status_code == 200
        )


def test_expert_home_lists_open_tasks_with_the_deadline(client, reviewed, batch):
    from datetime import timedelta

    from django.utils import timezone

    applications, _experts = reviewed
    assignment = Assignment.objects.filter(application=applications[0]).first()
    batch.review_deadline = timezone.now() + timedelta(days=3)
    batch.save(update_fields=["review_deadline"])
    login_verified(client, assignment.expert)
    page = client.get(reverse("home")).content.decode()
    assert "目前没有分配给您的评审任务" not in page
    assert assignment.application.number in page
    assert timezone.localtime(batch.review_deadline).strftime("%Y-%m-%d %H:%M") in page
    tasks = client.get(reverse("expert_review:my_assignments")).content.decode()
    assert timezone.localtime(batch.review_deadline).strftime("%Y-%m-%d %H:%M") in tasks


def test_score_sheet_prints_as_a_pdf_for_its_expert_only(client, reviewed):
    applications, experts = reviewed
    assignment = Assignment.objects.filter(application=applications[0]).first()
    url = reverse("expert_review:sheet_pdf", kwargs={"pk": assignment.pk})
    other = next(e for e in experts if not Assignment.objects.filter(pk=assignment.pk, expert=e).exists())
    login_verified(client, other)
    assert client.get(url).status_code == 404
    client.logout()
    login_verified(client, assignment.expert)
    assert client.get(url).status_code == 404  # not before the conflict check
    score(assignment)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_refused_submit_keeps_what_was_typed(client, reviewed, batch, province_officer):
    applications, _experts = reviewed
    assignment = Assignment.objects.filter(application=applications[0]).first()
    services.confirm_no_conflict(actor=assignment.expert, assignment=assignment, signed=True)
    login_verified(client, assignment.expert)
    form = {f"score_{key}": value for key, value in full_sheet(assignment)["scores"].items()}
    form.update({f"comment_{key}": value for key, value in full_sheet(assignment)["comments"].items()})
    form["overall_comment"] = "这段综合意见不能丢失。"
    # The list is fixed meanwhile: the submit is refused, but the sheet comes back as typed.
    from django.utils import timezone

    from shifan.expert_review.models import ProposedList

    ProposedList.objects.create(batch=batch, fixed_at=timezone.now(), fixed_by=province_officer)
    response = client.post(
        reverse("expert_review:assignment", kwargs={"pk": assignment.pk}), {**form, "action": "submit"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "拟认定名单已确定" in page
    assert "这段综合意见不能丢失。" in page
    assert 'data-unsaved="1"' in page
