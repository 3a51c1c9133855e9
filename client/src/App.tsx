import { useEffect, useState } from "react";

import { SignIn } from "./components/SignIn";
import { devSession, OidcSignIn, storedDevSession, type Session } from "./lib/auth";
import { loadConfig, type ClientConfig } from "./lib/config";
import { ChatPage } from "./pages/chat";

interface Start {
  config: ClientConfig;
  oidc: OidcSignIn | null;
  session: Session | null;
  notice: string | null;
}

/** Once per page load: the provider's answer in the address can be used only once, and React's
 * development mode runs effects twice. */
let starting: Promise<Start> | null = null;

function start(): Promise<Start> {
  starting ??= (async () => {
    const config = await loadConfig();
    const oidc = config.oidc ? new OidcSignIn(config.oidc) : null;
    let session: Session | null = null;
    let notice: string | null = null;
    if (oidc) {
      try {
        session = await oidc.resume();
      } catch (e) {
        notice = `Sign-in did not complete: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    if (!session && config.devSignIn) session = storedDevSession();
    return { config, oidc, session, notice };
  })();
  return starting;
}

export function App() {
  const [started, setStarted] = useState<Start | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    void start().then((s) => {
      setStarted(s);
      setSession(s.session);
      setNotice(s.notice);
    });
  }, []);

  // A token refused even after renewing: back to sign-in, saying why. Unsent messages and
  // drafts are stored apart from the session and come back after signing in again.
  useEffect(() => {
    if (!session) return;
    return session.tokens.onEnded((message) => {
      void session.forget();
      setSession(null);
      setNotice(message);
    });
  }, [session]);

  if (!started) return <div className="splash">Loading…</div>;
  if (!session) {
    return (
      <SignIn
        config={started.config}
        oidc={started.oidc}
        notice={notice}
        onToken={(t) => {
          setNotice(null);
          setSession(devSession(t));
        }}
      />
    );
  }
  return (
    <ChatPage
      config={started.config}
      tokens={session.tokens}
      onSignOut={() => {
        setNotice(null);
        void session.signOut().finally(() => setSession(null));
      }}
    />
  );
}
