import { useState, type FormEvent } from "react";

import { devToken } from "../lib/api";
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

export function SignIn({ config, onToken }: { config: ClientConfig; onToken: (token: string) => void }) {
  const [tenantId, setTenantId] = useState("acme");
  const [userId, setUserId] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [pasted, setPasted] = useState("");
  const [error, setError] = useState<string | null>(null);

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

  return (
    <main className="signin">
      <h1>Tenant Chat</h1>
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
      <section>
        <h2>Identity provider token</h2>
        <p className="hint">Deployed: paste an ID token issued by your identity provider (Cognito or any OIDC issuer configured in the stack).</p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (pasted.trim()) onToken(pasted.trim());
          }}
        >
          <textarea value={pasted} onChange={(e) => setPasted(e.target.value)} rows={3} placeholder="eyJ…" />
          <button type="submit">Use token</button>
        </form>
      </section>
      {error && <p className="error" role="alert">{error}</p>}
    </main>
  );
}
