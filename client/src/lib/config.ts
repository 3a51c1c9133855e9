// Where the API, the WebSocket and the identity provider live. Locally the page is served by the
// local stack, so API and WebSocket are on the same origin. A deployed client ships `config.json`
// next to index.html (written at deploy time from the stack's outputs):
//   {
//     "apiUrl": "https://….execute-api….amazonaws.com/prod",
//     "wsUrl": "wss://….execute-api….amazonaws.com/prod",
//     "oidc": {
//       "authority": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC",
//       "clientId": "1example23456789",
//       "logoutUrl": "https://tenant-chat.auth.eu-west-1.amazoncognito.com/logout"
//     }
//   }
// Every field is optional: apiUrl and wsUrl default to the page's origin, devSignIn to false
// when config.json exists (true without one: the local stack), and without `oidc` there is no
// identity-provider sign-in.

export interface OidcConfig {
  /** The issuer: its /.well-known/openid-configuration is read (Cognito: the user pool's URL). */
  authority: string;
  /** The app client (public, code flow with PKCE); the ID token's `aud`. */
  clientId: string;
  /** Default "openid profile email". Cognito issues refresh tokens with `openid`; other
   * providers may want "offline_access" added. */
  scope?: string;
  /** Where the provider sends the browser back after sign-in; default the page's origin + "/". */
  redirectUri?: string;
  /** Where the provider sends the browser after sign-out; default the page's origin + "/". */
  postLogoutRedirectUri?: string;
  /** For providers whose discovery document has no `end_session_endpoint` (Cognito): the
   * logout URL (Cognito: https://<domain>/logout). It gets Cognito's `client_id` and
   * `logout_uri` (= postLogoutRedirectUri) besides the standard parameters. */
  logoutUrl?: string;
  /** Shown on the sign-in button ("Sign in with …"); default "your organisation". */
  providerName?: string;
}

export interface ClientConfig {
  apiUrl: string;
  wsUrl: string;
  /** True where POST /api/v1/dev/token exists (the local stack). */
  devSignIn: boolean;
  /** Identity-provider sign-in (authorization code + PKCE), when configured. */
  oidc?: OidcConfig;
}

function sameOrigin(): ClientConfig {
  const wsScheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return { apiUrl: "", wsUrl: `${wsScheme}//${window.location.host}/ws`, devSignIn: true };
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

function oidcSection(raw: unknown): OidcConfig | undefined {
  if (!raw || typeof raw !== "object") return undefined;
  const o = raw as Record<string, unknown>;
  const authority = text(o.authority);
  const clientId = text(o.clientId);
  if (!authority || !clientId) return undefined;
  return {
    authority,
    clientId,
    scope: text(o.scope),
    redirectUri: text(o.redirectUri),
    postLogoutRedirectUri: text(o.postLogoutRedirectUri),
    logoutUrl: text(o.logoutUrl),
    providerName: text(o.providerName),
  };
}

/** Reads config.json over the same-origin defaults (a field left out keeps its default). */
export function parseConfig(raw: unknown, defaults: ClientConfig): ClientConfig {
  const r = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  return {
    apiUrl: (text(r.apiUrl) ?? defaults.apiUrl).replace(/\/$/, ""),
    wsUrl: text(r.wsUrl) ?? defaults.wsUrl,
    devSignIn: typeof r.devSignIn === "boolean" ? r.devSignIn : false,
    oidc: oidcSection(r.oidc),
  };
}

export async function loadConfig(): Promise<ClientConfig> {
  const defaults = sameOrigin();
  try {
    const response = await fetch("/config.json", { cache: "no-store" });
    if (response.ok && (response.headers.get("content-type") ?? "").includes("json")) {
      return parseConfig(await response.json(), defaults);
    }
  } catch {
    // No config.json: the local stack.
  }
  return defaults;
}
