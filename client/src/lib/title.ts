// The tab's title: the unread total first (what a person sees from another tab), then the open
// conversation, then the product.

export const PRODUCT_TITLE = "Tenant Chat";

export function pageTitle(conversations: readonly { unreadCount: number }[], open: string | null): string {
  const unread = conversations.reduce((sum, c) => sum + c.unreadCount, 0);
  const count = unread === 0 ? "" : `(${unread > 99 ? "99+" : unread}) `;
  return `${count}${open ? `${open} · ` : ""}${PRODUCT_TITLE}`;
}
