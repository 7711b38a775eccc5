"""Two people saving the same field at the same moment, on real concurrent database connections."""

import threading

import pytest
from django.db import connection, connections

from shifan.applications import services
from shifan.applications.models import Revision
from tests import factories


@pytest.mark.django_db(transaction=True)
def test_simultaneous_saves_from_the_same_version_one_wins_one_is_refused():
    batch = factories.BatchFactory()
    organisation = factories.OrganisationFactory()
    first = factories.MembershipFactory(organisation=organisation, is_admin=True).user
    second = factories.MembershipFactory(organisation=organisation).user
    application = services.start_application(actor=first, batch=batch, category="enterprise")
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def save(user, text):
        try:
            barrier.wait(timeout=10)
            results[text] = services.save_answers(
                actor=user,
                application=application,
                base_version=0,
                values={"main_business": text},
                client_id=text,
            )
        except Exception as error:  # reported below: the test fails on any of them
            results[text] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=(user, text)) for user, text in ((first, "甲"), (second, "乙"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not [value for value in results.values() if isinstance(value, Exception)], results
    applied = [text for text, result in results.items() if result.applied]
    refused = [text for text, result in results.items() if result.conflicts]
    assert len(applied) == 1
    assert len(refused) == 1
    application.refresh_from_db()
    assert application.answers["main_business"] == applied[0]
    assert application.version == 1
    # Nothing lost: the winner is a revision; the refused value went back to its page with the winner's.
    assert Revision.objects.get(application=application, version=1).values == {"main_business": applied[0]}
    assert results[refused[0]].conflicts[0].their_value == applied[0]
    assert connection.vendor in {"sqlite", "postgresql"}
