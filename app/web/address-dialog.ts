import { copyAddress } from './copy-address.ts';
import { element } from './page-elements.ts';

/** Shows an address to copy or open (a published file's CDN address), in the page's address dialog. */
export function showAddress(title: string, text: string, address: string): void {
  element('address-title').textContent = title;
  element('address-text').textContent = text;
  element<HTMLInputElement>('address-field').value = address;
  const open = element<HTMLAnchorElement>('address-open');
  open.href = address;
  element('address-status').textContent = '';
  element<HTMLDialogElement>('address-dialog').showModal();
  element('address-copy').focus();
}

export function wireAddressDialog(): void {
  element('address-copy').addEventListener('click', () => void copyAddress(element<HTMLInputElement>('address-field'), element('address-status')));
}
