import { useEffect, useState } from "react";

import { SignIn } from "./components/SignIn";
import { loadConfig, type ClientConfig } from "./lib/config";
import { ChatPage } from "./pages/chat";

const TOKEN_KEY = "tenant-chat.token";

/** Per tab (sessionStorage), so two tabs can be two people while trying things out. */
export function App() {
  const [config, setConfig] = useState<ClientConfig | null>(null);
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(TOKEN_KEY));

  useEffect(() => {
    void loadConfig().then(setConfig);
  }, []);

  if (!config) return <div className="splash">Loading…</div>;
  if (!token) {
    return (
      <SignIn
        config={config}
        onToken={(t) => {
          sessionStorage.setItem(TOKEN_KEY, t);
          setToken(t);
        }}
      />
    );
  }
  return (
    <ChatPage
      config={config}
      token={token}
      onSignOut={() => {
        sessionStorage.removeItem(TOKEN_KEY);
        setToken(null);
      }}
    />
  );
}
