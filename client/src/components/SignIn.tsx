import { useState, type FormEvent } from "react";

import { devToken } from "../lib/api";
import type { OidcSignIn } from "../lib/auth";
import type { ClientConfig } from "../lib/config";

interface DemoUser {
  tenantId: string;
  userId: string;
  displayName: string;
  roles: string[];
}

const DEMO: DemoUser[] = [
  { tenantId: "acme", userId: "alice", displayName: "Alice Anderson", roles: ["admin"] },
  { tenantId: "acme", userId: "bob", displayName: "Bob Brown", roles: [] },
  { tenantId: "acme", userId: "carol", displayName: "Carol Chen", roles: [] },
  { tenantId: "globex", userId: "dave", displayName: "Dave Davis", roles: [] },
  { tenantId: "ops", userId: "root", displayName: "Operator", roles: ["super-admin"] },
];

interface Props {
  config: ClientConfig;
  /** Identity-provider sign-in, when config.json names one. */
  oidc: OidcSignIn | null;
  onToken: (token: string) => void;
  /** Why we are here again (the session ended, a sign-in failed). */
  notice: string | null;
}

export function SignIn({ config, oidc, onToken, notice }: Props) {
  const [tenantId, setTenantId] = useState("acme");
  const [userId, setUserId] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [redirecting, setRedirecting] = useState(false);

  const signIn = async (tenant: string, user: string, name: string, roles: string[] = []) => {
    setError(null);
    try {
      onToken(await devToken(config.apiUrl, tenant, user, name || user, roles));
    } catch (e) {
      setError(e instanceof Error ? e.message : "sign-in failed");
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void signIn(tenantId.trim(), userId.trim(), displayName.trim());
  };

  const toProvider = () => {
    if (!oidc) return;
    setError(null);
    setRedirecting(true);
    // The conversation in the address comes back after the provider's redirect.
    oidc.signIn(window.location.hash).catch((e: unknown) => {
      setRedirecting(false);
      setError(`Could not reach the sign-in service: ${e instanceof Error ? e.message : String(e)}`);
    });
  };

  return (
    <main className="signin">
      <h1>Tenant Chat</h1>
      {notice && (
        <p className="notice" role="alert" data-testid="signin-notice">
          {notice}
        </p>
      )}
      {oidc && (
        <section>
          <button className="primary" data-testid="signin-oidc" onClick={toProvider} disabled={redirecting}>
            {redirecting ? "Redirecting…" : `Sign in with ${oidc.providerName}`}
          </button>
        </section>
      )}
      {config.devSignIn && (
        <section>
          <h2>Local sign-in</h2>
          <p className="hint">Development tokens from the local stack. Pick a demo user:</p>
          <div className="demo-users">
            {DEMO.map((u) => (
              <button key={`${u.tenantId}/${u.userId}`} data-testid={`signin-${u.userId}`} onClick={() => void signIn(u.tenantId, u.userId, u.displayName, u.roles)}>
                {u.displayName} <span className="muted">({[u.tenantId, ...u.roles].join(", ")})</span>
              </button>
            ))}
          </div>
          <form onSubmit={submit} className="signin-form">
            <label>
              Tenant <input value={tenantId} onChange={(e) => setTenantId(e.target.value)} required />
            </label>
            <label>
              User id <input value={userId} onChange={(e) => setUserId(e.target.value)} required />
            </label>
            <label>
              Display name <input value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
            </label>
            <button type="submit">Sign in</button>
          </form>
        </section>
      )}
      {!oidc && !config.devSignIn && (
        <p className="error" role="alert">
          No sign-in is configured: config.json needs an <code>oidc</code> section (see the README).
        </p>
      )}
      {error && <p className="error" role="alert">{error}</p>}
    </main>
  );
}
