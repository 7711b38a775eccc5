// A local OpenID Connect provider for the demo and the tests: the certified `oidc-provider` package
// (npm), standing in for the province's unified identity service (统一身份认证) and the business
// identity service that asserts a company's credit code. Never for production: every password is
// accepted and the users are fixed.
//
//   node tools/oidc-dev-provider.js            # http://127.0.0.1:9000, users and client for `make demo-sso`
//
// Settings by environment variable:
//   OIDC_DEV_PORT        port (9000)
//   OIDC_DEV_RP          Shifan's base URLs, comma-separated (http://127.0.0.1:8000): each gets the
//                        callback, post-logout and back-channel logout addresses of provider "dev"
//   OIDC_DEV_USERS       JSON file {login: {claims..., amr: [...]}} replacing the demo users
//   OIDC_DEV_KEY         JSON file with the private signing JWK (RS256); else a key made at start
//   OIDC_DEV_SECRET      the client secret of client "shifan" (dev-secret)
//   OIDC_DEV_NO_BACKCHANNEL  set to leave back-channel logout off for the client
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");

const PORT = Number(process.env.OIDC_DEV_PORT || 9000);
const ISSUER = `http://127.0.0.1:${PORT}`;
const RPS = (process.env.OIDC_DEV_RP || "http://127.0.0.1:8000").split(",").map((u) => u.replace(/\/$/, ""));
const SECRET = process.env.OIDC_DEV_SECRET || "dev-secret";

// The demo's people and companies (src/shifan/demo/loader.py): the same e-mail addresses and codes.
const DEMO_USERS = {
  officer: {
    sub: "gd-staff-0001", name: "林晓华", email: "province@shifan.example", email_verified: true,
    amr: ["pwd", "otp"], label: "省工信厅官员（已用短信验证码，免 Shifan 两步验证）",
  },
  expert: {
    sub: "gd-staff-0102", name: "专家一", email: "expert01@shifan.example", email_verified: true,
    amr: ["pwd"], label: "评审专家（仅密码，Shifan 仍要求两步验证）",
  },
  stranger: {
    sub: "gd-staff-0999", name: "未开户人员", email: "nobody@gd.gov.cn", email_verified: true,
    amr: ["pwd", "otp"], label: "在 Shifan 没有账号的人员",
  },
  company: {
    sub: "biz-91440100MA10000X97", name: "广州企业申报人", email: "e-guangzhou@shifan.example",
    email_verified: true, credit_code: "91440100MA10000X97", org_name: "广州示范制造有限公司",
    amr: ["pwd"], label: "企业：已注册的单位（统一社会信用代码 91440100MA10000X97）",
  },
  "company-new": {
    sub: "biz-91440100MA50001X20", name: "新企业经办人", email: "new-company@shifan.example",
    email_verified: true, credit_code: "91440100MA50001X20", org_name: "广州新注册智造有限公司",
    amr: ["pwd"], label: "企业：尚未注册的单位（代码 91440100MA50001X20）",
  },
  "company-claim": {
    sub: "biz-91440100MA40001X0K", name: "何真", email: "sso-claim@shifan.example",
    email_verified: true, credit_code: "91440100MA40001X0K", org_name: "广州穗联精密制造有限公司",
    amr: ["pwd"], label: "企业：代码已被他人注册、尚未核验（代码 91440100MA40001X0K）",
  },
};

const USERS = process.env.OIDC_DEV_USERS
  ? JSON.parse(fs.readFileSync(process.env.OIDC_DEV_USERS, "utf8"))
  : DEMO_USERS;

