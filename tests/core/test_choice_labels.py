"""`get_<field>_display()` from the table kept per field (core.models.ChoiceLabels): the label in the
language of whoever asks, a value outside the choices as it is, and no translation of the other labels."""

from django.utils import translation
from django.utils.translation import trans_real

from shifan.applications.models import Application, ApplicationState


def test_the_label_follows_the_language_of_each_request():
    application = Application(state=ApplicationState.SUBMITTED)
    with translation.override("zh-hans"):
        assert application.get_state_display() == "已提交"
    with translation.override("en"):
        assert application.get_state_display() == "Submitted"
    with translation.override("zh-hans"):
        assert application.get_state_display() == "已提交"


def test_a_value_outside_the_choices_shows_as_it_is():
    assert Application(state="no-such-state").get_state_display() == "no-such-state"


def test_showing_a_label_translates_only_that_label(monkeypatch):
    application = Application(state=ApplicationState.SUBMITTED)
    application.get_state_display()  # the field's table is built (once per process)
    asked = []
    real = trans_real.gettext

    def counting(message):
        asked.append(message)
        return real(message)

    # Every translation, lazy ones included, goes through the active backend's gettext.
    monkeypatch.setattr(translation._trans, "gettext", counting)
    with translation.override("en"):
        assert application.get_state_display() == "Submitted"
    assert asked == ["已提交"]
