// Where the API and WebSocket live. Locally the page is served by the local stack, so both are
// on the same origin. A deployed client ships `config.json` next to index.html:
//   { "apiUrl": "https://….execute-api….amazonaws.com/prod", "wsUrl": "wss://….execute-api….amazonaws.com/prod" }

export interface ClientConfig {
  apiUrl: string;
  wsUrl: string;
  /** True where POST /api/v1/dev/token exists (the local stack). */
  devSignIn: boolean;
}

function sameOrigin(): ClientConfig {
  const wsScheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return { apiUrl: "", wsUrl: `${wsScheme}//${window.location.host}/ws`, devSignIn: true };
}

export async function loadConfig(): Promise<ClientConfig> {
  try {
    const response = await fetch("/config.json", { cache: "no-store" });
    if (response.ok && (response.headers.get("content-type") ?? "").includes("json")) {
      const raw = (await response.json()) as Partial<ClientConfig>;
      if (raw.apiUrl && raw.wsUrl) {
        return { apiUrl: raw.apiUrl.replace(/\/$/, ""), wsUrl: raw.wsUrl, devSignIn: raw.devSignIn ?? false };
      }
    }
  } catch {
    // No config.json: the local stack.
  }
  return sameOrigin();
}
