// Keeps the keyboard inside a modal dialog: Tab from its last control goes to its first,
// Shift+Tab from its first to its last (and from outside the dialog, back into it).

const FOCUSABLE =
  'button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

/** The controls inside `root` that take the keyboard's focus, in document order. */
export function focusables(root: HTMLElement | undefined): HTMLElement[] {
  return [...(root?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])];
}

/** Wraps a Tab keypress around `dialog`'s controls; other keys are left alone. */
export function trapTab(event: KeyboardEvent, dialog: HTMLElement | undefined): void {
  if (event.key !== 'Tab') return;
  const items = focusables(dialog);
  const first = items[0];
  const last = items[items.length - 1];
  if (!first || !last) return;
  const active = document.activeElement;
  if (event.shiftKey && (active === first || !dialog?.contains(active))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (active === last || !dialog?.contains(active))) {
    event.preventDefault();
    first.focus();
  }
}
