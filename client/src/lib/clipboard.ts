// Text onto the clipboard: the Clipboard API, or (where it is refused: an insecure origin, an
// older browser) a selected hidden field copied the old way.

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const field = document.createElement("textarea");
    field.value = text;
    field.setAttribute("readonly", "");
    field.style.position = "fixed";
    field.style.opacity = "0";
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    document.body.append(field);
    field.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
    field.remove();
    focused?.focus();
    return copied;
  }
}
