import { element } from './page-elements.ts';

export interface Choice<T extends string> {
  value: T;
  label: string;
  primary?: boolean;
}

let previous: Promise<unknown> = Promise.resolve();

/**
 * Asks a question in the page's modal dialog and answers the chosen value, or `cancelValue` when
 * the dialog is closed with Escape. Questions wait for each other (several uploads may collide
 * at once). The native dialog keeps focus inside and gives it back to where it was.
 */
export function ask<T extends string>(title: string, text: string, choices: Array<Choice<T>>, cancelValue: T): Promise<T> {
  const answer = previous.then(() => askNow(title, text, choices, cancelValue));
  previous = answer.catch(() => undefined);
  return answer;
}

function askNow<T extends string>(title: string, text: string, choices: Array<Choice<T>>, cancelValue: T): Promise<T> {
  const dialog = element<HTMLDialogElement>('confirm-dialog');
  element('confirm-title').textContent = title;
  element('confirm-text').textContent = text;
  element('confirm-buttons').replaceChildren(
    ...choices.map((choice) => {
      const button = document.createElement('button');
      button.type = 'submit';
      button.value = choice.value;
      button.textContent = choice.label;
      button.dataset.choice = choice.value;
      if (choice.primary) button.className = 'primary';
      return button;
    }),
  );
  dialog.returnValue = '';
  return new Promise<T>((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        const chosen = choices.find((choice) => choice.value === dialog.returnValue);
        resolve(chosen ? chosen.value : cancelValue);
      },
      { once: true },
    );
    dialog.showModal();
    dialog.querySelector<HTMLButtonElement>('button.primary, button')?.focus();
  });
}

/** Asks for a folder name; undefined when cancelled. */
export function askFolderName(): Promise<string | undefined> {
  const dialog = element<HTMLDialogElement>('folder-dialog');
  const input = element<HTMLInputElement>('folder-name');
  input.value = '';
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'create' && input.value.trim() !== '' ? input.value.trim() : undefined), { once: true });
    dialog.showModal();
    input.focus();
  });
}
