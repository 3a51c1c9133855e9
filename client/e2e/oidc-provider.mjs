// A real OpenID Connect provider on loopback for the browser tests: the certified `oidc-provider`
// package, with a public client for the authorization code flow + PKCE, a login form that checks
// passwords, and RS256 ID tokens shaped like Cognito's (custom:tenant_id, cognito:groups, name,
// email, preferred_username). Refresh tokens are issued with scope `openid`, as Cognito does.

import { createServer } from "node:http";
import { generateKeyPairSync, randomUUID } from "node:crypto";

import Provider from "oidc-provider";

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;background:#eef;display:grid;place-items:center;height:100vh;margin:0}
form{background:#fff;padding:24px 32px;border-radius:8px;display:flex;flex-direction:column;gap:10px;min-width:260px}
.error{color:#b00}</style></head><body>${body}</body></html>`;
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (c) => {
      data += c;
      if (data.length > 10_000) reject(new Error("form too large"));
    });
    req.on("end", () => resolve(new URLSearchParams(data)));
    req.on("error", reject);
  });
}

export class OidcProvider {
  /**
   * @param {object} options
   * @param {string} options.clientId
   * @param {string[]} options.redirectUris  sign-in and sign-out return addresses (the page)
   * @param {Record<string, {password: string, claims: object}>} options.users  by login name
   * @param {number} [options.tokenSeconds]  ID and access token lifetime
   * @param {number} options.port  where it listens (the issuer is known before it starts)
   */
  constructor({ clientId, redirectUris, users, tokenSeconds = 60, port }) {
    this.port = port;
    this.issuer = `http://127.0.0.1:${port}`;
    this.clientId = clientId;
    this.redirectUris = redirectUris;
    this.users = users;
    this.tokenSeconds = tokenSeconds;
    this.server = null;
    /** Every successful token request: { grantType, at }. */
    this.grants = [];
    /** ID tokens issued, in order. */
    this.idTokens = [];
    /** Login attempts: { login, ok }. */
    this.logins = [];
    /** Refresh tokens revoked by the test (refused from then on). */
    this.refusing = false;
  }

  get jwksUri() {
    return `${this.issuer}/jwks`;
  }

  async start() {
    const port = this.port;
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = { ...privateKey.export({ format: "jwk" }), kid: `test-${randomUUID()}`, use: "sig", alg: "RS256" };
    const users = this.users;
    const byAccount = new Map(Object.values(users).map((u) => [u.claims.sub, u]));
    const provider = new Provider(this.issuer, {
      clients: [
        {
          client_id: this.clientId,
          token_endpoint_auth_method: "none",
          application_type: "web",
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          redirect_uris: this.redirectUris,
          post_logout_redirect_uris: this.redirectUris,
          id_token_signed_response_alg: "RS256",
        },
      ],
      jwks: { keys: [jwk] },
      cookies: { keys: [randomUUID()] },
      // Like Cognito: every claim in the ID token, whatever the scope (the server reads the
      // tenant and groups from it), and a refresh token without offline_access.
      claims: { openid: ["sub", "custom:tenant_id", "cognito:groups", "name", "preferred_username", "email"] },
      conformIdTokenClaims: false,
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token") && !this.refusing,
      findAccount: async (_ctx, sub) => {
        const user = byAccount.get(sub);
        return user ? { accountId: sub, claims: async () => ({ ...user.claims }) } : undefined;
      },
      ttl: {
        IdToken: this.tokenSeconds,
        AccessToken: this.tokenSeconds,
        RefreshToken: 24 * 3600,
        Session: 24 * 3600,
        Grant: 24 * 3600,
        Interaction: 600,
      },
      features: {
        devInteractions: { enabled: false },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: async (ctx, form) => {
            ctx.body = page("Sign out", `<div>${form}<h1>Sign out of the test provider?</h1>
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button></div>`);
          },
          postLogoutSuccessSource: async (ctx) => {
            ctx.body = page("Signed out", "<p>Signed out.</p>");
          },
        },
      },
      clientBasedCORS: (_ctx, origin) => this.redirectUris.some((u) => new URL(u).origin === origin),
      renderError: async (ctx, out) => {
        ctx.type = "html";
        ctx.body = page("Error", `<pre class="error">${esc(JSON.stringify(out))}</pre>`);
      },
    });
    provider.on("grant.success", (ctx) => {
      this.grants.push({ grantType: ctx.oidc.params?.grant_type, at: Date.now() });
      const idToken = ctx.body?.id_token;
      if (idToken) this.idTokens.push(idToken);
    });
    this.provider = provider;
    const callback = provider.callback();
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", this.issuer);
      const interaction = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
      if (interaction) {
        this.interaction(req, res, Boolean(interaction[2])).catch((e) => {
          res.statusCode = 500;
          res.end(String(e));
        });
        return;
      }
      // The test revokes the session's refresh tokens: the token endpoint refuses refreshes.
      if (this.refusing && url.pathname === "/token") {
        res.writeHead(400, { "content-type": "application/json", "access-control-allow-origin": req.headers.origin ?? "*" });
        res.end(JSON.stringify({ error: "invalid_grant", error_description: "refresh token revoked" }));
        return;
      }
      callback(req, res);
    });
    await new Promise((r) => this.server.listen(port, "127.0.0.1", r));
    return this;
  }

  /** The provider's login screen (a form that checks the password) and, for this first-party
   * client, consent given without asking — as Cognito's Hosted UI does. */
  async interaction(req, res, submitted) {
    const provider = this.provider;
    const details = await provider.interactionDetails(req, res);
    const { uid, prompt, params, session } = details;
    if (prompt.name === "consent") {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(" "));
      if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(" "));
      }
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    let error = "";
    if (submitted && req.method === "POST") {
      const form = await readForm(req);
      const login = form.get("username") ?? "";
      const user = this.users[login];
      const ok = Boolean(user && user.password === form.get("password"));
      this.logins.push({ login, ok });
      if (ok) {
        await provider.interactionFinished(req, res, { login: { accountId: user.claims.sub } }, { mergeWithLastSubmission: false });
        return;
      }
      error = "Incorrect username or password.";
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(
      page(
        "Sign in",
        `<form method="post" action="/interaction/${esc(uid)}/login" data-testid="idp-login">
<h1>Test identity provider</h1>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ""}
<label>Username <input name="username" autocomplete="username" autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button></form>`,
      ),
    );
  }

  /** Successful token requests of one grant type (e.g. "refresh_token") so far. */
  count(grantType) {
    return this.grants.filter((g) => g.grantType === grantType).length;
  }

  async stop() {
    if (!this.server) return;
    this.server.closeAllConnections?.();
    await new Promise((r) => this.server.close(r));
    this.server = null;
  }
}
