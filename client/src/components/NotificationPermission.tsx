import { useEffect, useState } from "react";

type Permission = NotificationPermission | "unsupported";

function current(): Permission {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

/** The sidebar's "Enable notifications" (`notifyingTab`: this tab is the one that notifies, for
 * whoever inspects the page; all tabs say "Notifications on"): the browser is asked only when the person clicks it
 * (browsers ignore or penalise a prompt on page load). Denied: it says where to allow them, since
 * a page cannot ask again. */
export function NotificationPermission({ notifyingTab }: { notifyingTab: boolean }) {
  const [permission, setPermission] = useState<Permission>(current);
  useEffect(() => {
    // Changed in the browser's site settings while the page is open.
    let status: PermissionStatus | null = null;
    const changed = () => setPermission(current());
    void navigator.permissions
      ?.query({ name: "notifications" })
      .then((s) => {
        status = s;
        s.addEventListener("change", changed);
      })
      .catch(() => undefined);
    return () => status?.removeEventListener("change", changed);
  }, []);

  if (permission === "unsupported") return null;
  if (permission === "granted") {
    return (
      <p className="notify-permission muted" data-testid="notifications-on" data-notifying-tab={notifyingTab}>
        Notifications on
      </p>
    );
  }
  if (permission === "denied") {
    return (
      <p className="notify-permission muted" role="status" data-testid="notifications-denied">
        Notifications are blocked: allow them in the browser's site settings for this page.
      </p>
    );
  }
  return (
    <button
      className="link notify-permission"
      data-testid="enable-notifications"
      onClick={() => {
        void Notification.requestPermission().then(setPermission, () => setPermission(current()));
      }}
    >
      Enable notifications
    </button>
  );
}
