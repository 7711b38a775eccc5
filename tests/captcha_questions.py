"""The CAPTCHA's text question read as a person would: from the words in the page alone.

The answer is worked out from the question ("三加五等于几？", "What is ten minus four?"), not read
from the database; the CaptchaStore row behind the key only confirms that the page shows its question.
"""

import re

from captcha.models import CaptchaStore

NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
ENGLISH = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}


def work_out(question):
    """The answer to "三加五等于几？" or "What is ten minus four?", from the words alone."""
    chinese = re.fullmatch(r"(.)([加减])(.)等于几？", question)
    if chinese:
        first, operation, second = NUMBERS[chinese[1]], chinese[2], NUMBERS[chinese[3]]
        return str(first + second if operation == "加" else first - second)
    english = re.fullmatch(r"What is (\w+) (plus|minus) (\w+)\?", question)
    assert english, f"not a question in words: {question!r}"
    first, operation, second = ENGLISH[english[1]], english[2], ENGLISH[english[3]]
    return str(first + second if operation == "plus" else first - second)


def text_question_in(page):
    """Read the text question a page shows; return its key, the question and its answer worked out."""
    key = re.search(r'name="captcha_0" value="([^"]+)"', page)
    assert key, "the form has no CAPTCHA key"
    question = re.search(
        r'<p class="mb-2" id="id_captcha_question"><span data-captcha-question>([^<]+)</span>', page
    )
    assert question, "the page has no question in words"
    assert 'type="hidden" name="captcha_variant" value="text"' in page
    assert "<img" not in re.search(r"data-captcha.*?</div>\s*</div>", page, re.S)[0]
    store = CaptchaStore.objects.get(hashkey=key[1])
    assert store.challenge == question[1]
    answer = work_out(question[1])
    assert store.response == answer
    return key[1], question[1], answer
