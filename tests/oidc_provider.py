"""A real OpenID provider for the single sign-on tests: tools/oidc-dev-provider.js (npm `oidc-provider`).

`running_provider` starts it on a free port with the test users below and a signing key the tests
also hold (to make expired, mis-addressed or forged tokens next to real ones); `provider_login`
goes through its login page with plain HTTP, as a browser would, and returns Shifan's callback.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "tools" / "oidc-dev-provider.js"
CLIENT_ID = "shifan"
CLIENT_SECRET = "test-secret"
PROVIDER_KEY = "dev"
PROVIDER_NAME = "广东统一身份认证（测试）"
CONTACT = "省工信厅信息中心（020-83133000）"
COMPANY_CODE = "91440101MA5CJQ4N59"  # area 440101, Guangzhou (tests/browser/conftest.py VALID_CODE)
NEW_COMPANY_CODE = "91440100MA50001X20"
CLAIMED_CODE = "91440100MA40001X0K"

USERS: dict[str, dict[str, Any]] = {
    "officer": {"sub": "staff-1", "name": "林单点", "email": "sso.officer@gd.gov.cn", "amr": ["pwd", "otp"]},
    "expert": {"sub": "staff-2", "name": "专家单点", "email": "sso.expert@example.cn", "amr": ["pwd", "sms"]},
    "expert-pwd": {"sub": "staff-3", "name": "专家仅密码", "email": "pwd.expert@example.cn", "amr": ["pwd"]},
    "stranger": {"sub": "staff-9", "name": "林单点", "email": "stranger@gd.gov.cn", "amr": ["pwd", "otp"]},
    "unverified": {
        "sub": "staff-8",
        "name": "未核实邮箱",
        "email": "sso.officer@gd.gov.cn",
        "email_verified": False,
        "amr": ["pwd", "otp"],
    },
    # A provider that lets people type their address and does not say it checked it.
    "silent": {
        "sub": "staff-7",
        "name": "未说明邮箱",
        "email": "sso.officer@gd.gov.cn",
        "email_verified": None,
        "amr": ["pwd", "otp"],
    },
    "company": {
        "sub": "biz-1",
        "name": "陈管理",
        "email": "admin@example.com",
        "credit_code": COMPANY_CODE,
        "org_name": "广州示范制造有限公司",
        "amr": ["pwd"],
    },
    "company-new": {
        "sub": "biz-2",
        "name": "新经办",
        "email": "new.company@example.com",
        "credit_code": NEW_COMPANY_CODE,
        "org_name": "广州新注册智造有限公司",
        "amr": ["pwd"],
    },
    "company-claim": {
        "sub": "biz-3",
        "name": "何真",
        "email": "true.owner@example.com",
        "credit_code": CLAIMED_CODE,
        "org_name": "广州穗联精密制造有限公司",
        "amr": ["pwd"],
    },
}
for _user in USERS.values():
    _user.setdefault("email_verified", True)


@dataclass
class RunningProvider:
    issuer: str
    key: Any  # joserfc RSAKey, the provider's signing key

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def settings_entry(self) -> dict[str, Any]:
        return {
            "key": PROVIDER_KEY,
            "name": PROVIDER_NAME,
            "discovery_url": self.discovery_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": "openid email profile company",
            "credit_code_claim": "credit_code",
            "contact": CONTACT,
        }

    def sign(self, claims: dict[str, Any], *, key: Any = None) -> str:
        """Return a JWT with these claims signed with the provider's key (or another)."""
        from joserfc import jwt

        signer = key or self.key
        return jwt.encode({"alg": "RS256", "kid": signer.kid}, claims, signer)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_provider(tmp: Path, *, rp_urls: list[str]) -> Iterator[RunningProvider]:
    node = shutil.which("node")
    if node is None or not (SCRIPT.parent.parent / "node_modules" / "oidc-provider").exists():
        pytest.skip("Node.js or the npm package oidc-provider is missing (npm ci)")
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048, parameters={"kid": "test-1", "alg": "RS256", "use": "sig"}, private=True)
    key_file, users_file = tmp / "key.json", tmp / "users.json"
    key_file.write_text(json.dumps(key.as_dict(private=True)))
    users_file.write_text(json.dumps(USERS, ensure_ascii=False))
    port = _free_port()
    env = {
        **os.environ,
        "OIDC_DEV_PORT": str(port),
        "OIDC_DEV_RP": ",".join(rp_urls),
        "OIDC_DEV_USERS": str(users_file),
        "OIDC_DEV_KEY": str(key_file),
        "OIDC_DEV_SECRET": CLIENT_SECRET,
    }
    log = (tmp / "provider.log").open("w")
    process = subprocess.Popen([node, str(SCRIPT)], env=env, stdout=log, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError as error:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = (tmp / "provider.log").read_text()
                    raise RuntimeError(f"oidc-dev-provider did not start: {output}") from error
                time.sleep(0.1)
        yield RunningProvider(issuer=issuer, key=key)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def provider_login(authorize_url: str, login: str, *, stop_at: str) -> str:
    """Log in at the provider as `login` with plain HTTP; return the redirect to `stop_at` (Shifan)."""
    import requests

    session = requests.Session()
    url = authorize_url
    for _ in range(10):
        response = session.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and "/interaction/" in url:
            response = session.post(url, data={"login": login, "password": "dev"}, allow_redirects=False)
        assert response.status_code in (302, 303), (response.status_code, response.text[:500])
        url = urljoin(url, response.headers["Location"])
        if url.startswith(stop_at):
            return url
    raise AssertionError(f"no redirect to {stop_at}")
