import { element } from './page-elements.ts';

/** The page's one status line: info fades after 4 s, errors after 8 s (and are announced all the same). */
export function showMessage(text: string, kind: 'info' | 'error' = 'info'): void {
  const box = element('message');
  box.textContent = text;
  box.className = kind;
  box.hidden = false;
  window.clearTimeout(Number(box.dataset.timer));
  box.dataset.timer = String(window.setTimeout(() => (box.hidden = true), kind === 'error' ? 8000 : 4000));
}