function signingKey() {
  if (process.env.OIDC_DEV_KEY) {
    return JSON.parse(fs.readFileSync(process.env.OIDC_DEV_KEY, "utf8"));
  }
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...privateKey.export({ format: "jwk" }), kid: "dev-1", alg: "RS256", use: "sig" };
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem}
label,select,input,button{display:block;width:100%;margin:.4rem 0;font-size:1rem}
button{padding:.5rem;background:#0b2545;color:#fff;border:0}.note{color:#555;font-size:.9rem}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

async function main() {
  const { default: Provider } = await import("oidc-provider");
  const backchannel = !process.env.OIDC_DEV_NO_BACKCHANNEL;
  const client = {
    client_id: "shifan",
    client_secret: SECRET,
    client_name: "Shifan",
    redirect_uris: RPS.map((rp) => `${rp}/sso/dev/callback/`),
    post_logout_redirect_uris: RPS.map((rp) => `${rp}/login/`),
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  };
  if (backchannel) {
    // One URI per client: the first Shifan listed is told of logouts.
    client.backchannel_logout_uri = `${RPS[RPS.length - 1]}/sso/dev/backchannel-logout/`;
    client.backchannel_logout_session_required = true;
  }

  const provider = new Provider(ISSUER, {
    clients: [client],
    jwks: { keys: [signingKey()] },
    cookies: { keys: ["oidc-dev-provider-cookie-key"] },
    pkce: { required: () => true },
    scopes: ["openid", "email", "profile", "company"],
    claims: {
      // amr and acr in every ID token: the province's services say how the person logged in.
      openid: ["sub", "amr", "acr"],
      email: ["email", "email_verified"],
      profile: ["name"],
      company: ["credit_code", "org_name"],
    },
    // The claims go into the signed ID token: Shifan reads nothing it has not verified.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page("退出统一身份认证", `${form}<p>是否同时退出统一身份认证？</p>
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">退出</button>
<button type="submit" form="op.logoutForm">保持登录</button>`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page("已退出", "<p>您已退出统一身份认证。</p>");
        },
      },
    },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // Back-channel logouts go to Shifan on this machine: the package's guard against requests to
    // local addresses (SSRF) is lifted here, and only here, a development tool.
    fetch: (url, options) => {
      delete options.dispatcher;
      return globalThis.fetch(url, options);
    },
    findAccount: async (ctx, sub) => {
      const user = Object.values(USERS).find((candidate) => candidate.sub === sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async () => {
          const { label, amr, acr, ...claims } = user;
          return claims;
        },
      };
    },
    renderError: async (ctx, out) => {
      ctx.type = "html";
      ctx.body = page("出错了", `<pre>${escape(JSON.stringify(out, null, 2))}</pre>`);
    },
  });
  provider.proxy = false;
  provider.on("backchannel.success", (ctx, client, accountId, sid) => {
    console.log(`back-channel logout sent to ${client.clientId} (sub ${accountId}, sid ${sid})`);
  });
  provider.on("backchannel.error", (ctx, error, client, accountId, sid) => {
    console.error(`back-channel logout to ${client.clientId} failed (sub ${accountId}, sid ${sid}): ${error} ${error.cause || ""}`);
  });
  provider.on("server_error", (ctx, error) => console.error(error));

  // The login page: pick a user (any password is accepted), consent given for the client.
  provider.use(async (ctx, next) => {
    const match = ctx.path.match(/^\/interaction\/([\w-]+)$/);
    if (!match) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === "GET") {
      const options = Object.entries(USERS)
        .map(([login, user]) => `<option value="${escape(login)}">${escape(login)} — ${escape(user.label || user.name)}</option>`)
        .join("");
      ctx.type = "html";
      ctx.body = page("统一身份认证（开发用）", `<form method="post">
<label for="login">用户</label><select id="login" name="login">${options}</select>
<label for="password">密码（开发用，任意）</label><input id="password" name="password" type="password" value="dev">
<button type="submit">登录</button></form>
<p class="note">本页仅供开发与演示：${escape(details.params.client_id)} 请求登录。</p>`);
      return undefined;
    }
    if (ctx.method === "POST") {
      const body = await new Promise((resolve) => {
        let data = "";
        ctx.req.on("data", (chunk) => { data += chunk; });
        ctx.req.on("end", () => resolve(new URLSearchParams(data)));
      });
      const login = body.get("login");
      const user = USERS[login];
      if (!user) {
        ctx.status = 400;
        ctx.body = page("登录失败", "<p>没有该用户。</p>");
        return undefined;
      }
      const grant = new provider.Grant({ accountId: user.sub, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      const result = {
        // How the person logged in (RFC 8176 amr values): Shifan skips its second factor on "otp".
        login: { accountId: user.sub, amr: user.amr || ["pwd"], ...(user.acr ? { acr: user.acr } : {}) },
        consent: { grantId },
      };
      await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
      ctx.respond = false;
      return undefined;
    }
    return next();
  });

  provider.listen(PORT, "127.0.0.1", () => {
    console.log(`oidc-dev-provider listening on ${ISSUER}`);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
