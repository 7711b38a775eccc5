"""The visitor's address behind the front proxy, as rate limits and the login lock-out count it."""

from django.test import RequestFactory

from shifan.core.http import attachment_disposition, client_address


def request_from(address, **headers):
    return RequestFactory().get("/", REMOTE_ADDR=address, **headers)


def test_without_a_proxy_the_connection_is_the_visitor(settings):
    settings.CLIENT_IP_HEADER = ""
    assert client_address(request_from("203.0.113.7", HTTP_X_REAL_IP="198.51.100.1")) == "203.0.113.7"


def test_behind_the_proxy_its_header_names_the_visitor(settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    # A visitor may send his own X-Forwarded-For; the proxy appends the address it saw.
    request = request_from("10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9")
    assert client_address(request) == "198.51.100.9"
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    assert client_address(request_from("10.0.0.2", HTTP_X_REAL_IP="2001:db8::1")) == "2001:db8::1"


def test_a_missing_or_malformed_header_falls_back_to_the_connection(settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    assert client_address(request_from("10.0.0.2")) == "10.0.0.2"
    assert client_address(request_from("10.0.0.2", HTTP_X_REAL_IP="not an address")) == "10.0.0.2"


def test_downloads_carry_the_chinese_name_and_an_ascii_fallback():
    disposition = attachment_disposition("申报书.pdf", "book")
    assert (
        disposition == "attachment; filename=\"book.pdf\"; filename*=UTF-8''%E7%94%B3%E6%8A%A5%E4%B9%A6.pdf"
    )
