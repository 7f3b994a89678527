/** Copies a read-only field's address, or selects it for Ctrl+C when the browser does not allow copying; says which in `status`. */
export async function copyAddress(field: HTMLInputElement, status: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(field.value);
    status.textContent = 'Copied to the clipboard.';
  } catch {
    field.select();
    status.textContent = 'The browser did not allow copying: the address is selected, copy it with Ctrl+C.';
  }
}
