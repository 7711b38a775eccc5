"""The login CAPTCHA's text question: the same guard for a person who cannot see the image.

After the same failures as the image, the login form offers a question in words instead; its
answer is checked once like the image's, a wrong one is refused without checking the password and
without counting a failed login, and the per-address rate and the lock of an account at an
address hold whichever variant is answered. The question is read from the page and worked out
from its words (tests/captcha_questions.py).
"""

import re

import pytest
from axes.models import AccessFailureLog
from captcha.models import CaptchaStore
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.accounts.test_login import OFFICE, WRONG, asks_for_captcha, logged_in, login_url, send
from tests.captcha_questions import text_question_in

SWITCH_TO_TEXT = (
    r'<button type="submit" name="captcha_switch" value="text" formnovalidate class="btn btn-link btn-sm" '
    r'data-captcha-switch="\?captcha=text">看不清？改用文字题</button>'
)


def fail(client, user, times, **extra):
    for _ in range(times):
        response = send(client, user.email, WRONG, OFFICE, **extra)
        assert not logged_in(response)
    return response


def text_question_after_failures(client, user):
    """Fail three times, then open the login page with the text question, as the switch's script does."""
    fail(client, user, 3)
    return text_question_in(client.get(login_url(), {"captcha": "text"}, REMOTE_ADDR=OFFICE).content.decode())


def full_width(digits):
    return "".join(chr(ord(digit) + 0xFEE0) for digit in digits)


def test_the_image_offers_the_text_question_after_the_same_failures(client, applicant_admin):
    response = fail(client, applicant_admin, 2)
    assert not asks_for_captcha(response)
    assert "captcha_switch" not in response.content.decode()
    response = fail(client, applicant_admin, 1)
    assert asks_for_captcha(response)
    page = response.content.decode()
    assert "data-captcha-image" in page
    assert re.search(SWITCH_TO_TEXT, page)
    # Enter in a field presses the form's first button: the hidden one that logs in, not the switch.
    buttons = re.findall(r"<button [^>]*>", page.split('<form method="post"')[1])
    assert buttons[0] == '<button type="submit" hidden>'


def test_switch_without_script_keeps_the_email_and_checks_no_password(client, applicant_admin):
    fail(client, applicant_admin, 3)
    response = send(client, applicant_admin.email, factories.PASSWORD, OFFICE, captcha_switch="text")
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    page = response.content.decode()
    assert re.search(r'<input type="text" name="username" value="([^"]+)"', page)[1] == applicant_admin.email
    assert 'name="password" value' not in page  # the password is not shown again
    assert not response.context["form"].errors
    text_question_in(page)
    assert re.search(
        r'<button type="submit" name="captcha_switch" value="image"[^>]*'
        r'data-captcha-switch="\?captcha=image">改用图片验证码</button>',
        page,
    )
    assert "请先填写验证码再登录" in page
    assert AccessFailureLog.objects.filter(username=applicant_admin.email).count() == 3

    # And back to the image, the e-mail still kept.
    page = send(client, applicant_admin.email, "", OFFICE, captcha_switch="image").content.decode()
    assert "data-captcha-image" in page
    assert "data-captcha-question" not in page
    assert f'value="{applicant_admin.email}"' in page


@pytest.mark.parametrize("typed", [str, full_width], ids=["digits", "full-width digits"])
def test_the_right_text_answer_with_the_right_password_logs_in(client, applicant_admin, typed):
    key, _question, answer = text_question_after_failures(client, applicant_admin)
    response = send(
        client,
        applicant_admin.email,
        factories.PASSWORD,
        OFFICE,
        captcha_0=key,
        captcha_1=f" {typed(answer)} ",
        captcha_variant="text",
    )
    assert logged_in(response)
    assert response.wsgi_request.user == applicant_admin
    assert not CaptchaStore.objects.filter(hashkey=key).exists()


def test_a_text_question_is_answered_once(client, applicant_admin):
    key, _question, answer = text_question_after_failures(client, applicant_admin)
    answered = {"captcha_0": key, "captcha_1": answer, "captcha_variant": "text"}
    assert logged_in(send(client, applicant_admin.email, factories.PASSWORD, OFFICE, **answered))
    # The same key and answer again, from another visitor at that address: the question is gone.
    response = send(Client(), applicant_admin.email, factories.PASSWORD, OFFICE, **answered)
    assert not response.wsgi_request.user.is_authenticated
    assert response.context["form"].errors["captcha"] == ["验证码不正确，请重新输入。"]


