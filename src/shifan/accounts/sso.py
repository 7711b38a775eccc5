"""OpenID Connect with the province's identity services: the providers, the protocol, the checks.

Providers are configured by settings (`SHIFAN_SSO_PROVIDERS`, docs/deployment.md), never in the
database: adding one is a deployment change the province's information centre makes. Each has a
key (in URLs), a name for the login page, a discovery URL, client credentials and a claim mapping.

The protocol is Authlib's (docs/decisions/0021-openid-connect.md): the authorization code flow
with PKCE (S256), `state` and `nonce` kept in the session, the ID token's signature checked
against the provider's published keys, its issuer, audience, expiry and nonce, with the clock
skew of `SHIFAN_SSO_CLOCK_SKEW` seconds. Nothing here decodes a token by hand. What a verified
login means for accounts and organisations is `shifan.accounts.sso_services`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

# The `amr` values that name a second factor (RFC 8176). One of them beside another method (a
# password and a code), or "mfa" itself, means the provider asked for two factors, so Shifan does
# not ask its own again; a code by text message alone is one factor.
DEFAULT_MFA_AMR = ("mfa", "otp", "hwk", "swk", "sms", "tel", "fpt", "face", "iris", "retina", "sc")
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
HTTP_TIMEOUT_SECONDS = 10


class SsoError(Exception):
    """Raised when a login or a logout token from a provider cannot be trusted; `message` is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def unreachable(provider: Provider) -> str:
    return _("暂时无法连接%(provider)s，请稍后再试或使用账号密码登录。") % {"provider": provider.name}


def untrusted(provider: Provider) -> str:
    return _("%(provider)s的登录凭证未通过校验，请重新登录。") % {"provider": provider.name}


@dataclass(frozen=True)
class Provider:
    """One identity service, as configured (`SHIFAN_SSO_PROVIDERS`)."""

    key: str
    name: str
    discovery_url: str
    client_id: str
    client_secret: str
    scope: str = "openid email profile"
    # Shifan's name for a value → the provider's claim that carries it.
    claims: tuple[tuple[str, str], ...] = ()
    # The claim whose value links an identity to an existing account (its e-mail address).
    link_claim: str = "email"
    # When set, a login carrying this claim is a company's: its value is the credit code.
    credit_code_claim: str = ""
    mfa_amr: tuple[str, ...] = DEFAULT_MFA_AMR
    mfa_acr: tuple[str, ...] = ()
    # Whom a person without an account should ask (shown on the refusal page).
    contact: str = ""

    def claim(self, userinfo: Mapping[str, Any], name: str) -> str:
        """Return the value of Shifan's `name` from the verified claims, mapped, as text ('' if absent)."""
        value = userinfo.get(dict(self.claims).get(name, name))
        return "" if value is None else str(value).strip()

    def asserts_second_factor(self, userinfo: Mapping[str, Any]) -> bool:
        amr = userinfo.get("amr") or []
        if isinstance(amr, str):
            amr = [amr]
        acr = str(userinfo.get("acr") or "")
        methods = set(map(str, amr))
        two_factors = "mfa" in methods or (len(methods) >= 2 and bool(methods & set(self.mfa_amr)))
        return two_factors or (bool(acr) and acr in self.mfa_acr)


DEFAULT_CLAIMS = {"name": "name", "email": "email", "phone": "phone_number", "organisation_name": "org_name"}


def _provider(entry: Mapping[str, Any]) -> Provider:
    claims = {**DEFAULT_CLAIMS, **dict(entry.get("claims", {}))}
    return Provider(
        key=str(entry["key"]),
        name=str(entry["name"]),
        discovery_url=str(entry["discovery_url"]),
        client_id=str(entry["client_id"]),
        client_secret=str(entry.get("client_secret", "")),
        scope=str(entry.get("scope", "openid email profile")),
        claims=tuple(sorted(claims.items())),
        link_claim=str(entry.get("link_claim", "email")),
        credit_code_claim=str(entry.get("credit_code_claim", "")),
        mfa_amr=tuple(entry.get("mfa_amr", DEFAULT_MFA_AMR)),
        mfa_acr=tuple(entry.get("mfa_acr", ())),
        contact=str(entry.get("contact", "")),
    )


def parse_providers(raw: str) -> list[dict[str, Any]]:
    """Return the provider entries of `SHIFAN_SSO_PROVIDERS` (a JSON list), for the settings module."""
    if not raw.strip():
        return []
    entries = json.loads(raw)
    required = ("key", "name", "discovery_url", "client_id")
    for entry in entries:
        missing = [name for name in required if not entry.get(name)]
        if missing:
            raise ValueError(f"SHIFAN_SSO_PROVIDERS: an entry lacks {', '.join(missing)}")
    return list(entries)


def providers() -> list[Provider]:
    return [_provider(entry) for entry in settings.SHIFAN_SSO_PROVIDERS]


def provider(key: str) -> Provider | None:
    return next((p for p in providers() if p.key == key), None)


