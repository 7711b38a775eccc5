from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

from tests import factories

# The SQLite test database is a file under the var folder (see settings.DATABASES).
Path(django_settings.VAR_DIR).mkdir(parents=True, exist_ok=True)

# The property tests check what a function answers, not how fast: on a shared machine one example
# may take longer than Hypothesis's 200 ms deadline, and it would fail the run as "flaky".
hypothesis_settings.register_profile("shifan", deadline=None)
hypothesis_settings.load_profile("shifan")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the production hasher (tested in test_settings); MD5 keeps fixtures fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The rate limits (the login form's counts every form sent) live in the cache: each test
    # starts from zero, whatever ran before it in the same process.
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_similarity_index():
    # Each process keeps its similarity index; the next test's database starts without its rows.
    from shifan.similarity.index import forget_indexes

    forget_indexes()


@pytest.fixture(autouse=True)
def _english_off(settings):
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def province_officer(db):
    return factories.ProvinceOfficerFactory()


@pytest.fixture
def city_officer(db):
    return factories.CityOfficerFactory(city_code="440100")


@pytest.fixture
def organisation(db):
    return factories.OrganisationFactory(city_code="440100")


@pytest.fixture
def applicant_admin(organisation):
    return factories.MembershipFactory(organisation=organisation, is_admin=True).user


@pytest.fixture
def expert(db):
    return factories.ExpertProfileFactory().user


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """The local OpenID provider (tools/oidc-dev-provider.js) for the test client, one per process."""
    from tests.oidc_provider import running_provider

    with running_provider(tmp_path_factory.mktemp("oidc"), rp_urls=["http://testserver"]) as provider:
        yield provider


@pytest.fixture
def oidc(settings, oidc_provider):
    """Configure Shifan with the local provider as its one identity service."""
    settings.SHIFAN_SSO_PROVIDERS = [oidc_provider.settings_entry()]
    return oidc_provider
