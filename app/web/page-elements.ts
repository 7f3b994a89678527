/** The page's one element with this id (index.html has them all). */
export function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}.`);
  return found as T;
}

/** A `<button type="button">`; a failing action reports through `onError` instead of an unhandled rejection. */
export function actionButton(label: string, action: string, onClick: () => Promise<void> | void, onError: (error: unknown) => void, accessibleName?: string): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = label;
  button.dataset.action = action;
  if (accessibleName) button.setAttribute('aria-label', accessibleName);
  button.addEventListener('click', () => {
    Promise.resolve()
      .then(onClick)
      .catch(onError);
  });
  return button;
}
