"""The objection form's text question: the CAPTCHA a person who cannot see the image can pass.

The question is read from the page as a screen reader would (plain text, tied to the answer's
input), worked out from its words, and checked against the CaptchaStore row behind its key.
"""

import re

import pytest
from captcha.models import CaptchaStore
from django.urls import reverse
from django.utils import translation

from shifan.core.captcha import text_challenge
from shifan.publicity import services
from shifan.publicity.models import NoticeEntry, Objection
from tests.captcha_questions import text_question_in, work_out
from tests.publicity.test_views import objection_data, open_today


def text_question(client, url):
    """Open the form with the text question; return its key, the question and its answer worked out."""
    return text_question_in(client.get(url, {"captcha": "text"}).content.decode())


@pytest.fixture
def url(province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    return reverse("publicity:objection_new", kwargs={"pk": notice.pk})


def test_every_text_question_is_answered_by_its_words():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for _ in range(200):
                question, answer = text_challenge()
                assert len(question) <= 32  # CaptchaStore.challenge
                assert work_out(question) == answer
                assert 0 <= int(answer) <= 20


def test_the_image_offers_the_text_question_and_back(client, url):
    page = client.get(url, {"entry": "7"}).content.decode()
    assert "data-captcha-image" in page
    assert re.search(
        r'<a href="\?entry=7&amp;captcha=text"[^>]*data-captcha-switch>看不清？改用文字题</a>', page
    )
    page = client.get(url, {"entry": "7", "captcha": "text"}).content.decode()
    assert "data-captcha-image" not in page
    assert re.search(
        r'<a href="\?entry=7&amp;captcha=image"[^>]*data-captcha-switch>改用图片验证码</a>', page
    )


def test_the_question_is_tied_to_the_answer_input(client, url):
    page = client.get(url, {"captcha": "text"}).content.decode()
    assert '<label class="form-label" for="id_captcha_1">验证码' in page
    answer_input = re.search(r'<input type="text" name="captcha_1"[^>]*>', page)[0]
    assert 'aria-describedby="id_captcha_question"' in answer_input
    assert 'inputmode="numeric"' in answer_input
    assert "请填写阿拉伯数字。" in page


def test_the_question_is_in_english_on_english_pages(client, url):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(url, {"captcha": "text"}).content.decode()
    question = re.search(r"<span data-captcha-question>([^<]+)</span> Answer in digits", page)
    assert question, "no English question"
    assert question[1].startswith("What is ")
    assert re.search(r"data-captcha-switch>Use the image instead</a>", page)


def test_objection_filed_with_the_text_question(client, url):
    key, _question, answer = text_question(client, url)
    entry = NoticeEntry.objects.first()
    response = client.post(f"{url}?captcha=text", objection_data(entry, key, answer))
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.entry == entry
    assert not CaptchaStore.objects.filter(hashkey=key).exists()  # used once


def test_answer_in_full_width_digits_is_read_as_digits(client, url):
    key, _question, answer = text_question(client, url)
    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in answer)
    entry = NoticeEntry.objects.first()
    response = client.post(url, objection_data(entry, key, f" {full_width} ", captcha_variant="text"))
    assert response.status_code == 302
    assert Objection.objects.count() == 1


def test_wrong_answer_is_refused_beside_the_field_with_a_new_question(client, url):
    key, _question, answer = text_question(client, url)
    entry = NoticeEntry.objects.first()
    # Sent from a form swapped to the text question by script: the page's address has no ?captcha.
    response = client.post(url, objection_data(entry, key, str(int(answer) + 1), captcha_variant="text"))
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'id="id_captcha-error">验证码不正确，请重新输入。</div>', page)
    answer_input = re.search(r'<input type="text" name="captcha_1"[^>]*>', page)[0]
    assert 'aria-describedby="id_captcha_question id_captcha-error"' in answer_input
    assert 'aria-invalid="true"' in answer_input
    assert not Objection.objects.exists()
    # The page asks a new question (still as text); the refused one cannot be tried again.
    assert not CaptchaStore.objects.filter(hashkey=key).exists()
    new_key = re.search(r'name="captcha_0" value="([^"]+)"', page)[1]
    assert new_key != key
    question = re.search(r"<span data-captcha-question>([^<]+)</span>", page)[1]
    assert CaptchaStore.objects.get(hashkey=new_key).challenge == question
    assert "data-captcha-image" not in page
    response = client.post(url, objection_data(entry, key, answer, captcha_variant="text"))
    assert response.status_code == 400


def test_the_per_address_limit_applies_to_the_text_question(client, url):
    entry = NoticeEntry.objects.first()
    for _ in range(services.OBJECTIONS_PER_HOUR):
        key, _question, answer = text_question(client, url)
        response = client.post(
            f"{url}?captcha=text", objection_data(entry, key, answer), REMOTE_ADDR="198.51.100.7"
        )
        assert response.status_code == 302
    key, _question, answer = text_question(client, url)
    response = client.post(
        f"{url}?captcha=text", objection_data(entry, key, answer), REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "每小时最多提交 3 件异议" in page
    assert "data-captcha-question" in page  # the refusal keeps the text question
    assert Objection.objects.count() == services.OBJECTIONS_PER_HOUR