def test_a_wrong_text_answer_is_refused_like_a_wrong_image(client, applicant_admin):
    key, _question, answer = text_question_after_failures(client, applicant_admin)
    wrong = str(int(answer) + 1)
    response = send(
        client,
        applicant_admin.email,
        factories.PASSWORD,
        OFFICE,
        captcha_0=key,
        captcha_1=wrong,
        captcha_variant="text",
    )
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert response.context["form"].errors["captcha"] == ["验证码不正确，请重新输入。"]
    assert list(response.context["form"].errors) == ["captcha"]  # the password was not checked
    # Not a failed login either, as with a wrong image: only the three wrong passwords count.
    assert AccessFailureLog.objects.filter(username=applicant_admin.email).count() == 3
    # A new question comes, still in words; the refused one cannot be answered again.
    new_key, _question, new_answer = text_question_in(response.content.decode())
    assert new_key != key
    assert not CaptchaStore.objects.filter(hashkey=key).exists()
    response = send(
        client, applicant_admin.email, factories.PASSWORD, OFFICE, captcha_0=key, captcha_1=answer
    )
    assert response.context["form"].errors["captcha"] == ["验证码不正确，请重新输入。"]
    answered = {"captcha_0": new_key, "captcha_1": new_answer, "captcha_variant": "text"}
    assert logged_in(send(client, applicant_admin.email, factories.PASSWORD, OFFICE, **answered))


def test_choosing_the_text_question_does_not_skip_it(client, applicant_admin):
    fail(client, applicant_admin, 3)
    # The right password with the text variant chosen but no answer: refused, the password unchecked.
    response = send(client, applicant_admin.email, factories.PASSWORD, OFFICE, captcha_variant="text")
    assert not response.wsgi_request.user.is_authenticated
    assert response.context["form"].errors["captcha"] == ["请填写文字题的答案。"]
    # An answer to no question (a key never given) is refused too.
    response = send(
        client,
        applicant_admin.email,
        factories.PASSWORD,
        OFFICE,
        captcha_0="0" * 40,
        captcha_1="7",
        captcha_variant="text",
    )
    assert not response.wsgi_request.user.is_authenticated
    assert response.context["form"].errors["captcha"] == ["验证码不正确，请重新输入。"]


def test_wrong_passwords_with_right_text_answers_lock_the_account_at_the_address(
    client, applicant_admin, settings
):
    key, _question, answer = text_question_after_failures(client, applicant_admin)
    for _ in range(settings.SHIFAN_LOGIN_FAILURE_LIMIT - 3):
        response = send(
            client,
            applicant_admin.email,
            WRONG,
            OFFICE,
            captcha_0=key,
            captcha_1=answer,
            captcha_variant="text",
        )
        if response.status_code == 200:
            assert "邮箱或密码不正确" in response.content.decode()
            key, _question, answer = text_question_in(response.content.decode())
    assert response.status_code == 429
    assert AccessFailureLog.objects.filter(username=applicant_admin.email).count() == (
        settings.SHIFAN_LOGIN_FAILURE_LIMIT
    )
    # Locked at this address: the right password with a right text answer does not let anyone in.
    key, _question, answer = text_question_in(
        Client().get(login_url(), {"captcha": "text"}, REMOTE_ADDR=OFFICE).content.decode()
    )
    response = send(
        Client(),
        applicant_admin.email,
        factories.PASSWORD,
        OFFICE,
        captcha_0=key,
        captcha_1=answer,
        captcha_variant="text",
    )
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated


def test_switches_and_text_answers_count_toward_the_address_rate(client, applicant_admin, settings):
    settings.SHIFAN_LOGIN_POSTS_PER_ADDRESS = 6
    fail(client, applicant_admin, 3)
    send(client, applicant_admin.email, "", OFFICE, captcha_switch="text")
    send(client, applicant_admin.email, WRONG, OFFICE, captcha_0="x", captcha_1="1", captcha_variant="text")
    key, _question, answer = text_question_in(
        send(client, applicant_admin.email, "", OFFICE, captcha_switch="text").content.decode()
    )
    # The seventh form from the address: refused before anything is checked, the question kept.
    response = send(
        client,
        applicant_admin.email,
        factories.PASSWORD,
        OFFICE,
        captcha_0=key,
        captcha_1=answer,
        captcha_variant="text",
    )
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated
    page = response.content.decode()
    assert "您所在的网络地址提交登录过于频繁" in page
    assert "data-captcha-question" in page
    assert f'value="{applicant_admin.email}"' in page


def test_the_text_question_and_its_messages_in_english(client, applicant_admin):
    fail(client, applicant_admin, 3)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = send(client, applicant_admin.email, factories.PASSWORD, OFFICE, captcha_switch="text")
    page = response.content.decode()
    _key, question, _answer = text_question_in(page)
    assert question.startswith("What is ")
    assert re.search(r'data-captcha-switch="\?captcha=image">Use the image instead</button>', page)
    assert "answer the CAPTCHA to log in" in page
    response = send(client, applicant_admin.email, factories.PASSWORD, OFFICE, captcha_variant="text")
    assert response.context["form"].errors["captcha"] == ["Please answer the question."]