@dataclass
class _Clients:
    """Authlib clients by configuration: each keeps the provider's discovery document and keys."""

    by_provider: dict[Provider, Any] = field(default_factory=dict)

    def get(self, provider: Provider) -> Any:
        from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App

        client = self.by_provider.get(provider)
        if client is None:
            client = DjangoOAuth2App(
                DjangoIntegration(f"sso-{provider.key}"),
                f"sso-{provider.key}",
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                server_metadata_url=provider.discovery_url,
                client_kwargs={
                    "scope": provider.scope,
                    "code_challenge_method": "S256",
                    "default_timeout": HTTP_TIMEOUT_SECONDS,
                },
            )
            self.by_provider[provider] = client
        return client


_clients = _Clients()


def client(provider: Provider) -> Any:
    return _clients.get(provider)


def start_login(request: HttpRequest, provider: Provider, *, redirect_uri: str) -> HttpResponse:
    """Redirect to the provider's login; `state`, `nonce` and the PKCE verifier stay in the session."""
    try:
        return client(provider).authorize_redirect(request, redirect_uri)  # type: ignore[no-any-return]
    except Exception as error:  # network, TLS or a discovery document that is not one
        raise SsoError(unreachable(provider)) from error


def finish_login(request: HttpRequest, provider: Provider) -> dict[str, Any]:
    """Exchange the code of the provider's redirect and return the verified token with `userinfo`.

    Refused (SsoError): an error from the provider, an unknown or used `state`, a code the token
    endpoint refuses (used before, expired, issued to another client, PKCE verifier wrong), an ID
    token whose signature, issuer, audience, expiry or nonce does not check out.
    """
    from authlib.integrations.base_client import OAuthError
    from joserfc.errors import JoseError

    if request.GET.get("error"):
        raise SsoError(
            _("%(provider)s未完成登录（%(error)s）。请重新登录。")
            % {"provider": provider.name, "error": request.GET["error"][:60]}
        )
    if not request.GET.get("state") or not client(provider).framework.get_state_data(
        request.session, request.GET["state"]
    ):
        raise SsoError(_("登录请求已过期或已使用，请回到登录页重新登录。"))
    try:
        token = client(provider).authorize_access_token(request, leeway=settings.SHIFAN_SSO_CLOCK_SKEW)
    except (OAuthError, JoseError, ValueError, KeyError) as error:
        raise SsoError(untrusted(provider)) from error
    except Exception as error:  # the provider unreachable
        raise SsoError(unreachable(provider)) from error
    if not token.get("userinfo"):
        raise SsoError(_("%(provider)s未返回身份令牌（ID Token），无法登录。") % {"provider": provider.name})
    return dict(token)


def verify_id_token(provider: Provider, id_token: str, *, nonce: str) -> dict[str, Any]:
    """Return the claims of an ID token after Authlib's checks (signature, iss, aud, exp, nonce)."""
    from joserfc.errors import JoseError

    try:
        claims = client(provider).parse_id_token(
            {"id_token": id_token}, nonce=nonce, leeway=settings.SHIFAN_SSO_CLOCK_SKEW
        )
    except (JoseError, ValueError) as error:
        raise SsoError(untrusted(provider)) from error
    return dict(claims)


def verify_logout_token(provider: Provider, logout_token: str) -> dict[str, Any]:
    """Return the claims of a back-channel logout token (OpenID Connect Back-Channel Logout 1.0, 2.6).

    Checked by joserfc: the signature with the provider's keys, issuer, audience, `iat` and `exp`
    with the clock skew; then the logout event, a `sid` or `sub`, and no `nonce`.
    """
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet
    from joserfc.jws import JWSRegistry

    app = client(provider)
    try:
        metadata = app.load_server_metadata()
        algorithms = metadata.get("id_token_signing_alg_values_supported")
        keys = KeySet.import_key_set(app.fetch_jwk_set())
        token = jwt.decode(logout_token, keys, registry=JWSRegistry(algorithms=algorithms))
        registry = jwt.JWTClaimsRegistry(
            leeway=settings.SHIFAN_SSO_CLOCK_SKEW,
            iss={"essential": True, "value": metadata["issuer"]},
            aud={"essential": True, "value": provider.client_id},
            iat={"essential": True},
            jti={"essential": True},
        )
        registry.validate(token.claims)
    except (JoseError, ValueError, KeyError) as error:
        raise SsoError("logout_token 未通过校验。") from error
    except Exception as error:
        raise SsoError("暂时无法取得身份服务的公钥。") from error
    claims = token.claims
    events = claims.get("events")
    if not isinstance(events, dict) or BACKCHANNEL_LOGOUT_EVENT not in events:
        raise SsoError("logout_token 不是退出事件。")
    if "nonce" in claims:
        raise SsoError("logout_token 不得含 nonce。")
    if not claims.get("sid") and not claims.get("sub"):
        raise SsoError("logout_token 须含 sid 或 sub。")
    return dict(claims)


def end_session_url(provider: Provider, *, id_token: str, post_logout_redirect_uri: str) -> str | None:
    """Return the provider's RP-initiated logout address, or None when it has none (or is down)."""
    app = client(provider)
    try:
        if not app.load_server_metadata().get("end_session_endpoint"):
            return None
        return app.create_logout_url(  # type: ignore[no-any-return]
            post_logout_redirect_uri=post_logout_redirect_uri,
            id_token_hint=id_token,
            client_id=provider.client_id,
        )["url"]
    except Exception:
        return None
